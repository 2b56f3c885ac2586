"""Maps official StarGAN v2 (clovaai/stargan-v2) state_dicts onto our Keras v2 networks, checking every shape.

The official checkpoints are torch.save'd dicts with one state_dict per network (`generator`,
`mapping_network`, `style_encoder`, `discriminator`), keys possibly prefixed by nn.DataParallel's `module.`.
Our networks keep the official order of blocks (encode/decode lists, the trunk's blocks, one head per domain),
so each official key is computed from the position of our layer. Layouts: convolutions [out, in, kH, kW] ->
[kH, kW, in, out]; linear layers [out, in] -> [in, out]; D's final 1x1 convolution [K, C, 1, 1] -> our dense
head's [C, K].
"""
from __future__ import annotations

import keras
import numpy as np

from stargan_tf.families.stargan_v2.blocks import AdaIN, Trunk
from stargan_tf.families.stargan_v2.discriminator import Discriminator
from stargan_tf.families.stargan_v2.generator import Generator
from stargan_tf.families.stargan_v2.mapping import MappingNetwork
from stargan_tf.families.stargan_v2.style_encoder import StyleEncoder
from stargan_tf.interop.torch_checkpoint import CheckpointError
from stargan_tf.interop.torch_layout import layer_weights as _layer

NETWORKS = ("generator", "mapping_network", "style_encoder", "discriminator")  # the checkpoint's keys
DATA_PARALLEL_PREFIX = "module."


def _block(prefix: str, block) -> dict:
    """A ResBlk or AdainResBlk: conv1, conv2, norm1, norm2 (AdaIN: its `fc`), conv1x1 when it has one."""
    weights = {**_layer(f"{prefix}.conv1", block.conv1), **_layer(f"{prefix}.conv2", block.conv2)}
    for name in ("norm1", "norm2"):
        norm = getattr(block, name, None)
        if isinstance(norm, AdaIN):
            weights.update(_layer(f"{prefix}.{name}.fc", norm.fc))
        elif norm is not None:
            weights.update(_layer(f"{prefix}.{name}", norm))
    if block.shortcut_conv is not None:
        weights.update(_layer(f"{prefix}.conv1x1", block.shortcut_conv))
    return weights


def _trunk(prefix: str, trunk: Trunk) -> dict:
    """The Sequential shared by E (`shared`) and D (`main`): conv, ResBlks, LeakyReLU, conv4x4, LeakyReLU."""
    weights = _layer(f"{prefix}.0", trunk.from_rgb)
    for index, block in enumerate(trunk.blocks, start=1):
        weights.update(_block(f"{prefix}.{index}", block))
    weights.update(_layer(f"{prefix}.{len(trunk.blocks) + 2}", trunk.conv_out))
    return weights


def _dense_layers(sequential) -> list:
    return [layer for layer in sequential.layers if isinstance(layer, keras.layers.Dense)]


def official_keys_v2(network) -> dict:
    """Official state_dict key -> variable of one of our (built) v2 networks."""
    if isinstance(network, Generator):
        if network.w_hpf > 0:
            raise NotImplementedError("official keys of the high-pass generator (w_hpf > 0) are not mapped yet")
        weights = _layer("from_rgb", network.from_rgb)
        for name, blocks in (("encode", network.encode), ("decode", network.decode)):
            for index, block in enumerate(blocks):
                weights.update(_block(f"{name}.{index}", block))
        return {**weights, **_layer("to_rgb.0", network.to_rgb_norm), **_layer("to_rgb.2", network.to_rgb)}
    if isinstance(network, MappingNetwork):
        weights = {}
        for index, layer in enumerate(_dense_layers(network.shared)):
            weights.update(_layer(f"shared.{2 * index}", layer))
        for domain, branch in enumerate(network.unshared):
            for index, layer in enumerate(_dense_layers(branch)):
                weights.update(_layer(f"unshared.{domain}.{2 * index}", layer))
        return weights
    if isinstance(network, StyleEncoder):
        weights = _trunk("shared", network.trunk)
        for domain, head in enumerate(network.heads):
            weights.update(_layer(f"unshared.{domain}", head))
        return weights
    if isinstance(network, Discriminator):
        return {**_trunk("main", network.trunk), **_layer(f"main.{len(network.trunk.blocks) + 4}", network.head)}
    raise TypeError(f"not a StarGAN v2 network: {type(network).__name__}")


def to_keras_v2(array: np.ndarray, shape) -> np.ndarray | None:
    """A copy of an official tensor in the layout of our variable of `shape`, or None if its shape does not fit."""
    array = np.asarray(array, np.float32).copy()
    if array.ndim == 4:
        array = array.transpose(2, 3, 1, 0)
    elif array.ndim == 2:
        array = array.T
    extra = array.ndim - len(shape)
    if extra > 0 and all(size == 1 for size in array.shape[:extra]):  # D's 1x1 convolution as our dense kernel
        array = array.reshape(array.shape[extra:])
    return array if array.shape == tuple(shape) else None


def keras_weights_from_official_v2(network, state: dict, source: str = "the state_dict") -> list:
    """[(variable, value)] for every weight of `network` from an official state_dict (numpy arrays or CPU tensors).

    `module.` prefixes are stripped. One CheckpointError lists every missing, unexpected or misshapen tensor.
    """
    state = {key.removeprefix(DATA_PARALLEL_PREFIX): value for key, value in state.items()}
    keys = official_keys_v2(network)
    problems = [f"{key}: missing" for key in keys if key not in state]
    problems += [f"{key}: unexpected (a different architecture?)" for key in state if key not in keys]
    pairs = []
    for key, variable in keys.items():
        if key in state:
            value = to_keras_v2(state[key], tuple(variable.shape))
            if value is None:
                problems.append(f"{key}: shape {list(np.shape(state[key]))} does not fit our {list(variable.shape)}")
            pairs.append((variable, value))
    if problems:
        raise CheckpointError(f"{source} does not fit the {network.name}: " + "; ".join(problems))
    return pairs


def load_official_v2(networks: dict, checkpoint: dict, source: str = "the checkpoint") -> None:
    """Assigns an official checkpoint dict ({network name: state_dict}) to our networks ({network name: network})."""
    missing = [name for name in networks if name not in checkpoint]
    if missing:
        raise CheckpointError(f"{source} has no {', '.join(missing)} (it holds {', '.join(checkpoint)})")
    assignments = [pair for name, network in networks.items()
                   for pair in keras_weights_from_official_v2(network, checkpoint[name], f"{source}[{name!r}]")]
    for variable, value in assignments:
        variable.assign(value)

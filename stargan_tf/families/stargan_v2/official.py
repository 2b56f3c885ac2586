"""Maps official StarGAN v2 (clovaai/stargan-v2) state_dicts onto our Keras v2 networks, checking every shape.

The official checkpoints are torch.save'd dicts with one state_dict per network (`generator`,
`mapping_network`, `style_encoder`, `discriminator`), keys possibly prefixed by nn.DataParallel's `module.`.
`import_official_v2` turns such files into a run directory. Our networks keep the official order of blocks
(encode/decode lists, the trunk's blocks, one head per domain),
so each official key is computed from the position of our layer. Layouts: convolutions [out, in, kH, kW] ->
[kH, kW, in, out]; linear layers [out, in] -> [in, out]; D's final 1x1 convolution [K, C, 1, 1] -> our dense
head's [C, K].
"""
from __future__ import annotations

import dataclasses
import math
import re

import keras
import numpy as np

from stargan_tf.core.ema import copy_weights
from stargan_tf.core import imported
from stargan_tf.core.faces import SQUARE
from stargan_tf.core.run_dir import checkpoint_manager, write_run_file
from stargan_tf.families.stargan_v2 import landmark_alignment
from stargan_tf.families.stargan_v2.blocks import AdaIN, Trunk, first_width
from stargan_tf.families.stargan_v2.config import StarGANv2Config
from stargan_tf.families.stargan_v2.discriminator import Discriminator
from stargan_tf.families.stargan_v2.family import build_model
from stargan_tf.families.stargan_v2.fan import load_fan_weights
from stargan_tf.families.stargan_v2.generator import Generator
from stargan_tf.families.stargan_v2.mapping import MappingNetwork
from stargan_tf.families.stargan_v2.style_encoder import StyleEncoder
from stargan_tf.interop.torch_checkpoint import CheckpointError, read_state_dicts
from stargan_tf.interop.torch_layout import count_keys, layer_weights as _layer

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


def unused_official_keys(network) -> set:
    """Official parameters our network does not create: the high-pass generator's decoder blocks that change
    width keep a 1x1 shortcut convolution that the official forward never uses."""
    if not (isinstance(network, Generator) and network.w_hpf > 0):
        return set()
    return {f"decode.{index}.conv1x1.weight" for index, block in enumerate(network.decode)
            if block.conv1.kernel.shape[2] != block.conv1.kernel.shape[3]}


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
    for key in unused_official_keys(network):
        state.pop(key, None)
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


def _tensor(state: dict, key: str, network: str, source: str) -> np.ndarray:
    if key not in state:
        raise CheckpointError(f"{source}[{network!r}] has no {key}: not an official StarGAN v2 {network}")
    return np.asarray(state[key])


def official_architecture(nets: dict, source: str) -> dict:
    """The v2 config fields and domain count an official {network: state_dict} fixes, read from tensor shapes.

    image_size from the style encoder's depth (log2(size) - 2 blocks); widths from the generator and mapping
    network; the high-pass face path from one extra generator level. w_hpf's value has no tensor: it is 1 when
    the path is there (the official CelebA-HQ model), else 0.
    """
    generator, mapping, encoder = (nets[name] for name in NETWORKS[:3])
    image_size = 2 ** (count_keys(encoder, r"shared\.\d+\.conv1\.weight") + 2)
    dim_in = _tensor(generator, "from_rgb.weight", "generator", source).shape[0]
    encode = count_keys(generator, r"encode\.\d+\.conv1\.weight")
    widths = [_tensor(generator, f"encode.{i}.conv2.weight", "generator", source).shape[0] for i in range(encode)]
    plain_depth = int(math.log2(image_size)) - 4 + 2  # the official encoder's blocks without the face path
    if encode not in (plain_depth, plain_depth + 1):
        raise CheckpointError(f"{source}['generator'] has {encode} encoder blocks; a {image_size}px model (the size "
                              f"the style encoder's depth gives) has {plain_depth}, or {plain_depth + 1} with the "
                              f"high-pass face path")
    widths += [encoder[key].shape[0] for key in encoder if re.fullmatch(r"shared\.\d+\.conv2\.weight", key)]
    max_conv_dim = max(widths + [dim_in])  # any cap at or above the widest layer builds the same networks
    first = _tensor(mapping, "shared.0.weight", "mapping_network", source)
    last = _tensor(mapping, "unshared.0.6.weight", "mapping_network", source)
    return {"image_size": image_size, "style_dim": last.shape[0], "latent_dim": first.shape[1],
            "mapping_dim": first.shape[0], "max_conv_dim": max_conv_dim,
            "base_dim": 0 if dim_in == first_width(image_size, max_conv_dim) else dim_in,
            "w_hpf": 1.0 if encode == plain_depth + 1 else 0.0,
            "num_domains": count_keys(mapping, r"unshared\.\d+\.0\.weight")}


def _networks_in(path: str, names) -> dict:
    """{network: state_dict} of an official checkpoint file, `module.` prefixes stripped; an error names what is
    missing."""
    nets = read_state_dicts(path)
    missing = [name for name in names if name not in nets]
    if missing:
        raise CheckpointError(f"{path} has no {', '.join(missing)} (it holds {', '.join(nets) or 'nothing'}): "
                              f"expected an official StarGAN v2 checkpoint such as 100000_nets_ema.ckpt")
    return {name: {key.removeprefix(DATA_PARALLEL_PREFIX): value for key, value in nets[name].items()}
            for name in names}


@dataclasses.dataclass
class ImportedV2Run:
    """What a StarGAN v2 import produced: the run's config, its model, the checkpoint, whether D was imported."""

    config: StarGANv2Config
    model: keras.Model
    checkpoint_path: str
    discriminator_imported: bool


def import_official_v2(nets_ema_path: str, output_dir: str, domains, nets_path: str | None = None,
                       wing_path: str | None = None, seed: int = 1234, lm_path: str | None = None) -> ImportedV2Run:
    """Converts official StarGAN v2 checkpoints into a stargan_tf run directory (checkpoint at step 0, run.json,
    import.json).

    `*_nets_ema.ckpt` (generator, mapping_network, style_encoder) fills the moving averages, which translate and
    export use; `*_nets.ckpt`, when given, fills the trained networks and D, otherwise they start as copies of the
    averages and D is random (seed). Sizes and widths come from the tensors; `domains` must name as many domains.
    A generator with the high-pass face path (CelebA-HQ) needs `wing.ckpt`, the face-landmark network its masks
    come from, which the run directory then holds too; `celeba_lm_mean.npz` (lm_path), given with it, makes photos'
    faces framed as CelebA-HQ (landmark_alignment) wherever the run is used.
    """
    imported.refuse_existing_checkpoint(output_dir)
    ema = _networks_in(nets_ema_path, NETWORKS[:3])
    architecture = official_architecture(ema, nets_ema_path)
    num_domains = architecture.pop("num_domains")
    domains = tuple(domains)
    if len(domains) != num_domains:
        raise CheckpointError(f"--domains names {len(domains)} ({', '.join(domains) or 'none'}), but "
                              f"{nets_ema_path}'s mapping network has {num_domains} (unshared.0 to "
                              f"unshared.{num_domains - 1}): name them in label order, e.g. female,male for "
                              f"CelebA-HQ and cat,dog,wild for AFHQ")
    if architecture["w_hpf"] > 0 and not wing_path:
        raise CheckpointError(f"{nets_ema_path}: the generator has the high-pass face path (w_hpf 1, the official "
                              f"CelebA-HQ model), whose masks come from the official face-landmark network: give its "
                              f"weights with --wing=expr/checkpoints/wing.ckpt (the official `bash download.sh wing` "
                              f"fetches it)")
    if wing_path and not architecture["w_hpf"] > 0:
        raise CheckpointError(f"--wing={wing_path}: {nets_ema_path}'s generator has no high-pass face path (as the "
                              f"AFHQ model), so it uses no face-landmark network")
    if lm_path and not wing_path:
        raise CheckpointError(f"--lm_path={lm_path}: the CelebA-HQ landmarks frame faces through the face-landmark "
                              f"network, which only a model with the high-pass face path (and --wing) carries")
    template = landmark_alignment.read_official_mean(lm_path) if lm_path else None
    trained = _networks_in(nets_path, NETWORKS) if nets_path else None
    config = StarGANv2Config(seed=seed, model_save_dir=output_dir, **architecture).validate()
    keras.utils.set_random_seed(seed)  # D, when not imported, is a function of the seed.
    model = build_model(config, domains)
    load_official_v2({name + "_ema": getattr(model, name + "_ema") for name in NETWORKS[:3]},
                     {name + "_ema": state for name, state in ema.items()}, nets_ema_path)
    if model.fan is not None:
        load_fan_weights(model.fan, wing_path)
    if trained is not None:
        load_official_v2({name: getattr(model, name) for name in NETWORKS}, trained, nets_path)
    else:
        for average, network in zip(model.ema_networks, model.translator_networks):
            copy_weights(average, network)
    checkpoint_path = checkpoint_manager(model, output_dir, config.keep_checkpoints).save(checkpoint_number=0)
    if template is not None:
        landmark_alignment.write_template(output_dir, template)
    write_run_file(output_dir, config.model_name, config, {"domains": list(domains)},
                   landmark_alignment.model_alignment(config.image_size, SQUARE, template))
    imported.write_import_record(output_dir, {
        "nets_ema": imported.source(nets_ema_path), **({"wing": imported.source(wing_path)} if wing_path else {}),
        **({"lm_path": imported.source(lm_path)} if lm_path else {}),
        "nets": (imported.source(nets_path) if trained is not None else
                 f"not imported: G, F and E start as the moving averages, D randomly initialised (seed {seed}); "
                 f"train D before fine-tuning")})
    return ImportedV2Run(config, model, checkpoint_path, trained is not None)

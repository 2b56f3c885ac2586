"""Imports the official PyTorch StarGAN checkpoints (yunjey/stargan) into our Keras models, checking every shape.

The official networks are `nn.Sequential`s named `main` whose indices line up one to one with our layer lists
(Generator.encoder + bottleneck + decoder + to_rgb, Discriminator.trunk), activations included, so the mapping
is computed rather than tabulated. Convolution weights go from PyTorch's [out, in, kH, kW] (transposed
convolutions: [in, out, kH, kW]) to Keras' [kH, kW, in, out] ([kH, kW, out, in]): the same axis permutation for
both, with no kernel flip, since both frameworks define the transposed convolution as the adjoint of the same
cross-correlation. Padding matches: Keras 'same' pads 1/1 for the 4x4 stride-2 layers at even sizes, as
PyTorch's padding=1. Instance-norm running statistics are ignored: the official code never calls eval(), so
its outputs come from instance statistics, as ours do.
"""
from __future__ import annotations

import dataclasses

import keras
import numpy as np

from stargan_tf.families.stargan.config import DEFAULT_ATTRS, StarGANConfig
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS
from stargan_tf.interop.torch_checkpoint import CheckpointError, read_state_dict
from stargan_tf.data.labels import LabelLayout, make_layout
from stargan_tf.families.stargan.layers import ResidualBlock
from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator
from stargan_tf.core.imported import refuse_existing_checkpoint, source, write_import_record
from stargan_tf.core.run_dir import checkpoint_manager, write_run_file
from stargan_tf.families.stargan.family import build_model
from stargan_tf.interop.torch_layout import count_keys, layer_weights, load_official_weights



def generator_weights(generator: Generator) -> dict:
    """Official state_dict key -> variable of our (built) generator."""
    weights = {}
    for index, layer in enumerate(generator.encoder + generator.bottleneck + generator.decoder + [generator.to_rgb]):
        if isinstance(layer, ResidualBlock):
            for sub_index, sub_layer in enumerate((layer.conv1, layer.norm1, None, layer.conv2, layer.norm2)):
                if sub_layer is not None:  # index 2 is the block's ReLU
                    weights.update(layer_weights(f"main.{index}.main.{sub_index}", sub_layer))
        elif layer.weights:
            weights.update(layer_weights(f"main.{index}", layer))
    return weights


def discriminator_weights(discriminator: Discriminator) -> dict:
    """Official state_dict key -> variable of our (built) discriminator."""
    weights = {}
    for index, layer in enumerate(discriminator.trunk):
        if layer.weights:
            weights.update(layer_weights(f"main.{index}", layer))
    weights.update(layer_weights("conv1", discriminator.src_head))
    weights.update(layer_weights("conv2", discriminator.cls_head))
    return weights


def _first_conv(state: dict, path: str, network: str) -> np.ndarray:
    is_discriminator = "conv2.weight" in state  # D's classification head; G has no such key.
    if is_discriminator != (network == "discriminator") and "main.0.weight" in state:
        other = "discriminator" if is_discriminator else "generator"
        raise CheckpointError(f"{path} holds an official StarGAN {other}, given as the {network}")
    if "main.0.weight" not in state or state["main.0.weight"].ndim != 4:
        raise CheckpointError(f"{path}: not an official StarGAN {network} state_dict (no 4-D main.0.weight; "
                              f"keys: {', '.join(list(state)[:6])}...)")
    return state["main.0.weight"]


def generator_architecture(state: dict, path: str) -> dict:
    """g_conv_dim and g_repeat_num of an official generator state_dict."""
    return {"g_conv_dim": _first_conv(state, path, "generator").shape[0],
            "g_repeat_num": count_keys(state, r"main\.\d+\.main\.0\.weight")}


def discriminator_architecture(state: dict, path: str) -> dict:
    """d_conv_dim and d_repeat_num of an official discriminator state_dict."""
    return {"d_conv_dim": _first_conv(state, path, "discriminator").shape[0],
            "d_repeat_num": count_keys(state, r"main\.\d+\.weight")}


def _describe_generator(key, found):
    if key == "main.0.weight":
        return (f" (its first convolution takes {found[1]} channels: 3 image + {found[1] - 3} label channels; "
                f"the label channels are c_dim for celeba, c2_dim for rafd, c_dim + c2_dim + 2 for both)")
    return ""


def _describe_discriminator(repeat_num):
    def describe(key, found):
        if key == "conv2.weight":
            return (f" (D_cls gives {found[0]} logits with a {found[2]}x{found[3]} kernel: the model was trained "
                    f"with c_dim {found[0]} at image_size {found[2] * 2 ** repeat_num})")
        return ""
    return describe


@dataclasses.dataclass
class ImportedRun:
    """What an import produced: the run's config and layout, the model, and the checkpoint written."""

    config: StarGANConfig
    layout: LabelLayout
    model: keras.Model
    checkpoint_path: str
    discriminator_imported: bool


def import_official(generator_path: str, output_dir: str, discriminator_path: str | None = None, *,
                    dataset: str = "celeba", c_dim: int = 5, c2_dim: int = 8, image_size: int = 128,
                    selected_attrs=DEFAULT_ATTRS, rafd_classes=RAFD_EXPRESSIONS, d_conv_dim: int = 64,
                    d_repeat_num: int = 6, seed: int = 1234) -> ImportedRun:
    """Converts official G (and optionally D) checkpoints into a stargan_tf checkpoint directory.

    The directory gets a checkpoint (step 0, fresh optimizers) and run.json, as training writes them, plus
    import.json recording the sources. Network widths and depths are read from the files; c_dim, c2_dim and
    image_size come from the caller and are checked against the tensors. Without a discriminator file, D is
    randomly initialised (d_conv_dim, d_repeat_num, seed): translation and export need only G.
    """
    refuse_existing_checkpoint(output_dir)
    g_state = read_state_dict(generator_path)
    architecture = dict(generator_architecture(g_state, generator_path), d_conv_dim=d_conv_dim,
                        d_repeat_num=d_repeat_num)
    d_state = None
    if discriminator_path:
        d_state = read_state_dict(discriminator_path)
        architecture.update(discriminator_architecture(d_state, discriminator_path))
    config = StarGANConfig(dataset=dataset, c_dim=c_dim, c2_dim=c2_dim, image_size=image_size,
                           selected_attrs=tuple(selected_attrs), seed=seed, model_save_dir=output_dir,
                           **architecture).validate()
    if "rafd" in config.datasets and len(rafd_classes) != c2_dim:
        raise CheckpointError(f"--c2_dim={c2_dim} but --rafd_classes names {len(rafd_classes)} classes")
    layout = make_layout(config.datasets, config.selected_attrs, rafd_classes)
    keras.utils.set_random_seed(seed)  # The random D, when there is one, is a function of the seed.
    model = build_model(config, layout)
    load_official_weights(generator_weights(model.generator), g_state, generator_path, _describe_generator)
    if d_state is not None:
        load_official_weights(discriminator_weights(model.discriminator), d_state, discriminator_path,
                              _describe_discriminator(config.d_repeat_num))
    checkpoint_path = checkpoint_manager(model, output_dir, config.keep_checkpoints).save(checkpoint_number=0)
    write_run_file(output_dir, config.model_name, config, layout.to_json())
    write_import_record(output_dir, {
        "generator": source(generator_path),
        "discriminator": (source(discriminator_path) if d_state is not None else
                          f"not imported: randomly initialised (seed {seed}); train it before fine-tuning")})
    return ImportedRun(config, layout, model, checkpoint_path, d_state is not None)

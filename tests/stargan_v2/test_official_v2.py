"""Mapping official StarGAN v2 state_dicts onto our v2 networks: exact key coverage, equal outputs, clear errors."""
import numpy as np
import pytest
import torch

from stargan_tf.interop import torch_reference_v2 as reference
from stargan_tf.families.stargan_v2.official import NETWORKS, keras_weights_from_official_v2, load_official_v2
from stargan_tf.interop.torch_checkpoint import CheckpointError
from stargan_tf.families.stargan_v2.generator import Generator
from stargan_tf.families.stargan_v2.mapping import MappingNetwork
from stargan_tf.families.stargan_v2.discriminator import Discriminator
from stargan_tf.families.stargan_v2.style_encoder import StyleEncoder

SIZE, STYLE, LATENT, DOMAINS = 32, 8, 4, 3


@pytest.fixture(scope="module")
def imported():
    """{network name: (ours, the torch reference)}, the reference's weights loaded into ours from `module.`-prefixed
    state_dicts."""
    networks = _pairs()
    checkpoint = {name: {f"module.{key}": value for key, value in net.state_dict().items()}
                  for name, (_, net) in networks.items()}
    load_official_v2({name: ours for name, (ours, _) in networks.items()}, checkpoint)
    return networks


def _pairs():
    """{network name: (ours, built; the torch reference, randomized)} at tiny widths (first 8, at most 16)."""
    rng = np.random.default_rng(0)
    images, styles = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32), np.zeros((2, STYLE), np.float32)
    domains, z = np.array([0, 2], np.int32), np.zeros((2, LATENT), np.float32)
    ours = {"generator": Generator(SIZE, STYLE, 16, dim_in=8),
            "mapping_network": MappingNetwork(DOMAINS, LATENT, STYLE, 16),
            "style_encoder": StyleEncoder(DOMAINS, SIZE, STYLE, 16, 8),
            "discriminator": Discriminator(DOMAINS, SIZE, 16, 8)}
    ours["generator"](images, styles)
    ours["mapping_network"](z, domains)
    ours["style_encoder"](images, domains)
    ours["discriminator"](images, domains)
    theirs = {"generator": reference.Generator(SIZE, STYLE, 16, 8),
              "mapping_network": reference.MappingNetwork(DOMAINS, LATENT, STYLE, 16),
              "style_encoder": reference.StyleEncoder(DOMAINS, SIZE, STYLE, 16, 8),
              "discriminator": reference.Discriminator(DOMAINS, SIZE, 16, 8)}
    return {name: (ours[name], reference.randomize(theirs[name], seed)) for seed, name in enumerate(NETWORKS)}


def test_every_weight_maps_to_exactly_one_official_parameter(imported):
    for name, (ours, theirs) in imported.items():
        assigned = keras_weights_from_official_v2(ours, theirs.state_dict())
        assert len(assigned) == len(ours.weights) == len(list(theirs.parameters())), name
        assert {id(variable) for variable, _ in assigned} == {id(weight) for weight in ours.weights}, name
        for variable, value in assigned:
            np.testing.assert_array_equal(variable.numpy(), value)


def test_imported_networks_give_the_official_outputs(imported):
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (3, SIZE, SIZE, 3)).astype(np.float32)
    domains = np.array([2, 0, 1], np.int32)
    styles, z = rng.normal(size=(3, STYLE)).astype(np.float32), rng.normal(size=(3, LATENT)).astype(np.float32)
    torch_images = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    torch_domains = torch.from_numpy(domains).long()
    ours, theirs = ({name: pair[index] for name, pair in imported.items()} for index in (0, 1))
    with torch.no_grad():
        translated = theirs["generator"](torch_images, torch.from_numpy(styles))
        expected = {"generator": translated.numpy().transpose(0, 2, 3, 1),
                    "mapping_network": theirs["mapping_network"](torch.from_numpy(z), torch_domains).numpy(),
                    "style_encoder": theirs["style_encoder"](torch_images, torch_domains).numpy(),
                    "discriminator": theirs["discriminator"](torch_images, torch_domains).numpy()}
    outputs = {"generator": ours["generator"](images, styles), "mapping_network": ours["mapping_network"](z, domains),
               "style_encoder": ours["style_encoder"](images, domains),
               "discriminator": ours["discriminator"](images, domains)}
    for name, output in outputs.items():
        scale = np.abs(expected[name]).max()
        assert scale > 1e-2, name
        assert np.abs(np.asarray(output) - expected[name]).max() <= 1e-5 * max(scale, 1.0), name


def test_mismatches_are_listed_in_one_error(imported):
    ours, theirs = imported["style_encoder"]
    state = dict(theirs.state_dict())
    state["unshared.3.weight"] = state.pop("unshared.2.weight")  # a 4th domain's head, the 3rd's missing
    state["shared.0.weight"] = torch.zeros(8, 3, 5, 5)
    with pytest.raises(CheckpointError, match=r"style_encoder.*unshared\.2\.weight: missing; "
                                              r"unshared\.3\.weight: unexpected.*shared\.0\.weight: shape "
                                              r"\[8, 3, 5, 5\] does not fit our \[3, 3, 3, 8\]"):
        keras_weights_from_official_v2(ours, state, "the test's state_dict")


def test_a_network_missing_from_the_checkpoint_is_named(imported):
    with pytest.raises(CheckpointError, match="nets_ema.ckpt has no discriminator"):
        load_official_v2({name: ours for name, (ours, _) in imported.items()},
                         {name: net.state_dict() for name, (_, net) in imported.items() if name != "discriminator"},
                         "nets_ema.ckpt")


def test_the_high_pass_generator_gives_the_official_outputs():
    """w_hpf 1 (the CelebA-HQ layout): one more level, masked high-pass skips; the official decoder's unused 1x1
    shortcuts are accepted and left out."""
    rng = np.random.default_rng(4)
    theirs = reference.randomize(reference.Generator(SIZE, STYLE, 16, 8, w_hpf=1.0), seed=7)
    ours = Generator(SIZE, STYLE, 16, w_hpf=1.0, dim_in=8)
    images, styles = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32), rng.normal(size=(2, STYLE))
    masks = [rng.uniform(0, 1, (2, 64, 64, 1)).astype(np.float32) for _ in range(2)]
    ours(images, styles.astype(np.float32), masks)
    state = theirs.state_dict()
    assert any(key.endswith("conv1x1.weight") and key.startswith("decode.") for key in state)
    load_official_v2({"generator": ours}, {"generator": state})
    with torch.no_grad():
        expected = theirs(torch.from_numpy(images.transpose(0, 3, 1, 2).copy()),
                          torch.from_numpy(styles.astype(np.float32)),
                          [torch.from_numpy(mask.transpose(0, 3, 1, 2).copy()) for mask in masks]).numpy()
    expected = expected.transpose(0, 2, 3, 1)
    without_masks = np.asarray(ours(images, styles.astype(np.float32)))
    output = np.asarray(ours(images, styles.astype(np.float32), masks))
    scale = np.abs(expected).max()
    assert np.abs(output - expected).max() <= 1e-5 * max(scale, 1.0)
    assert np.abs(without_masks - expected).max() > 1e-2 * scale  # the masked skips matter

"""StarGAN v2 networks: the official parameter counts at 256x256, shapes, per-domain heads, AdaIN, high-pass."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.families.stargan_v2.blocks import AdaIN, ResBlk, high_pass
from stargan_tf.families.stargan_v2.generator import Generator
from stargan_tf.families.stargan_v2.mapping import MappingNetwork
from stargan_tf.families.stargan_v2.discriminator import Discriminator
from stargan_tf.families.stargan_v2.style_encoder import StyleEncoder

IMAGES_256 = (1, 256, 256, 3)
# The official 1x1 shortcut convs of the three widening decoder blocks (128->64, 256->128, 512->256) exist in
# its high-pass generator but are never used; ours does not create them.
UNUSED_OFFICIAL_SHORTCUTS = 128 * 64 + 256 * 128 + 512 * 256


def symbolic(*shapes_and_dtypes):
    """KerasTensors: building a network on them creates its weights without computing anything."""
    return [keras.KerasTensor(shape, dtype=dtype) for shape, dtype in shapes_and_dtypes]


@pytest.mark.parametrize("w_hpf, expected", [(0.0, 33_892_995), (1.0, 43_467_395 - UNUSED_OFFICIAL_SHORTCUTS)])
def test_generator_parameter_count_matches_official_at_256(w_hpf, expected):
    generator = Generator(256, w_hpf=w_hpf)
    images, styles = symbolic((IMAGES_256, "float32"), ((1, 64), "float32"))
    assert generator(images, styles).shape == IMAGES_256
    assert generator.count_params() == expected
    assert len(generator.encode) == (7 if w_hpf else 6)


@pytest.mark.parametrize("num_domains, expected", [(2, 2_438_272), (3, 3_259_072)])
def test_mapping_network_parameter_count_matches_official(num_domains, expected):
    mapping = MappingNetwork(num_domains)
    z, domains = symbolic(((1, 16), "float32"), ((1,), "int32"))
    assert mapping(z, domains).shape == (1, 64)
    assert mapping.count_params() == expected


def test_style_encoder_and_discriminator_parameter_counts_match_official_at_256():
    images, domains = symbolic((IMAGES_256, "float32"), ((1,), "int32"))
    encoder, discriminator = StyleEncoder(2), Discriminator(2)
    assert encoder(images, domains).shape == (1, 64)
    assert discriminator(images, domains).shape == (1,)
    assert encoder.count_params() == 20_916_928
    assert discriminator.count_params() == 20_852_290


def test_tiny_networks_give_image_style_and_logit_shapes():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    domains = np.array([0, 2, 1], np.int32)
    styles = MappingNetwork(3, latent_dim=4, style_dim=8, hidden_dim=16)(rng.normal(size=(3, 4)), domains)
    assert styles.shape == (3, 8)
    assert Generator(16, style_dim=8, max_conv_dim=16, dim_in=8)(images, styles).shape == (3, 16, 16, 3)
    assert StyleEncoder(3, 16, style_dim=8, max_conv_dim=16, dim_in=8)(images, domains).shape == (3, 8)
    assert Discriminator(3, 16, max_conv_dim=16, dim_in=8)(images, domains).shape == (3,)


def test_mapping_branches_share_no_weights_and_each_domain_uses_its_own_head():
    mapping = MappingNetwork(3, latent_dim=4, style_dim=8, hidden_dim=16)
    z = np.random.default_rng(1).normal(size=(2, 4)).astype(np.float32)
    mapping(z, np.zeros([2], np.int32))
    branch_weights = [{id(w) for w in branch.weights} for branch in mapping.unshared]
    assert all(not a & b for i, a in enumerate(branch_weights) for b in branch_weights[i + 1:])
    hidden = mapping.shared(z)
    for domain, branch in enumerate(mapping.unshared):
        np.testing.assert_allclose(mapping(z, np.full([2], domain, np.int32)), branch(hidden), rtol=1e-6)


def test_style_encoder_selects_each_examples_domain_head():
    encoder = StyleEncoder(2, 16, style_dim=8, max_conv_dim=16, dim_in=8)
    images = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    both = np.asarray(encoder(images, np.array([0, 1], np.int32)))
    trunk = encoder.trunk(images)
    np.testing.assert_allclose(both[0], encoder.heads[0](trunk)[0], rtol=1e-5)
    np.testing.assert_allclose(both[1], encoder.heads[1](trunk)[1], rtol=1e-5)


def test_adain_is_one_plus_gamma_times_instance_norm_plus_beta():
    x = np.random.default_rng(3).normal(size=(1, 4, 4, 2)).astype(np.float32)
    adain = AdaIN(2)
    adain(x, np.zeros((1, 3), np.float32))
    gamma, beta = np.array([0.5, -0.25]), np.array([1.0, 2.0])
    adain.fc.kernel.assign(np.zeros((3, 4)))
    adain.fc.bias.assign(np.concatenate([gamma, beta]))
    normalized = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(adain(x, np.ones((1, 3), np.float32)), (1 + gamma) * normalized + beta, atol=1e-5)


def test_resblk_divides_shortcut_plus_residual_by_sqrt2():
    block = ResBlk(2, 2)
    x = np.random.default_rng(4).normal(size=(1, 4, 4, 2)).astype(np.float32)
    block(x)
    for weight in block.conv2.weights:  # residual branch -> 0: the output is the identity shortcut / sqrt(2)
        weight.assign(tf.zeros_like(weight))
    np.testing.assert_allclose(block(x), x / np.sqrt(2), rtol=1e-6)


def test_high_pass_is_the_official_laplacian_over_w_hpf():
    x = np.zeros((1, 5, 5, 2), np.float32)
    x[0, 2, 2, 1] = 1.0
    out = np.asarray(high_pass(tf.constant(x), 2.0))
    expected = np.full((3, 3), -0.5)
    expected[1, 1] = 4.0
    np.testing.assert_allclose(out[0, 1:4, 1:4, 1], expected)
    assert np.abs(out[..., 0]).max() == 0
    assert np.abs(np.asarray(high_pass(tf.ones((1, 5, 5, 1)), 1.0))[0, 1:4, 1:4]).max() == 0


def test_high_pass_generator_adds_masked_encoder_features():
    generator = Generator(32, style_dim=8, max_conv_dim=16, w_hpf=1.0, dim_in=8)
    rng = np.random.default_rng(5)
    images = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
    styles = rng.normal(size=(2, 8)).astype(np.float32)
    zeros, ones = np.zeros((2, 32, 32, 1), np.float32), np.ones((2, 32, 32, 1), np.float32)
    with_zero_masks = np.asarray(generator(images, styles, (zeros, zeros)))
    np.testing.assert_allclose(with_zero_masks, generator(images, styles), atol=1e-6)
    assert np.abs(np.asarray(generator(images, styles, (ones, ones))) - with_zero_masks).max() > 1e-4

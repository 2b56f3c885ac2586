"""Instance normalization statistics and the residual block's identity skip."""
import keras
import numpy as np

from stargan_tf.layers import InstanceNormalization, ResidualBlock


def test_instance_norm_normalizes_each_sample_and_channel():
    x = np.random.default_rng(0).normal(3.0, 5.0, (2, 8, 6, 4)).astype(np.float32)
    y = np.asarray(InstanceNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, atol=1e-3)


def test_instance_norm_matches_formula_and_group_norm():
    x = np.random.default_rng(1).normal(size=(3, 5, 5, 6)).astype(np.float32)
    layer = InstanceNormalization()
    layer.build(x.shape)
    gamma = np.linspace(0.5, 2.0, 6).astype(np.float32)
    beta = np.linspace(-1.0, 1.0, 6).astype(np.float32)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)
    group_norm = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)
    group_norm.build(x.shape)
    group_norm.set_weights([gamma, beta])
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(group_norm(x)), atol=1e-5)


def test_residual_block_is_identity_when_last_norm_outputs_zero():
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 8)).astype(np.float32)
    block = ResidualBlock(8)
    block(x)
    block.norm2.set_weights([np.zeros(8, np.float32), np.zeros(8, np.float32)])
    np.testing.assert_allclose(np.asarray(block(x)), x, atol=1e-6)
    assert len(block.trainable_weights) == 6  # two convs (no bias) and two affine instance norms

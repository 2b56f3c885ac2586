"""Instance normalization statistics, the residual block's identity skip, and D's LeakyReLU and matmul
convolution against Keras's (values, gradients, the gradient penalty's second derivatives)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.families.stargan import losses
from stargan_tf.core.layers import InstanceNormalization, instance_norm
from stargan_tf.families.stargan.layers import LeakyReLU, MatmulConv2D, ResidualBlock


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


@pytest.mark.parametrize("mean", [0.0, 20.0])
def test_instance_norm_gradients_match_group_norm(mean):
    """The x * a + b form keeps the two-pass function's values and gradients, also far from zero mean."""
    x = tf.constant(np.random.default_rng(3).normal(mean, 2.0, (2, 6, 6, 4)).astype(np.float32))
    weights = [np.linspace(0.5, 2.0, 4).astype(np.float32), np.linspace(-1.0, 1.0, 4).astype(np.float32)]
    upstream = tf.constant(np.random.default_rng(4).normal(size=(2, 6, 6, 4)).astype(np.float32))
    results = []
    for layer in (InstanceNormalization(), keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)):
        layer.build(x.shape)
        layer.set_weights(weights)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * upstream)
        results.append([y, *tape.gradient(loss, [x, *layer.trainable_weights])])
    for ours, keras_value in zip(*results):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(keras_value), atol=5e-5)


def _plain_instance_norm(x, scale, offset):
    x = tf.cast(x, tf.float32)
    mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) / tf.sqrt(variance + 1e-5) * scale + offset


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_instance_norm_equals_the_two_pass_formula(per_sample, dtype):
    """Values and gradients of x * a + b against (x - mean) / sqrt(var + eps) * scale + offset: for a layer's [C]
    weights and for AdaIN's per-sample [N, 1, 1, C] scale and offset, on float32 and bfloat16 inputs."""
    rng = np.random.default_rng(5)
    shape = (2, 1, 1, 4) if per_sample else (4,)
    x = tf.cast(tf.constant(rng.normal(3.0, 2.0, (2, 5, 6, 4)).astype(np.float32)), dtype)
    scale = tf.constant(rng.uniform(0.5, 2.0, shape).astype(np.float32))
    offset = tf.constant(rng.normal(size=shape).astype(np.float32))
    upstream = tf.constant(rng.normal(size=(2, 5, 6, 4)).astype(np.float32))
    results = []
    for function in (instance_norm, _plain_instance_norm):
        with tf.GradientTape() as tape:
            tape.watch([x, scale, offset])
            y = function(x, scale, offset)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * upstream)
        results.append([tf.cast(value, tf.float32) for value in [y, *tape.gradient(loss, [x, scale, offset])]])
    tolerance = 5e-5 if dtype == "float32" else 5e-2  # bfloat16 rounds y and dx to 8 bits of mantissa
    for name, ours, formula in zip(["y", "dx", "dscale", "doffset"], *results):
        assert ours.shape == formula.shape, name
        np.testing.assert_allclose(np.asarray(ours), np.asarray(formula), atol=tolerance * (1 + np.abs(formula).max()),
                                   err_msg=name)


def test_residual_block_is_identity_when_last_norm_outputs_zero():
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 8)).astype(np.float32)
    block = ResidualBlock(8)
    block(x)
    block.norm2.set_weights([np.zeros(8, np.float32), np.zeros(8, np.float32)])
    np.testing.assert_allclose(np.asarray(block(x)), x, atol=1e-6)
    assert len(block.trainable_weights) == 6  # two convs (no bias) and two affine instance norms


def penalty_and_gradients(layers, x):
    """A critic made of layers: its output, its gradient penalty on x, and the penalty's gradient per kernel (the
    biases only move the piecewise-constant LeakyReLU masks: no gradient)."""
    kernels = [layer.kernel for layer in layers if hasattr(layer, "kernel")]

    def critic(images):
        for layer in layers:
            images = layer(images)
        return images

    with tf.GradientTape() as tape:
        penalty = tf.reduce_sum(losses.gradient_penalty(critic, x))
    return [critic(x), penalty] + tape.gradient(penalty, kernels)


def random_images(shape):
    return tf.constant(np.random.default_rng(0).normal(size=shape).astype(np.float32))


@pytest.mark.parametrize("input_size, kwargs", [
    (4, dict(kernel_size=4, strides=2, padding="same")),  # D's last conv at 128x128
    (5, dict(kernel_size=4, strides=2, padding="same")),  # uneven padding: TF pads the bottom/right more
    (2, dict(kernel_size=3, padding="same", use_bias=False)),  # D_src
    (2, dict(kernel_size=2, padding="valid", use_bias=False)),  # D_cls
])
def test_matmul_conv_equals_keras_conv_with_penalty_gradients(input_size, kwargs):
    x = random_images((3, input_size, input_size, 6))
    convolution = keras.layers.Conv2D(5, bias_initializer="glorot_uniform", **kwargs)
    matmul = MatmulConv2D(5, **kwargs)
    for layer in (convolution, matmul):
        layer.build(x.shape)
    matmul.set_weights(convolution.get_weights())
    head = keras.layers.Conv2D(1, 1)  # shared: LeakyReLU + head make the penalty depend on the weights
    expected = penalty_and_gradients([convolution, LeakyReLU(), head], x)
    outputs = penalty_and_gradients([matmul, LeakyReLU(), head], x)
    assert outputs[0].shape == expected[0].shape
    for value, reference in zip(outputs, expected):
        np.testing.assert_allclose(value, reference, rtol=1e-5, atol=1e-6)


def test_leaky_relu_equals_keras_and_has_no_second_derivative():
    x = random_images((2, 4, 4, 3))
    np.testing.assert_array_equal(LeakyReLU(0.01)(x), tf.nn.leaky_relu(x, 0.01))
    conv, head = keras.layers.Conv2D(4, 3, padding="same"), keras.layers.Conv2D(1, 1)
    ours = penalty_and_gradients([conv, LeakyReLU(0.01), head], x)
    for value, reference in zip(ours, penalty_and_gradients([conv, keras.layers.LeakyReLU(0.01), head], x)):
        np.testing.assert_array_equal(value, reference)

    def second_derivative(activation):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = activation(x)
            first = inner.gradient(y, x)
        np.testing.assert_array_equal(first, np.where(x.numpy() > 0, 1.0, np.float32(0.01)))
        return outer.gradient(first, x)

    # Keras's: a tensor of zeros, which a double backward (the gradient penalty) carries back through the
    # whole forward pass; ours: None, so that pass is never built.
    assert not np.any(second_derivative(keras.layers.LeakyReLU(negative_slope=0.01)))
    assert second_derivative(LeakyReLU(0.01)) is None

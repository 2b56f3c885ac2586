"""StarGAN v2 losses on hand-computed numbers, R1 against an independent computation, the lambda_ds schedule."""
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.families.stargan_v2 import losses
from stargan_tf.families.stargan_v2.discriminator import Discriminator


def test_adversarial_is_binary_cross_entropy_per_example():
    logits = tf.constant([0.0, 2.0, -1.0])
    np.testing.assert_allclose(losses.adversarial(logits, 1.0),
                               [np.log(2), np.log(1 + np.exp(-2)), np.log(1 + np.e)], rtol=1e-6)
    np.testing.assert_allclose(losses.adversarial(logits, 0.0),
                               [np.log(2), np.log(1 + np.exp(2)), np.log(1 + np.exp(-1))], rtol=1e-6)


def test_r1_of_a_linear_critic_is_half_the_squared_weight_norm():
    weights = tf.constant(np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3) / 10)
    x = tf.random.normal([2, 2, 2, 3])
    logits, r1 = losses.r1_penalty(lambda images: tf.reduce_sum(images * weights, axis=[1, 2, 3]), x)
    np.testing.assert_allclose(r1, [0.5 * np.sum(np.square(weights))] * 2, rtol=1e-6)
    np.testing.assert_allclose(logits, tf.reduce_sum(x * weights, axis=[1, 2, 3]), rtol=1e-6)


def test_r1_matches_per_sample_gradients_of_a_real_discriminator_and_is_differentiable():
    discriminator = Discriminator(2, 16, max_conv_dim=16, dim_in=8)
    x = tf.random.stateless_uniform([3, 16, 16, 3], seed=[1, 2], minval=-1, maxval=1)
    domains = tf.constant([0, 1, 1])
    with tf.GradientTape() as outer:
        _, r1 = losses.r1_penalty(lambda images: discriminator(images, domains), x)
        total = tf.reduce_mean(r1)
    expected = []
    for i in range(3):  # each sample alone, with its own tape: no batch interaction to hide an error
        sample = x[i:i + 1]
        with tf.GradientTape() as tape:
            tape.watch(sample)
            logit = discriminator(sample, domains[i:i + 1])
        expected.append(0.5 * float(tf.reduce_sum(tf.square(tape.gradient(logit, sample)))))
    np.testing.assert_allclose(r1, expected, rtol=1e-4)
    first_kernel = discriminator.trunk.from_rgb.kernel  # R1 trains D through the nested tape
    assert float(tf.reduce_max(tf.abs(outer.gradient(total, first_kernel)))) > 0


def test_style_reconstruction_diversity_and_cycle_are_mean_absolute_errors_per_example():
    a = tf.constant([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])
    b = tf.constant([[1.0, 0.0, 3.0, 8.0], [1.0, -1.0, 1.0, -1.0]])
    np.testing.assert_allclose(losses.style_reconstruction(a, b), [1.5, 1.0])
    images = tf.reshape(a, [2, 2, 2, 1])
    others = tf.reshape(b, [2, 2, 2, 1])
    np.testing.assert_allclose(losses.diversity(images, others), [1.5, 1.0])
    np.testing.assert_allclose(losses.cycle(images, others), [1.5, 1.0])


def test_diversity_pushes_only_the_first_output():
    x_fake, x_fake2 = tf.Variable([[1.0, 2.0]]), tf.Variable([[0.0, 4.0]])
    with tf.GradientTape() as tape:
        loss = losses.diversity(x_fake, x_fake2)
    grad_fake, grad_fake2 = tape.gradient(loss, [x_fake, x_fake2])
    np.testing.assert_allclose(grad_fake, [[0.5, -0.5]])
    assert grad_fake2 is None


@pytest.mark.parametrize("step, expected", [(0, 2.0), (25, 1.5), (99, 0.02), (100, 0.0), (5000, 0.0)])
def test_diversity_weight_decays_linearly_to_zero(step, expected):
    assert float(losses.diversity_weight(tf.constant(step, tf.int64), 2.0, 100)) == pytest.approx(expected)


def test_diversity_weight_without_decay_stays():
    assert float(losses.diversity_weight(tf.constant(7, tf.int64), 1.0, 0)) == 1.0

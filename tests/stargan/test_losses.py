"""Each loss on numbers worked out by hand; the gradient penalty against independent computations."""
import math

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.families.stargan import losses
from stargan_tf.data.labels import make_layout
from stargan_tf.families.stargan.discriminator import Discriminator


def test_wgan_losses_are_means_of_the_patch_map():
    src_real = tf.constant([[[[1.0], [3.0]]], [[[-2.0], [0.0]]]])  # [2, 1, 2, 1]: means 2 and -1
    src_fake = tf.constant([[[[0.5], [0.5]]], [[[4.0], [-2.0]]]])  # means 0.5 and 1
    loss_real, loss_fake = losses.wgan_d_losses(src_real, src_fake)
    np.testing.assert_allclose(loss_real, [-2.0, 1.0])
    np.testing.assert_allclose(loss_fake, [0.5, 1.0])
    np.testing.assert_allclose(losses.wgan_g_loss(src_fake), [-0.5, -1.0])


def test_multilabel_classification_sums_binary_cross_entropy_over_attributes():
    logits = tf.constant([[0.0, 2.0], [-1.0, 0.0]])
    labels = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    # BCE(z, y) = log(1 + e^z) - y z.
    expected = [math.log(2) + math.log(1 + math.e ** 2), math.log(1 + math.e ** -1) + math.log(2)]
    np.testing.assert_allclose(losses.multilabel_classification(logits, labels), expected, rtol=1e-6)


def test_onehot_classification_is_softmax_cross_entropy():
    logits = tf.constant([[1.0, 2.0, 3.0]])
    labels = tf.constant([[0.0, 0.0, 1.0]])
    expected = -math.log(math.e ** 3 / (math.e + math.e ** 2 + math.e ** 3))
    np.testing.assert_allclose(losses.onehot_classification(logits, labels), [expected], rtol=1e-6)


def test_domain_classification_scores_each_sample_only_on_its_own_dataset():
    layout = make_layout(("celeba", "rafd"), ("A", "B"), ("x", "y", "z"))
    logits = tf.constant([[0.0, 2.0, 9.0, -9.0, 9.0], [5.0, -5.0, 1.0, 2.0, 3.0]])
    celeba_label = layout.embed("celeba", np.array([[1.0, 0.0]]))
    rafd_label = layout.embed("rafd", np.array([[0.0, 0.0, 1.0]]))
    per_example = losses.domain_classification(logits, np.concatenate([celeba_label, rafd_label]), layout)
    celeba_expected = math.log(2) + math.log(1 + math.e ** 2)  # logits 9, -9, 9 are ignored
    rafd_expected = -math.log(math.e ** 3 / (math.e + math.e ** 2 + math.e ** 3))  # logits 5, -5 ignored
    np.testing.assert_allclose(per_example, [celeba_expected, rafd_expected], rtol=1e-6)


def test_reconstruction_is_mean_absolute_error_per_example():
    x = tf.zeros([2, 2, 2, 3])
    x_rec = tf.concat([tf.fill([1, 2, 2, 3], 0.5), tf.fill([1, 2, 2, 3], -2.0)], axis=0)
    np.testing.assert_allclose(losses.reconstruction(x, x_rec), [0.5, 2.0])


def test_interpolate_uses_alpha_per_example():
    x_real, x_fake = tf.ones([2, 1, 1, 1]), tf.zeros([2, 1, 1, 1])
    alpha = tf.constant([0.25, 1.0])[:, None, None, None]
    np.testing.assert_allclose(tf.reshape(losses.interpolate(x_real, x_fake, alpha), [-1]), [0.25, 1.0])


def test_gradient_penalty_of_a_linear_critic_is_known():
    w = tf.constant(np.random.default_rng(0).normal(size=(1, 3, 3, 2)), tf.float32)
    x_hat = tf.random.normal([4, 3, 3, 2])
    src_fn = lambda x: tf.reduce_sum(x * w, axis=[1, 2, 3])  # gradient is w for every sample  # noqa: E731
    expected = (np.linalg.norm(w.numpy()) - 1.0) ** 2
    np.testing.assert_allclose(losses.gradient_penalty(src_fn, x_hat), [expected] * 4, rtol=1e-5)


def test_gradient_penalty_norm_is_per_sample():
    # Critic x -> scale * sum(x), with a different scale per sample: norms differ per sample.
    x_hat = tf.zeros([2, 2, 2, 1])
    scales = tf.constant([0.5, 2.0])[:, None, None, None]
    penalty = losses.gradient_penalty(lambda x: x * scales, x_hat)
    # Gradient of sum over a 2x2x1 image: each pixel = scale, norm = 2 * scale.
    np.testing.assert_allclose(penalty, [(1.0 - 1.0) ** 2, (4.0 - 1.0) ** 2], rtol=1e-5)


def test_gradient_penalty_matches_finite_differences_on_a_tiny_discriminator():
    tf.keras.utils.set_random_seed(0)
    discriminator = Discriminator(8, 2, conv_dim=2, repeat_num=2)
    x = np.random.default_rng(3).uniform(-1, 1, (1, 8, 8, 3))
    src_sum = lambda images: float(tf.reduce_sum(discriminator(tf.constant(images, tf.float32))[0]))  # noqa: E731
    step, grad = 1e-2, np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        grad[index] = (src_sum(plus) - src_sum(minus)) / (2 * step)
    expected = (np.linalg.norm(grad) - 1.0) ** 2
    penalty = losses.gradient_penalty(lambda images: discriminator(images)[0], tf.constant(x, tf.float32))
    assert penalty.numpy()[0] == pytest.approx(expected, rel=1e-2)


def test_gradient_penalty_is_differentiable_with_respect_to_the_critic():
    discriminator = Discriminator(8, 2, conv_dim=2, repeat_num=2)
    x_hat = tf.random.normal([2, 8, 8, 3])
    with tf.GradientTape() as tape:
        penalty = tf.reduce_mean(losses.gradient_penalty(lambda images: discriminator(images)[0], x_hat))
    # The penalty involves D_src only, and biases only shift LeakyReLU's piecewise-constant slope: every kernel but
    # the D_cls head's gets a gradient, no bias does.
    kernels = [v for v in discriminator.trainable_variables if v.path.endswith("kernel") and "d_cls" not in v.path]
    biases = [v for v in discriminator.trainable_variables if v.path.endswith("bias")]
    assert (len(kernels), len(biases)) == (3, 2)
    grads = tape.gradient(penalty, kernels + biases)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads[:3]) and grads[3:] == [None, None]


def test_hinge_losses_are_means_of_the_hinged_patch_map():
    src_real = tf.constant([[[[0.5], [2.0]]], [[[-1.0], [0.0]]]])  # max(0, 1 - x): [0.5, 0] and [2, 1]
    src_fake = tf.constant([[[[0.5], [-2.0]]], [[[-0.5], [1.0]]]])  # max(0, 1 + x): [1.5, 0] and [0.5, 2]
    loss_real, loss_fake = losses.hinge_d_losses(src_real, src_fake)
    np.testing.assert_allclose(loss_real, [0.25, 1.5])
    np.testing.assert_allclose(loss_fake, [0.75, 1.25])
    d_losses, g_loss = losses.ADVERSARIAL_LOSSES["hinge"]
    assert d_losses is losses.hinge_d_losses
    np.testing.assert_allclose(g_loss(src_fake), [0.75, -0.25])  # -mean D(G(x, c))

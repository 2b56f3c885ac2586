"""StarGAN's losses as plain functions returning one value per example.

Per-example values let the training step average over the *global* batch (tf.nn.compute_average_loss), so
the same code is right on one device and across replicas.
"""
import tensorflow as tf

from stargan_tf.core.losses import mean_absolute_error, mean_per_example
from stargan_tf.data.labels import MULTILABEL, LabelLayout

_GP_EPSILON = 1e-12  # sqrt(sum + eps): a bare sqrt has an infinite gradient where the gradient is zero.


def wgan_d_losses(src_real, src_fake):
    """Wasserstein critic terms (loss_real, loss_fake): -mean D_src(x_real) and +mean D_src(x_fake)."""
    return -mean_per_example(src_real), mean_per_example(src_fake)


def wgan_g_loss(src_fake):
    """Wasserstein generator term: -mean D_src(G(x, c_trg))."""
    return -mean_per_example(src_fake)


def hinge_d_losses(src_real, src_fake):
    """Hinge critic terms (loss_real, loss_fake): mean max(0, 1 - D_src(x_real)) and mean max(0, 1 + D_src(x_fake)).

    That is -E[min(0, -1 + D(x))] and -E[min(0, -1 - D(G(x, c)))] (SAGAN), each patch of the map hinged on its own.
    """
    return (mean_per_example(tf.nn.relu(1.0 - tf.cast(src_real, tf.float32))),
            mean_per_example(tf.nn.relu(1.0 + tf.cast(src_fake, tf.float32))))


# Per adversarial loss (--adv_loss): the critic's (loss_real, loss_fake) and the generator's term. The hinge
# generator term, -E[D(G(x, c))], is the Wasserstein one.
ADVERSARIAL_LOSSES = {"wgan-gp": (wgan_d_losses, wgan_g_loss), "hinge": (hinge_d_losses, wgan_g_loss)}


def interpolate(x_real, x_fake, alpha):
    """x_hat = alpha * x_real + (1 - alpha) * x_fake, alpha [N,1,1,1] drawn per example."""
    alpha = tf.cast(alpha, x_real.dtype)
    return alpha * x_real + (1.0 - alpha) * tf.cast(x_fake, x_real.dtype)


def gradient_penalty(src_fn, x_hat, loss_scale=1.0):
    """(||d sum(D_src(x_hat)) / d x_hat||_2 - 1)^2 per example, the norm over all pixels of one sample.

    The gradient comes from a tape nested inside the caller's, so the penalty itself is differentiable.
    loss_scale multiplies the inner gradient's seed and divides its result: under float16 it keeps the
    inner backward pass from underflowing (the value is unchanged).
    """
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        src_sum = tf.reduce_sum(src_fn(x_hat)) * loss_scale
    grad = tf.cast(tape.gradient(src_sum, x_hat), tf.float32) / loss_scale
    norm = tf.sqrt(tf.reduce_sum(tf.reshape(tf.square(grad), [tf.shape(grad)[0], -1]), axis=1) + _GP_EPSILON)
    return tf.square(norm - 1.0)


def multilabel_classification(logits, labels):
    """Sigmoid binary cross-entropy summed over attributes (the official CelebA loss, per example)."""
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(labels, tf.float32), logits=logits)
    return tf.reduce_sum(bce, axis=1)


def onehot_classification(logits, labels):
    """Softmax cross-entropy against a one-hot label (the official RaFD loss, per example)."""
    return tf.nn.softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.float32), logits=logits)


def domain_classification(logits, labels, layout: LabelLayout):
    """Classification loss per example, each sample scored only on its own dataset's logits.

    With the mask vector, a CelebA sample's RaFD logits (and vice versa) get no loss: their labels are unknown.
    """
    logits = tf.cast(logits, tf.float32)
    labels = tf.cast(labels, tf.float32)
    total = tf.zeros([tf.shape(logits)[0]], tf.float32)
    for index, segment in enumerate(layout.segments):
        loss_fn = multilabel_classification if segment.kind == MULTILABEL else onehot_classification
        loss = loss_fn(logits[:, segment.offset:segment.stop], labels[:, segment.offset:segment.stop])
        if layout.with_mask:
            loss = loss * labels[:, layout.logit_dim + index]
        total += loss
    return total


def reconstruction(x_real, x_rec):
    """Mean absolute error between an image and its cycle reconstruction G(G(x, c_trg), c_org) (or, for the
    identity loss, its translation to its own labels G(x, c_org))."""
    return mean_absolute_error(x_real, x_rec)

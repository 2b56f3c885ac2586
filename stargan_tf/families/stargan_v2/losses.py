"""StarGAN v2's losses as plain functions returning one value per example (averaged over the global batch by
the training step, as the v1 losses are)."""
import tensorflow as tf

from stargan_tf.core.losses import mean_absolute_error


def adversarial(logits, target: float):
    """Non-saturating GAN loss: binary cross-entropy of D's logits [N] against target 1 (real) or 0 (fake)."""
    logits = tf.cast(logits, tf.float32)
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(logits), float(target)), logits=logits)


def r1_penalty(logit_fn, x_real, loss_scale=1.0):
    """(logits, R1) per example: 0.5 * sum over pixels of (d sum(D(x_real)) / d x_real)^2 (Mescheder et al.).

    Returns D's logits too, so the caller's real-image loss reuses the one forward pass. The gradient comes
    from a tape nested inside the caller's, so the penalty itself is differentiable. loss_scale keeps the
    inner backward pass from underflowing under float16 (the value is unchanged).
    """
    with tf.GradientTape() as tape:
        tape.watch(x_real)
        logits = logit_fn(x_real)
        logit_sum = tf.reduce_sum(tf.cast(logits, tf.float32)) * loss_scale
    grad = tf.cast(tape.gradient(logit_sum, x_real), tf.float32) / loss_scale
    return logits, 0.5 * tf.reduce_sum(tf.reshape(tf.square(grad), [tf.shape(grad)[0], -1]), axis=1)


def style_reconstruction(s_pred, s_target):
    """|E_y(G(x, s)) - s| averaged over the style dimensions."""
    return mean_absolute_error(s_target, s_pred)


def diversity(x_fake, x_fake2):
    """|G(x, s1) - G(x, s2)| averaged over pixels: the generator *maximises* it (subtracted, weighted by lambda_ds).

    x_fake2 is held constant, as in the official code, so only G(x, s1) is pushed away.
    """
    return mean_absolute_error(x_fake, tf.stop_gradient(x_fake2))


def cycle(x_real, x_rec):
    """|x - G(G(x, s), E_y_org(x))| averaged over pixels."""
    return mean_absolute_error(x_real, x_rec)


def diversity_weight(step, initial: float, ds_iter: int):
    """lambda_ds at a 0-based step: initial, decaying linearly to 0 at ds_iter (the official decrement per step)."""
    if ds_iter <= 0:
        return tf.constant(initial, tf.float32)
    fraction = 1.0 - tf.cast(step, tf.float32) / float(ds_iter)
    return tf.cast(initial, tf.float32) * tf.maximum(fraction, 0.0)

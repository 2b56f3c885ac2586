"""Learning-rate schedule of StarGAN: constant, then a linear decay over the last num_iters_decay iterations."""
import tensorflow as tf


def learning_rate_at(iteration, base_lr, num_iters, num_iters_decay, lr_update_step, mode="paper"):
    """The learning rate in force at `iteration` (0-based), recomputed every lr_update_step iterations.

    mode 'paper': linear to 0 at num_iters (the paper and the official code before 2018).
    mode 'official': the current official code, which subtracts base_lr / num_iters_decay once per
    lr_update_step inside the decay window, so with its defaults the rate barely moves.
    """
    iteration = tf.cast(iteration, tf.int64)
    update_step = tf.constant(lr_update_step, tf.int64)
    if num_iters_decay == 0:
        return tf.constant(base_lr, tf.float32)
    decay_start = num_iters - num_iters_decay
    if mode == "paper":
        quantized = tf.cast(iteration // update_step * update_step, tf.float32)
        fraction = tf.clip_by_value((num_iters - quantized) / num_iters_decay, 0.0, 1.0)
        return tf.cast(base_lr * fraction, tf.float32)
    if mode == "official":
        decrements = tf.maximum(iteration // update_step - decay_start // lr_update_step, 0)
        return tf.cast(tf.maximum(base_lr - tf.cast(decrements, tf.float64) * base_lr / num_iters_decay, 0.0),
                       tf.float32)
    raise ValueError(f"lr decay mode {mode!r}: expected 'paper' or 'official'")

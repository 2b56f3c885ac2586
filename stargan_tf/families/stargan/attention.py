"""SAGAN self-attention for the StarGAN variant: a block that lets every position look at the whole feature map."""
import keras
import tensorflow as tf


def spectrally_normalized(layer: keras.layers.Layer, enabled: bool) -> keras.layers.Layer:
    """The layer wrapped in keras.layers.SpectralNormalization when enabled (SAGAN normalizes all of D's convs).

    The wrapper divides the kernel by its largest singular value (one power iteration) in calls with
    training=True, and stores the result in the kernel.
    """
    if not enabled:
        return layer
    return keras.layers.SpectralNormalization(layer, name=f"{layer.name}_sn", dtype=layer.dtype_policy)


def conv1x1(filters: int, name: str, spectral_norm: bool = False, dtype=None) -> keras.layers.Layer:
    """A bias-free 1x1 convolution under the dtype policy `dtype` (None: the global policy)."""
    return spectrally_normalized(keras.layers.Conv2D(filters, 1, use_bias=False, name=name, dtype=dtype),
                                 spectral_norm)


@keras.saving.register_keras_serializable(package="stargan_tf")
class SelfAttention(keras.layers.Layer):
    """y = gamma * o + x, o_j = v(sum_i beta_{j,i} h(x_i)), beta_{j,i} = softmax_i(f(x_i) . g(x_j)) (SAGAN).

    f and g (key and query) have C/8 channels, h (value) C/2 and v maps back to C, as in the official SAGAN
    code. gamma starts at 0, so an untrained block is exactly the identity. Shapes are read from the tensor at
    run time, so one block serves any image size and exports with static shapes at a fixed one.
    """

    def __init__(self, spectral_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm = spectral_norm

    def build(self, input_shape):
        channels = input_shape[-1]
        key_channels, value_channels = max(1, channels // 8), max(1, channels // 2)
        # The block's own policy: build() may run outside the mixed-precision scope the block was created in.
        self.key, self.query, self.value, self.out = (
            conv1x1(filters, name, self.spectral_norm, self.dtype_policy)
            for filters, name in ((key_channels, "f"), (key_channels, "g"), (value_channels, "h"), (channels, "v")))
        for conv in (self.key, self.query, self.value):
            conv.build(input_shape)
        self.out.build(tuple(input_shape[:-1]) + (value_channels,))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, inputs, return_attention: bool = False):
        """inputs [N, H, W, C] -> outputs [N, H, W, C], and with return_attention the weights [N, H, W, H, W].

        attention[n, qy, qx] is the map of weights query position (qy, qx) gives every position; it sums to 1.
        """
        shape = tf.shape(inputs)
        height, width = shape[1], shape[2]
        positions = height * width

        def flat(conv):  # [N, H*W, channels]
            features = conv(inputs)
            return tf.reshape(features, [shape[0], positions, features.shape[-1]])

        keys, queries, values = flat(self.key), flat(self.query), flat(self.value)
        scores = tf.matmul(queries, keys, transpose_b=True)  # [N, j (query), i (key)] = g(x_j) . f(x_i)
        # Softmax in float32: under mixed precision exp overflows in 16 bits.
        weights = tf.nn.softmax(tf.cast(scores, tf.float32), axis=-1)
        attended = tf.matmul(tf.cast(weights, values.dtype), values)
        attended = tf.reshape(attended, [shape[0], height, width, values.shape[-1]])
        outputs = tf.cast(self.gamma, inputs.dtype) * self.out(attended) + inputs
        if return_attention:
            return outputs, tf.reshape(weights, [shape[0], height, width, height, width])
        return outputs

    def get_config(self):
        return {**super().get_config(), "spectral_norm": self.spectral_norm}


def apply_layers(layers, inputs):
    """Runs layers in order; returns (output, [attention weights of each SelfAttention among them, in order])."""
    h, maps = inputs, []
    for layer in layers:
        if isinstance(layer, SelfAttention):
            h, attention = layer(h, return_attention=True)
            maps.append(attention)
        else:
            h = layer(h)
    return h, maps

"""Layers the StarGAN networks are built from: the residual block, and D's LeakyReLU and matmul convolution (the
same functions as Keras's, computed in a way that is faster for training D here)."""
import keras
import tensorflow as tf

from stargan_tf.core.layers import InstanceNormalization


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


@keras.saving.register_keras_serializable(package="stargan_tf")
class LeakyReLU(keras.layers.Layer):
    """max(x, slope * x) computed as x * stop_gradient(1 or slope): same values and derivative as TF's op.

    Its derivative is piecewise constant; TF's LeakyRelu op still sends a gradient of zeros back through the
    forward pass when it is differentiated twice, so the gradient penalty's double backward ran a whole
    backward pass of zeros through D. Here the second derivative is None and that pass is never built.
    """

    def __init__(self, negative_slope: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = negative_slope

    def call(self, inputs):
        slope = tf.where(inputs > 0, tf.ones([], inputs.dtype), tf.constant(self.negative_slope, inputs.dtype))
        return inputs * tf.stop_gradient(slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@keras.saving.register_keras_serializable(package="stargan_tf")
class MatmulConv2D(keras.layers.Conv2D):
    """A Conv2D (channels_last, no dilation) computed as one matrix multiply of its input patches by the kernel.

    The same convolution with the same weights, summed in another order. For layers with few output positions
    and large kernels (D's last layers: 2x2 outputs, 33.5M weights at 128x128) oneDNN's convolution kernels
    spend their time reordering weights; a matmul runs the forward pass and the gradient penalty's double
    backward several times faster here. Needs inputs of known height and width.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data_format != "channels_last" or tuple(self.dilation_rate) != (1, 1):
            raise ValueError(f"{self.name}: MatmulConv2D supports channels_last without dilation only")

    def convolution_op(self, inputs, kernel):
        (kernel_h, kernel_w), (stride_h, stride_w) = self.kernel_size, self.strides
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        if height is None or width is None:
            raise ValueError(f"{self.name}: MatmulConv2D needs a known input height and width, got {inputs.shape}")
        out_h, pad_h = _output_size_and_padding(height, kernel_h, stride_h, self.padding)
        out_w, pad_w = _output_size_and_padding(width, kernel_w, stride_w, self.padding)
        padded = tf.pad(inputs, [[0, 0], [pad_h // 2, pad_h - pad_h // 2], [pad_w // 2, pad_w - pad_w // 2], [0, 0]])
        # patches[n, y, x, (i, j, c)] = padded[n, y * stride_h + i, x * stride_w + j, c]: the kernel's HWIO order.
        patches = tf.stack([padded[:, i:i + stride_h * (out_h - 1) + 1:stride_h,
                                   j:j + stride_w * (out_w - 1) + 1:stride_w, :]
                            for i in range(kernel_h) for j in range(kernel_w)], axis=3)
        outputs = tf.matmul(tf.reshape(patches, [-1, kernel_h * kernel_w * channels]),
                            tf.reshape(kernel, [kernel_h * kernel_w * channels, self.filters]))
        return tf.reshape(outputs, [-1, out_h, out_w, self.filters])


def _output_size_and_padding(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """Output size and total padding of one spatial axis, as TensorFlow's 'same' / 'valid' convolutions have."""
    if padding == "valid":
        return (size - kernel) // stride + 1, 0
    out = -(-size // stride)
    return out, max((out - 1) * stride + kernel - size, 0)

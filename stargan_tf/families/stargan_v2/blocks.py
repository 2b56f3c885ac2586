"""Building blocks of the StarGAN v2 networks, as in the official model: pre-activation residual blocks
(divided by sqrt(2) to keep unit variance), AdaIN residual blocks, the high-pass filter of the face skips, and
the conv trunk the style encoder and the discriminator share."""
import math

import keras
import tensorflow as tf

from stargan_tf.core.layers import InstanceNormalization, instance_norm

LEAKY_SLOPE = 0.2


def he_init():
    """torch.nn.init.kaiming_normal_(mode='fan_in', nonlinearity='relu'): an untruncated normal, std sqrt(2/fan_in).

    (keras.initializers.HeNormal truncates at two standard deviations.)
    """
    return keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="untruncated_normal")


def conv(filters: int, kernel_size: int, use_bias: bool = True, padding: str = "same", name=None):
    """A stride-1 convolution with He init and zero bias."""
    return keras.layers.Conv2D(filters, kernel_size, padding=padding, use_bias=use_bias,
                               kernel_initializer=he_init(), name=name)


def dense(units: int, name=None):
    """A linear layer with He init and zero bias."""
    return keras.layers.Dense(units, kernel_initializer=he_init(), name=name)


def leaky_relu(x):
    return tf.nn.leaky_relu(x, alpha=LEAKY_SLOPE)


def upsample(x):
    """Nearest-neighbour 2x upsampling (F.interpolate(scale_factor=2, mode='nearest'))."""
    return tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)


def downsample(x):
    """2x2 average pooling."""
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


class ResBlk(keras.layers.Layer):
    """Pre-activation residual block: [IN] -> LeakyReLU -> conv3x3 -> [avgpool] -> [IN] -> LeakyReLU -> conv3x3,
    plus a shortcut (1x1 conv without bias when the width changes, avgpool when downsampling), over sqrt(2)."""

    def __init__(self, dim_in: int, dim_out: int, normalize: bool = False, downsample: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.normalize, self.downsample = normalize, downsample
        self.conv1 = conv(dim_in, 3, name="conv1")
        self.conv2 = conv(dim_out, 3, name="conv2")
        if normalize:
            self.norm1 = InstanceNormalization(name="norm1")
            self.norm2 = InstanceNormalization(name="norm2")
        self.shortcut_conv = conv(dim_out, 1, use_bias=False, name="conv1x1") if dim_in != dim_out else None

    def _shortcut(self, x):
        if self.shortcut_conv is not None:
            x = self.shortcut_conv(x)
        return downsample(x) if self.downsample else x

    def _residual(self, x):
        if self.normalize:
            x = self.norm1(x)
        x = self.conv1(leaky_relu(x))
        if self.downsample:
            x = downsample(x)
        if self.normalize:
            x = self.norm2(x)
        return self.conv2(leaky_relu(x))

    def call(self, x):
        return (self._shortcut(x) + self._residual(x)) / math.sqrt(2.0)


class AdaIN(keras.layers.Layer):
    """Adaptive instance norm: (1 + gamma) * IN(x) + beta, with [gamma, beta] = Linear(style)."""

    def __init__(self, num_features: int, **kwargs):
        super().__init__(**kwargs)
        self.fc = dense(2 * num_features, name="fc")

    def call(self, x, style):
        h = tf.cast(self.fc(style), tf.float32)[:, None, None, :]
        gamma, beta = tf.split(h, 2, axis=-1)
        return instance_norm(x, 1.0 + gamma, beta)


class AdainResBlk(keras.layers.Layer):
    """AdaIN -> LeakyReLU -> [upsample] -> conv3x3 -> AdaIN -> LeakyReLU -> conv3x3, plus the shortcut over sqrt(2).

    With the high-pass face skips (use_shortcut=False) the official block returns the residual alone, and its
    1x1 shortcut convolution is never used; we do not create it (see the parameter counts in docs/stargan_v2.md).
    """

    def __init__(self, dim_in: int, dim_out: int, upsample: bool = False, use_shortcut: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.upsample, self.use_shortcut = upsample, use_shortcut
        self.norm1 = AdaIN(dim_in, name="norm1")
        self.conv1 = conv(dim_out, 3, name="conv1")
        self.norm2 = AdaIN(dim_out, name="norm2")
        self.conv2 = conv(dim_out, 3, name="conv2")
        learned_shortcut = use_shortcut and dim_in != dim_out
        self.shortcut_conv = conv(dim_out, 1, use_bias=False, name="conv1x1") if learned_shortcut else None

    def _shortcut(self, x):
        if self.upsample:
            x = upsample(x)
        return self.shortcut_conv(x) if self.shortcut_conv is not None else x

    def _residual(self, x, style):
        x = leaky_relu(self.norm1(x, style))
        if self.upsample:
            x = upsample(x)
        x = self.conv1(x)
        return self.conv2(leaky_relu(self.norm2(x, style)))

    def call(self, x, style):
        out = self._residual(x, style)
        if not self.use_shortcut:
            return out
        return (out + self._shortcut(x)) / math.sqrt(2.0)


def high_pass(x, w_hpf: float):
    """Depthwise 3x3 Laplacian-like filter [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]] / w_hpf, zero padding."""
    kernel = tf.constant([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]], x.dtype) / w_hpf
    channels = x.shape[-1]
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, channels, 1])
    return tf.nn.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="SAME")


def first_width(image_size: int, max_conv_dim: int = 512) -> int:
    """The official width of the first convolution: 2**14 // image_size (64 at 256), capped at max_conv_dim."""
    return min(2 ** 14 // image_size, max_conv_dim)


def select_domain(per_domain, domains):
    """[N, K, ...] outputs of every domain's head -> [N, ...] the head of each example's domain (int [N])."""
    return tf.gather(per_domain, tf.cast(domains, tf.int32), batch_dims=1)


class Trunk(keras.layers.Layer):
    """conv3x3 -> log2(S)-2 down ResBlks (no norm) -> LeakyReLU -> conv4x4 valid -> LeakyReLU: [N, width]."""

    def __init__(self, image_size: int, max_conv_dim: int = 512, dim_in: int = 0, **kwargs):
        super().__init__(**kwargs)
        width = dim_in or first_width(image_size, max_conv_dim)
        self.from_rgb = conv(width, 3, name="from_rgb")
        self.blocks = []
        for i in range(int(math.log2(image_size)) - 2):
            width_out = min(width * 2, max_conv_dim)
            self.blocks.append(ResBlk(width, width_out, downsample=True, name=f"block{i}"))
            width = width_out
        self.width = width
        self.conv_out = conv(width, 4, padding="valid", name="conv4x4")

    def call(self, images):
        x = self.from_rgb(images)
        for block in self.blocks:
            x = block(x)
        x = leaky_relu(self.conv_out(leaky_relu(x)))
        return tf.reshape(x, [-1, self.width])

"""The StarGAN generator: an image and a target-domain label in, the translated image out."""
import keras
import tensorflow as tf

from stargan_tf.families.stargan.attention import SelfAttention, apply_layers
from stargan_tf.families.stargan.config import generator_stages
from stargan_tf.core.layers import InstanceNormalization
from stargan_tf.families.stargan.layers import ResidualBlock


def tile_labels(images, labels):
    """Concatenates the label vector, repeated at every pixel, to the image channels."""
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    label_maps = tf.tile(tf.cast(labels, images.dtype)[:, None, None, :], [1, height, width, 1])
    return tf.concat([images, label_maps], axis=-1)


def inverse_tanh(images, limit: float = 0.995):
    """atanh of images clipped to [-limit, limit] (pure white or black would be infinite), written with log so
    TFLite's built-in ops run it."""
    x = tf.clip_by_value(images, -limit, limit)
    return 0.5 * tf.math.log((1.0 + x) / (1.0 - x))


def smoothed(images, factor: int):
    """images average-pooled by factor and resized back bilinearly: their colours without the detail (factor 1:
    the images themselves)."""
    if factor == 1:
        return images
    pooled = tf.nn.avg_pool2d(images, factor, factor, "VALID")
    return tf.image.resize(pooled, tf.shape(images)[1:3], method="bilinear")


@keras.saving.register_keras_serializable(package="stargan_tf")
class Generator(keras.Model):
    """7x7 conv, 2 stride-2 downsamplings, repeat_num residual blocks, 2 transposed convs, 7x7 conv + tanh.

    Every convolution has no bias and is followed by instance norm, as in the official model; zero padding
    throughout (reflection padding lets instance norm erase the label channels' effect). The self-attention
    variant puts a SelfAttention block after each stage named in attention_at (see config.generator_stages).
    With input_skip k > 0, the last convolution is added to the pre-tanh value of the input, average-pooled by k
    and resized back (k = 1: the input itself): tanh(atanh(smooth_k(x)) + conv). G then outputs a change to the
    image, so what no loss asks to change (a background's colour) is kept by default.
    """

    def __init__(self, c_dim: int, conv_dim: int = 64, repeat_num: int = 6, attention_at=(), input_skip: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.c_dim, self.conv_dim, self.repeat_num, self.input_skip = c_dim, conv_dim, repeat_num, input_skip
        stages = generator_stages(repeat_num)
        unknown = sorted(set(attention_at) - set(stages))
        if unknown:
            raise ValueError(f"Generator attention_at names unknown stages {unknown}; the stages are "
                             f"{', '.join(stages)}")
        self.attention_at = tuple(stage for stage in stages if stage in attention_at)  # in network order

        def attention_after(stage):  # appended after the stage's layers (nothing in the paper's model)
            return [SelfAttention(name=f"attention_{stage}")] if stage in self.attention_at else []

        self.encoder = [keras.layers.Conv2D(conv_dim, 7, padding="same", use_bias=False, name="conv_in"),
                        InstanceNormalization(name="norm_in"), keras.layers.ReLU()] + attention_after("conv_in")
        dim = conv_dim
        for i in range(2):
            self.encoder += [keras.layers.Conv2D(dim * 2, 4, strides=2, padding="same", use_bias=False,
                                                 name=f"down{i}"),
                             InstanceNormalization(name=f"down{i}_norm"), keras.layers.ReLU()]
            self.encoder += attention_after(f"down{i}")
            dim *= 2
        self.bottleneck = []
        for i in range(repeat_num):
            self.bottleneck += [ResidualBlock(dim, name=f"res{i}")] + attention_after(f"res{i}")
        self.decoder = []
        for i in range(2):
            self.decoder += [keras.layers.Conv2DTranspose(dim // 2, 4, strides=2, padding="same", use_bias=False,
                                                          name=f"up{i}"),
                             InstanceNormalization(name=f"up{i}_norm"), keras.layers.ReLU()]
            self.decoder += attention_after(f"up{i}")
            dim //= 2
        self.to_rgb = keras.layers.Conv2D(3, 7, padding="same", use_bias=False, name="conv_out")

    def call(self, images, labels, return_attention=False):
        """Translated images [N, H, W, 3] in [-1, 1]; with return_attention also the attention weights of each
        block, in order ([N, h, w, h, w] each, see SelfAttention)."""
        h, maps = apply_layers(self.encoder + self.bottleneck + self.decoder, tile_labels(images, labels))
        logits = tf.cast(self.to_rgb(h), tf.float32)
        if self.input_skip:
            logits += inverse_tanh(smoothed(tf.cast(images, tf.float32), self.input_skip))
        outputs = tf.tanh(logits)
        return (outputs, maps) if return_attention else outputs

    def get_config(self):
        return {"c_dim": self.c_dim, "conv_dim": self.conv_dim, "repeat_num": self.repeat_num,
                "attention_at": list(self.attention_at), "input_skip": self.input_skip, "name": self.name}

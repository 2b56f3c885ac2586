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


@keras.saving.register_keras_serializable(package="stargan_tf")
class Generator(keras.Model):
    """7x7 conv, 2 stride-2 downsamplings, repeat_num residual blocks, 2 transposed convs, 7x7 conv + tanh.

    Every convolution has no bias and is followed by instance norm, as in the official model; zero padding
    throughout (reflection padding lets instance norm erase the label channels' effect). The self-attention
    variant puts a SelfAttention block after each stage named in attention_at (see config.generator_stages).
    """

    def __init__(self, c_dim: int, conv_dim: int = 64, repeat_num: int = 6, attention_at=(), **kwargs):
        super().__init__(**kwargs)
        self.c_dim, self.conv_dim, self.repeat_num = c_dim, conv_dim, repeat_num
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
        outputs = tf.tanh(tf.cast(self.to_rgb(h), tf.float32))
        return (outputs, maps) if return_attention else outputs

    def get_config(self):
        return {"c_dim": self.c_dim, "conv_dim": self.conv_dim, "repeat_num": self.repeat_num,
                "attention_at": list(self.attention_at), "name": self.name}

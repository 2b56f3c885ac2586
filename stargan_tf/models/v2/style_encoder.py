"""The StarGAN v2 style encoder E and discriminator D: one conv trunk shape, per-domain heads."""
import math

import keras
import tensorflow as tf

from stargan_tf.models.v2.blocks import ResBlk, conv, dense, leaky_relu
from stargan_tf.models.v2.generator import first_width
from stargan_tf.models.v2.mapping import select_domain


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


@keras.saving.register_keras_serializable(package="stargan_tf")
class StyleEncoder(keras.Model):
    """E_y(x): the trunk, then one Linear(width -> style_dim) head per domain."""

    def __init__(self, num_domains: int, image_size: int = 256, style_dim: int = 64, max_conv_dim: int = 512,
                 dim_in: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_domains, self.image_size, self.style_dim, self.max_conv_dim, self.dim_in = (
            num_domains, image_size, style_dim, max_conv_dim, dim_in)
        self.trunk = Trunk(image_size, max_conv_dim, dim_in, name="trunk")
        self.heads = [dense(style_dim, name=f"domain{k}") for k in range(num_domains)]

    def call(self, images, domains):
        """images [N,S,S,3], domains int [N] -> styles [N, style_dim] float32."""
        h = self.trunk(images)
        return select_domain(tf.stack([tf.cast(head(h), tf.float32) for head in self.heads], axis=1), domains)

    def get_config(self):
        return {"num_domains": self.num_domains, "image_size": self.image_size, "style_dim": self.style_dim,
                "max_conv_dim": self.max_conv_dim, "dim_in": self.dim_in, "name": self.name}


@keras.saving.register_keras_serializable(package="stargan_tf")
class Discriminator(keras.Model):
    """D_y(x): the trunk, then a 1x1 conv (a Linear on the 1x1 map) to one real/fake logit per domain."""

    def __init__(self, num_domains: int, image_size: int = 256, max_conv_dim: int = 512, dim_in: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_domains, self.image_size, self.max_conv_dim, self.dim_in = (num_domains, image_size, max_conv_dim,
                                                                             dim_in)
        self.trunk = Trunk(image_size, max_conv_dim, dim_in, name="trunk")
        self.head = dense(num_domains, name="logits")

    def call(self, images, domains):
        """images [N,S,S,3], domains int [N] -> logits [N] float32 of each image's domain."""
        return select_domain(tf.cast(self.head(self.trunk(images)), tf.float32), domains)

    def get_config(self):
        return {"num_domains": self.num_domains, "image_size": self.image_size, "max_conv_dim": self.max_conv_dim,
                "dim_in": self.dim_in, "name": self.name}

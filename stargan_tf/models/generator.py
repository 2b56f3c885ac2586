"""The StarGAN generator: an image and a target-domain label in, the translated image out."""
import keras
import tensorflow as tf

from stargan_tf.layers import InstanceNormalization, ResidualBlock


def tile_labels(images, labels):
    """Concatenates the label vector, repeated at every pixel, to the image channels."""
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    label_maps = tf.tile(tf.cast(labels, images.dtype)[:, None, None, :], [1, height, width, 1])
    return tf.concat([images, label_maps], axis=-1)


@keras.saving.register_keras_serializable(package="stargan_tf")
class Generator(keras.Model):
    """7x7 conv, 2 stride-2 downsamplings, repeat_num residual blocks, 2 transposed convs, 7x7 conv + tanh.

    Every convolution has no bias and is followed by instance norm, as in the official model; zero padding
    throughout (reflection padding lets instance norm erase the label channels' effect).
    """

    def __init__(self, c_dim: int, conv_dim: int = 64, repeat_num: int = 6, **kwargs):
        super().__init__(**kwargs)
        self.c_dim, self.conv_dim, self.repeat_num = c_dim, conv_dim, repeat_num
        self.encoder = [keras.layers.Conv2D(conv_dim, 7, padding="same", use_bias=False, name="conv_in"),
                        InstanceNormalization(name="norm_in"), keras.layers.ReLU()]
        dim = conv_dim
        for i in range(2):
            self.encoder += [keras.layers.Conv2D(dim * 2, 4, strides=2, padding="same", use_bias=False,
                                                 name=f"down{i}"),
                             InstanceNormalization(name=f"down{i}_norm"), keras.layers.ReLU()]
            dim *= 2
        self.bottleneck = [ResidualBlock(dim, name=f"res{i}") for i in range(repeat_num)]
        self.decoder = []
        for i in range(2):
            self.decoder += [keras.layers.Conv2DTranspose(dim // 2, 4, strides=2, padding="same", use_bias=False,
                                                          name=f"up{i}"),
                             InstanceNormalization(name=f"up{i}_norm"), keras.layers.ReLU()]
            dim //= 2
        self.to_rgb = keras.layers.Conv2D(3, 7, padding="same", use_bias=False, name="conv_out")

    def call(self, images, labels):
        h = tile_labels(images, labels)
        for layer in self.encoder + self.bottleneck + self.decoder:
            h = layer(h)
        return tf.tanh(tf.cast(self.to_rgb(h), tf.float32))

    def get_config(self):
        return {"c_dim": self.c_dim, "conv_dim": self.conv_dim, "repeat_num": self.repeat_num,
                "name": self.name}

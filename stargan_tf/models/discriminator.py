"""The StarGAN discriminator: a PatchGAN real/fake map (D_src) and domain logits (D_cls) from one trunk."""
import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="stargan_tf")
class Discriminator(keras.Model):
    """repeat_num 4x4 stride-2 convs with LeakyReLU(0.01), no normalization, then the two heads."""

    def __init__(self, image_size: int, c_dim: int, conv_dim: int = 64, repeat_num: int = 6, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.c_dim, self.conv_dim, self.repeat_num = image_size, c_dim, conv_dim, repeat_num
        self.trunk = []
        for i in range(repeat_num):
            self.trunk += [keras.layers.Conv2D(conv_dim * 2 ** i, 4, strides=2, padding="same", name=f"conv{i}"),
                           keras.layers.LeakyReLU(negative_slope=0.01)]
        kernel_size = image_size // 2 ** repeat_num
        self.src_head = keras.layers.Conv2D(1, 3, padding="same", use_bias=False, name="d_src")
        self.cls_head = keras.layers.Conv2D(c_dim, kernel_size, padding="valid", use_bias=False, name="d_cls")

    def call(self, images):
        """Returns (src [N, H/2^r, W/2^r, 1] float32, cls logits [N, c_dim] float32)."""
        h = images
        for layer in self.trunk:
            h = layer(h)
        src = tf.cast(self.src_head(h), tf.float32)
        cls = tf.cast(self.cls_head(h), tf.float32)
        return src, tf.reshape(cls, [-1, self.c_dim])

    def get_config(self):
        return {"image_size": self.image_size, "c_dim": self.c_dim, "conv_dim": self.conv_dim,
                "repeat_num": self.repeat_num, "name": self.name}

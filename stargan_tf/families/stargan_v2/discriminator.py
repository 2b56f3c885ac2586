"""The StarGAN v2 discriminator D_y(x): the shared conv trunk, then one real/fake logit per domain."""
import keras
import tensorflow as tf

from stargan_tf.families.stargan_v2.blocks import Trunk, dense, select_domain


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

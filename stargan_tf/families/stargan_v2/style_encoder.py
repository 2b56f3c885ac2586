"""The StarGAN v2 style encoder E_y(x): the shared conv trunk, then one style head per domain."""
import keras
import tensorflow as tf

from stargan_tf.families.stargan_v2.blocks import Trunk, dense, select_domain


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

"""The StarGAN v2 mapping network F: a latent code z -> shared MLP -> one head per domain -> style s."""
import keras
import tensorflow as tf

from stargan_tf.families.stargan_v2.blocks import dense, select_domain


@keras.saving.register_keras_serializable(package="stargan_tf")
class MappingNetwork(keras.Model):
    """4 x (Linear hidden_dim + ReLU) shared, then per domain 3 x (Linear + ReLU) + Linear to style_dim.

    Each domain's branch has its own layers: nothing is shared between branches.
    """

    def __init__(self, num_domains: int, latent_dim: int = 16, style_dim: int = 64, hidden_dim: int = 512,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_domains, self.latent_dim, self.style_dim, self.hidden_dim = (num_domains, latent_dim, style_dim,
                                                                             hidden_dim)
        self.shared = keras.Sequential([layer for i in range(4) for layer in
                                        (dense(hidden_dim, name=f"shared{i}"), keras.layers.ReLU())], name="shared")
        self.unshared = [keras.Sequential([layer for i in range(3) for layer in
                                           (dense(hidden_dim, name=f"fc{i}"), keras.layers.ReLU())]
                                          + [dense(style_dim, name="style")], name=f"domain{k}")
                         for k in range(num_domains)]

    def call(self, z, domains):
        """z [N, latent_dim], domains int [N] -> styles [N, style_dim] float32."""
        h = self.shared(z)
        styles = tf.stack([tf.cast(branch(h), tf.float32) for branch in self.unshared], axis=1)
        return select_domain(styles, domains)

    def get_config(self):
        return {"num_domains": self.num_domains, "latent_dim": self.latent_dim, "style_dim": self.style_dim,
                "hidden_dim": self.hidden_dim, "name": self.name}

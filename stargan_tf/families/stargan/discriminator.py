"""The StarGAN discriminator: a PatchGAN real/fake map (D_src) and domain logits (D_cls) from one trunk."""
import keras
import tensorflow as tf

from stargan_tf.families.stargan.attention import SelfAttention, apply_layers, spectrally_normalized
from stargan_tf.families.stargan.config import discriminator_stages
from stargan_tf.families.stargan.layers import LeakyReLU, MatmulConv2D

# Convolutions with at most this many output positions run as matmuls (MatmulConv2D): D's last layers, where
# oneDNN's convolutions are 4-8x slower than a matmul (measured at 128x128, batch 16, both precisions).
MATMUL_MAX_POSITIONS = 4


def conv_class(output_size: int) -> type:
    """The Conv2D class for a layer with output_size x output_size outputs."""
    return MatmulConv2D if output_size ** 2 <= MATMUL_MAX_POSITIONS else keras.layers.Conv2D


@keras.saving.register_keras_serializable(package="stargan_tf")
class Discriminator(keras.Model):
    """repeat_num 4x4 stride-2 convs with LeakyReLU(0.01), no normalization, then the two heads.

    The last convolutions compute as matmuls and LeakyReLU has no second derivative (stargan_tf.families.stargan.layers): the
    same network as the official one, faster to train with the gradient penalty on CPUs.

    The self-attention variant puts a SelfAttention block after each conv named in attention_at (conv0, conv1,
    ...), and spectral_norm wraps every convolution in keras.layers.SpectralNormalization, as SAGAN does. Spectral
    normalization updates its weights only in calls with training=True.
    """

    def __init__(self, image_size: int, c_dim: int, conv_dim: int = 64, repeat_num: int = 6, attention_at=(),
                 spectral_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.c_dim, self.conv_dim, self.repeat_num = image_size, c_dim, conv_dim, repeat_num
        stages = discriminator_stages(repeat_num)
        unknown = sorted(set(attention_at) - set(stages))
        if unknown:
            raise ValueError(f"Discriminator attention_at names unknown stages {unknown}; the stages are "
                             f"{', '.join(stages)}")
        self.attention_at = tuple(stage for stage in stages if stage in attention_at)  # in network order
        self.spectral_norm = spectral_norm
        self.trunk = []
        for i in range(repeat_num):
            conv = conv_class(image_size // 2 ** (i + 1))(conv_dim * 2 ** i, 4, strides=2, padding="same",
                                                          name=f"conv{i}")
            self.trunk += [spectrally_normalized(conv, spectral_norm), LeakyReLU(negative_slope=0.01)]
            if f"conv{i}" in self.attention_at:
                self.trunk.append(SelfAttention(spectral_norm=spectral_norm, name=f"attention_conv{i}"))
        kernel_size = image_size // 2 ** repeat_num
        self.src_head = spectrally_normalized(
            conv_class(kernel_size)(1, 3, padding="same", use_bias=False, name="d_src"), spectral_norm)
        self.cls_head = spectrally_normalized(
            conv_class(1)(c_dim, kernel_size, padding="valid", use_bias=False, name="d_cls"), spectral_norm)

    def call(self, images, return_attention=False):
        """Returns (src [N, H/2^r, W/2^r, 1] float32, cls logits [N, c_dim] float32), and with return_attention
        also the attention weights of each block, in order ([N, h, w, h, w] each, see SelfAttention)."""
        h, maps = apply_layers(self.trunk, images)
        src = tf.cast(self.src_head(h), tf.float32)
        cls = tf.reshape(tf.cast(self.cls_head(h), tf.float32), [-1, self.c_dim])
        return (src, cls, maps) if return_attention else (src, cls)

    def get_config(self):
        return {"image_size": self.image_size, "c_dim": self.c_dim, "conv_dim": self.conv_dim,
                "repeat_num": self.repeat_num, "attention_at": list(self.attention_at),
                "spectral_norm": self.spectral_norm, "name": self.name}

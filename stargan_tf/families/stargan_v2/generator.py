"""The StarGAN v2 generator G(x, s): an encoder of residual blocks, a decoder of AdaIN blocks driven by a style."""
import math

import keras
import tensorflow as tf

from stargan_tf.core.layers import InstanceNormalization
from stargan_tf.families.stargan_v2.blocks import AdainResBlk, ResBlk, conv, first_width, high_pass, leaky_relu


@keras.saving.register_keras_serializable(package="stargan_tf")
class Generator(keras.Model):
    """conv3x3 -> down ResBlks (IN) -> 2 bottleneck ResBlks -> 2 bottleneck AdainResBlks -> up AdainResBlks
    -> IN -> LeakyReLU -> conv1x1 to RGB. The output has no tanh, as in the official model.

    w_hpf > 0 adds the official face path: one more down/up level, decoder blocks without shortcuts, and
    high-pass-filtered encoder features, gated by face-landmark masks, added at sizes S/8, S/4 and S/2.
    """

    def __init__(self, image_size: int = 256, style_dim: int = 64, max_conv_dim: int = 512, w_hpf: float = 0.0,
                 dim_in: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.style_dim, self.max_conv_dim, self.w_hpf = image_size, style_dim, max_conv_dim, w_hpf
        self.dim_in = dim_in or first_width(image_size, max_conv_dim)
        repeat_num = int(math.log2(image_size)) - 4 + (1 if w_hpf > 0 else 0)
        if repeat_num < 0:
            raise ValueError(f"image_size={image_size}: StarGAN v2 needs at least 16 pixels")
        use_shortcut = not w_hpf > 0
        self.from_rgb = conv(self.dim_in, 3, name="from_rgb")
        self.encode, decode = [], []
        width = self.dim_in
        for i in range(repeat_num):
            width_out = min(width * 2, max_conv_dim)
            self.encode.append(ResBlk(width, width_out, normalize=True, downsample=True, name=f"encode{i}"))
            decode.insert(0, AdainResBlk(width_out, width, upsample=True, use_shortcut=use_shortcut,
                                         name=f"decode{repeat_num + 1 - i}"))
            width = width_out
        for i in range(2):
            self.encode.append(ResBlk(width, width, normalize=True, name=f"encode{repeat_num + i}"))
            decode.insert(0, AdainResBlk(width, width, use_shortcut=use_shortcut, name=f"decode{1 - i}"))
        self.decode = decode
        self.to_rgb_norm = InstanceNormalization(name="to_rgb_norm")
        self.to_rgb = conv(3, 1, name="to_rgb")

    def call(self, images, styles, masks=None):
        """images [N,S,S,3] in [-1,1], styles [N,style_dim]; masks (coarse, fine) [N,h,w,1] only with w_hpf > 0."""
        x = self.from_rgb(images)
        skip_sizes = {self.image_size // 2, self.image_size // 4, self.image_size // 8}
        cache = {}
        for block in self.encode:
            if masks is not None and x.shape[1] in skip_sizes:
                cache[x.shape[1]] = x
            x = block(x)
        for block in self.decode:
            x = block(x, styles)
            if masks is not None and x.shape[1] in cache:
                mask = masks[0] if x.shape[1] == self.image_size // 8 else masks[1]
                mask = tf.image.resize(tf.cast(mask, x.dtype), [x.shape[1], x.shape[2]], method="bilinear")
                x = x + high_pass(mask * cache[x.shape[1]], self.w_hpf)
        return tf.cast(self.to_rgb(leaky_relu(self.to_rgb_norm(x))), tf.float32)

    def get_config(self):
        return {"image_size": self.image_size, "style_dim": self.style_dim, "max_conv_dim": self.max_conv_dim,
                "w_hpf": self.w_hpf, "dim_in": self.dim_in, "name": self.name}

"""LPIPS (Zhang et al., CVPR 2018) as the official StarGAN v2 evaluation computes it, from local weight files.

ImageNet AlexNet features after each of its 5 ReLUs, each position's channel vector scaled to unit length,
squared differences weighted by the learned per-channel LPIPS weights (a 1x1 conv to 1 channel), averaged over
positions and summed over the 5 layers. Both weight files are PyTorch state_dicts read without torch: the
AlexNet ImageNet weights (torchvision's `alexnet-owt-*.pth`, keys `features.<i>.weight/bias`) and the LPIPS
linear layers (the lpips package's `weights/v0.1/alex.pth`, keys `lin<k>.model.1.weight`, or the official
StarGAN v2 `metrics/lpips_weights.ckpt`, keys `lpips_weights.<k>.main.1.weight`). Nothing is downloaded.
"""
from __future__ import annotations

import re

import numpy as np
import tensorflow as tf

from stargan_tf.core.config import ConfigError
from stargan_tf.interop.torch_checkpoint import CheckpointError, read_state_dict

# torchvision AlexNet `features`: (index, kernel, stride, padding) of each conv; a ReLU follows every conv and a
# 3x3 / 2 max pool follows the first two (the last pool feeds no ReLU, so LPIPS never needs it).
ALEXNET_CONVS = ((0, 11, 4, 2), (3, 5, 1, 2), (6, 3, 1, 1), (8, 3, 1, 1), (10, 3, 1, 1))
POOLED = (True, True, False, False, False)
ALEXNET_CHANNELS = (64, 192, 384, 256, 256)
# The lpips package's input scaling for images in [-1, 1] (the official StarGAN v2 code uses the same numbers).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
MIN_SIZE = 31  # Smaller images leave the second max pool an empty map.
LINEAR_KEY = re.compile(r"(?:^|\.)(?:lin(\d)\.model|lpips_weights\.(\d)\.main)\.1\.weight$")
ALEXNET_KEY = re.compile(r"(?:^|\.)features\.(\d+)\.(weight|bias)$")


class LPIPS:
    """lpips(x, y) -> [N] distances between image batches [N, S, S, 3] in [-1, 1] (S >= 31).

    `features` and `distance` split it, so the distances between many outputs of one image reuse one AlexNet
    pass per output.
    """

    def __init__(self, alexnet: list[tuple[np.ndarray, np.ndarray]], linear: list[np.ndarray]):
        """alexnet: (kernel [kH, kW, in, out], bias [out]) of the 5 convs; linear: the 5 weight vectors [C]."""
        self.convs = [(tf.constant(kernel, tf.float32), tf.constant(bias, tf.float32)) for kernel, bias in alexnet]
        self.linear = [tf.constant(weights, tf.float32) for weights in linear]

    def features(self, images) -> list:
        """Unit-normalised (over channels) AlexNet maps after each ReLU: 5 tensors [N, h, w, C]."""
        images = tf.convert_to_tensor(images, tf.float32)
        # Checked here, outside the traced function (its shapes are relaxed): a too small image crashes oneDNN.
        if min(images.shape[1], images.shape[2]) < MIN_SIZE:
            raise ValueError(f"LPIPS needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels (AlexNet's pools), "
                             f"got {images.shape[1]}x{images.shape[2]}")
        return self._features(images)

    @tf.function(reduce_retracing=True)
    def _features(self, images) -> list:
        x = (images - SHIFT) / SCALE
        maps = []
        for (_, _, stride, padding), (kernel, bias), pooled in zip(ALEXNET_CONVS, self.convs, POOLED):
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, stride, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
                           + bias)
            maps.append(x * tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=-1, keepdims=True) + 1e-10))
            if pooled:
                x = tf.nn.max_pool2d(x, 3, 2, "VALID")
        return maps

    def distance(self, features1, features2) -> np.ndarray:
        """LPIPS [N] between two images' `features`."""
        total = 0.0
        for map1, map2, weights in zip(features1, features2, self.linear):
            total += tf.reduce_mean(tf.reduce_sum(tf.square(map1 - map2) * weights, axis=-1), axis=[1, 2])
        return np.asarray(total)

    def __call__(self, images1, images2) -> np.ndarray:
        return self.distance(self.features(images1), self.features(images2))


def _read(path: str, flag: str) -> dict:
    try:
        return read_state_dict(path)
    except CheckpointError as error:
        raise ConfigError(f"{flag}={path}: {error}") from None


def alexnet_weights(path: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The 5 AlexNet convs of a torchvision AlexNet state_dict, as Keras-layout (kernel, bias) pairs."""
    state = _read(path, "--alexnet_weights")
    found = {(int(match.group(1)), match.group(2)): value for key, value in state.items()
             if (match := ALEXNET_KEY.search(key))}
    convs = []
    for (index, kernel_size, _, _), channels in zip(ALEXNET_CONVS, ALEXNET_CHANNELS):
        kernel, bias = found.get((index, "weight")), found.get((index, "bias"))
        if kernel is None or bias is None or kernel.shape[0] != channels or kernel.shape[2:] != (kernel_size,) * 2:
            raise ConfigError(f"--alexnet_weights={path}: expected torchvision AlexNet weights with features.{index}."
                              f"weight [{channels}, *, {kernel_size}, {kernel_size}] and features.{index}.bias, got "
                              f"{None if kernel is None else list(kernel.shape)}")
        convs.append((np.transpose(kernel, (2, 3, 1, 0)), bias))
    return convs


def linear_weights(path: str) -> list[np.ndarray]:
    """The 5 LPIPS channel-weight vectors of an lpips `alex.pth` or official `lpips_weights.ckpt`."""
    state = _read(path, "--lpips_weights")
    found = {int(match.group(1) or match.group(2)): value for key, value in state.items()
             if (match := LINEAR_KEY.search(key))}
    weights = []
    for k, channels in enumerate(ALEXNET_CHANNELS):
        value = found.get(k)
        if value is None or value.size != channels:
            raise ConfigError(f"--lpips_weights={path}: expected the AlexNet LPIPS weights, lin{k}.model.1.weight "
                              f"(or lpips_weights.{k}.main.1.weight) of shape [1, {channels}, 1, 1], got "
                              f"{None if value is None else list(value.shape)}")
        weights.append(value.reshape(channels))
    return weights


def load_lpips(alexnet_path: str, lpips_path: str) -> LPIPS:
    """LPIPS from the two local weight files (see the module docstring)."""
    return LPIPS(alexnet_weights(alexnet_path), linear_weights(lpips_path))

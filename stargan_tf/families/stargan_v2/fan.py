"""The face-landmark network (FAN) of official StarGAN v2, whose heatmaps give the masks of the high-pass face path.

The official CelebA-HQ generator (w_hpf 1) adds high-pass-filtered encoder features inside masks of the eyes, nose
and mouth, computed from the 98-landmark heatmaps of a pretrained FAN (`wing.ckpt`, from AdaptiveWingLoss): one
hourglass of depth 4 after a stem of CoordConv and residual blocks, in inference mode. `face_masks` reproduces the
official `FAN.get_heatmap` (resize to 256, heatmaps, per-part shifts and powers) in TensorFlow, so the masks can
live inside an exported graph.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.interop.torch_checkpoint import CheckpointError, read_state_dicts
from stargan_tf.interop.torch_layout import layer_weights, load_official_weights

INPUT_SIZE, HEATMAP_SIZE, LANDMARKS = 256, 64, 98
BN_EPSILON = 1e-5  # torch.nn.BatchNorm2d's


def _bn(name: str) -> keras.layers.BatchNormalization:
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=name)


def _conv(filters: int, kernel: int, use_bias: bool, name: str) -> keras.layers.Conv2D:
    return keras.layers.Conv2D(filters, kernel, padding="same", use_bias=use_bias, name=name)


def coordinates(size: int) -> tf.Tensor:
    """[1, size, size, 3] CoordConv channels: row and column positions in [-1, 1] and the radius scaled to [0, 1]."""
    line = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    rows, columns = np.meshgrid(line, line, indexing="ij")
    radius = np.sqrt(rows ** 2 + columns ** 2)
    return tf.constant(np.stack([rows, columns, radius / radius.max()], -1)[None])


class ConvBlock(keras.layers.Layer):
    """Pre-activation block of three 3x3 convolutions (out/2, out/4, out/4 channels, concatenated) + shortcut."""

    def __init__(self, channels_in: int, channels_out: int, **kwargs):
        super().__init__(**kwargs)
        half, quarter = channels_out // 2, channels_out // 4
        self.bn1, self.conv1 = _bn("bn1"), _conv(half, 3, False, "conv1")
        self.bn2, self.conv2 = _bn("bn2"), _conv(quarter, 3, False, "conv2")
        self.bn3, self.conv3 = _bn("bn3"), _conv(quarter, 3, False, "conv3")
        self.shortcut_bn = self.shortcut_conv = None
        if channels_in != channels_out:
            self.shortcut_bn, self.shortcut_conv = _bn("downsample_0"), _conv(channels_out, 1, False, "downsample_2")

    def call(self, x):
        out1 = self.conv1(tf.nn.relu(self.bn1(x, training=False)))
        out2 = self.conv2(tf.nn.relu(self.bn2(out1, training=False)))
        out3 = self.conv3(tf.nn.relu(self.bn3(out2, training=False)))
        if self.shortcut_conv is not None:
            x = self.shortcut_conv(tf.nn.relu(self.shortcut_bn(x, training=False)))
        return tf.concat([out1, out2, out3], -1) + x

    def official_weights(self, prefix: str) -> dict:
        weights = {}
        for name in ("bn1", "conv1", "bn2", "conv2", "bn3", "conv3"):
            weights.update(layer_weights(f"{prefix}.{name}", getattr(self, name)))
        if self.shortcut_conv is not None:
            weights.update(layer_weights(f"{prefix}.downsample.0", self.shortcut_bn))
            weights.update(layer_weights(f"{prefix}.downsample.2", self.shortcut_conv))
        return weights


def _pool(x):
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


class FAN(keras.Model):
    """The official one-module FAN: [N,256,256,3] images in [0, 1] -> [N,64,64,99] heatmaps (98 landmarks and a
    boundary map). BatchNorm always uses its stored statistics (the official network runs in eval mode)."""

    def __init__(self, depth: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth
        self.stem_pad = keras.layers.ZeroPadding2D(3)  # the official 7x7 stride-2 convolution pads 3 on every side
        self.stem = keras.layers.Conv2D(64, 7, strides=2, name="conv1_conv")
        self.stem_bn = _bn("bn1")
        self.blocks = [ConvBlock(64, 128, name="conv2"), ConvBlock(128, 128, name="conv3"),
                       ConvBlock(128, 256, name="conv4")]
        self.hourglass_in = _conv(256, 1, True, "m0_coordconv_conv")
        # Hourglass level -> (b1: skip branch, b2: before the next level, b3: after it); b2_plus at the bottom.
        self.hourglass = {level: [ConvBlock(256, 256, name=f"m0_{branch}_{level}") for branch in ("b1", "b2", "b3")]
                          for level in range(1, depth + 1)}
        self.bottom = ConvBlock(256, 256, name="m0_b2_plus_1")
        self.top = ConvBlock(256, 256, name="top_m_0")
        self.conv_last, self.bn_end = _conv(256, 1, True, "conv_last0"), _bn("bn_end0")
        self.head = _conv(LANDMARKS + 1, 1, True, "l0")

    def _level(self, level: int, x):
        skip, down, up = self.hourglass[level]
        low = down(_pool(x))
        low = self._level(level - 1, low) if level > 1 else self.bottom(low)
        low = up(low)
        return skip(x) + tf.repeat(tf.repeat(low, 2, axis=1), 2, axis=2)  # nearest-neighbour x2

    def call(self, images):
        x = tf.concat([images, tf.tile(coordinates(INPUT_SIZE), [tf.shape(images)[0], 1, 1, 1])], -1)
        x = tf.nn.relu(self.stem_bn(self.stem(self.stem_pad(x)), training=False))
        x = _pool(self.blocks[0](x))
        x = self.blocks[2](self.blocks[1](x))
        x = tf.concat([x, tf.tile(coordinates(HEATMAP_SIZE), [tf.shape(x)[0], 1, 1, 1])], -1)
        x = self.top(self._level(self.depth, self.hourglass_in(x)))
        return self.head(tf.nn.relu(self.bn_end(self.conv_last(x), training=False)))

    def official_weights(self) -> dict:
        """Official state_dict key -> our variable (BatchNorm running statistics included)."""
        weights = {**layer_weights("conv1.conv", self.stem), **layer_weights("bn1", self.stem_bn),
                   **layer_weights("m0.coordconv.conv", self.hourglass_in),
                   **layer_weights("conv_last0", self.conv_last), **layer_weights("bn_end0", self.bn_end),
                   **layer_weights("l0", self.head), **self.bottom.official_weights("m0.b2_plus_1"),
                   **self.top.official_weights("top_m_0")}
        for index, block in enumerate(self.blocks, start=2):
            weights.update(block.official_weights(f"conv{index}"))
        for level, branches in self.hourglass.items():
            for branch, block in zip(("b1", "b2", "b3"), branches):
                weights.update(block.official_weights(f"m0.{branch}_{level}"))
        return weights


def load_fan_weights(fan: FAN, path: str) -> None:
    """Assigns an official `wing.ckpt` ({'state_dict': ...}) to a FAN; keys of other modules, which the official
    loader skips too, are ignored. CheckpointError naming each missing or misshapen tensor."""
    state = read_state_dicts(path, only=("state_dict",)).get("state_dict")
    if state is None:
        raise CheckpointError(f"{path}: expected the official wing.ckpt, a dict with a 'state_dict'")
    state = {key.removeprefix("module."): value for key, value in state.items()}
    if not fan.built:
        fan(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 3]))
    weights = fan.official_weights()
    load_official_weights(weights, {key: value for key, value in state.items() if key in weights}, path)


def load_fan(path: str) -> FAN:
    """A FAN with the weights of an official `wing.ckpt`."""
    fan = FAN()
    load_fan_weights(fan, path)
    return fan


def landmarks(fan: FAN, images):
    """[N,98,2] landmark (x, y) of uint8 or [-1, 1] images [N,H,W,3] in their pixel coordinates (pixel centres at
    +0.5), as the official `get_landmark`: the image resized to 256, each heatmap's peak moved a quarter cell
    towards its larger neighbour, scaled back to the image."""
    images = tf.convert_to_tensor(images)
    if images.dtype == tf.uint8:
        images = tf.cast(images, tf.float32) / 127.5 - 1.0
    x = tf.image.resize(images, [INPUT_SIZE, INPUT_SIZE], method="bilinear")
    heatmaps = tf.transpose(fan(x * 0.5 + 0.5)[..., :LANDMARKS], [0, 3, 1, 2])  # [N,98,64,64]
    flat = tf.reshape(heatmaps, [tf.shape(heatmaps)[0], LANDMARKS, HEATMAP_SIZE * HEATMAP_SIZE])
    peak = tf.argmax(flat, axis=-1, output_type=tf.int32)
    row, column = peak // HEATMAP_SIZE, peak % HEATMAP_SIZE
    inner = (row > 0) & (row < HEATMAP_SIZE - 1) & (column > 0) & (column < HEATMAP_SIZE - 1)

    def at(rows, columns):
        last = HEATMAP_SIZE - 1
        index = tf.clip_by_value(rows, 0, last) * HEATMAP_SIZE + tf.clip_by_value(columns, 0, last)
        return tf.gather(flat, index, batch_dims=2)

    step_x = tf.sign(at(row, column + 1) - at(row, column - 1))
    step_y = tf.sign(at(row + 1, column) - at(row - 1, column))
    cell = tf.stack([tf.cast(column, tf.float32) + 0.25 * tf.where(inner, step_x, 0.0),
                     tf.cast(row, tf.float32) + 0.25 * tf.where(inner, step_y, 0.0)], -1)
    # The official landmark at 256 px is 4 * (cell + 0.5) with pixel centres at integers; ours are at +0.5.
    scale = tf.cast(tf.stack([tf.shape(images)[2], tf.shape(images)[1]]), tf.float32) / INPUT_SIZE
    return ((cell + 0.5) * (INPUT_SIZE / HEATMAP_SIZE) + 0.5) * scale


# Landmark index ranges of the 98-point layout (WFLW), [start, end), as the official mask code groups them.
CHIN, EYEBROWS, NOSE, NOSTRILS, EYES = (8, 25), (33, 51), (51, 55), (55, 60), (60, 76)
LIP_UPPER, LIP_LOWER, LIP_INNER, LIP_EDGES = (77, 82), (83, 88), (88, 96), (76, 82)
# Part -> (rows to shift the heatmaps up (+) or down (-) at 256 px, power) of the official preprocessing.
PART_OPERATIONS = ((CHIN, 0, 3), (EYEBROWS, -7, 2), (NOSTRILS, 8, 4), (LIP_UPPER, -8, 4), (LIP_LOWER, 8, 4),
                   (LIP_INNER, -2, 3))
ZEROED = tuple(range(0, CHIN[0])) + tuple(range(CHIN[1], 33)) + (EYEBROWS[0], 46, LIP_EDGES[0], LIP_EDGES[1])


def _shift(x, rows: int):
    """Heatmaps [N,H,W,C] moved up by `rows` (down when negative), wrapping around, as the official `shift`."""
    return tf.roll(x, -rows, axis=1)


def masks_from_heatmaps(heatmaps):
    """[N,256,256,98] heatmaps -> (coarse, fine) masks [N,256,256,1] in [0, 1], as the official `preprocess`: small
    values cut, each map min-max normalised, parts shifted and sharpened, all summed; the fine mask leaves out
    the chin line, lips and eyebrows."""
    x = tf.where(heatmaps < 0.1, 0.0, heatmaps)
    low = tf.reduce_min(x, axis=[1, 2], keepdims=True)
    x = (x - low) / (tf.reduce_max(x, axis=[1, 2], keepdims=True) - low + 1e-6)
    channels = tf.unstack(x, axis=-1)

    def update(part, function):
        start, end = part
        channels[start:end] = tf.unstack(function(tf.stack(channels[start:end], -1)), axis=-1)

    for part, rows, power in PART_OPERATIONS:
        update(part, lambda maps, rows=rows, power=power: _shift(maps, rows) ** power)
    for index in ZEROED:
        channels[index] = tf.zeros_like(channels[index])
    update((NOSE[0] + 1, NOSE[1]), lambda maps: _shift(maps, 4))
    update(EYES, lambda maps: _shift(maps, -8) ** 3 + _shift(maps, -24))
    coarse = tf.add_n(channels)
    fine = tf.add_n([channel for index, channel in enumerate(channels)
                     if not (CHIN[0] <= index < CHIN[1] or LIP_EDGES[0] <= index < LIP_INNER[1]
                             or EYEBROWS[0] <= index < EYEBROWS[1])])
    coarse, fine = (tf.where(tf.math.is_nan(mask), 0.0, mask) for mask in (coarse, fine))
    return tf.clip_by_value(coarse, 0.0, 1.0)[..., None], tf.clip_by_value(fine, 0.0, 1.0)[..., None]


def heatmaps_256(fan: FAN, images):
    """[N,256,256,98] landmark heatmaps of images [N,S,S,3] in [-1, 1], as the official `get_heatmap` makes them:
    the images resized to 256 (bilinear), the FAN's 64 px heatmaps upsampled 4x (bilinear, corners aligned)."""
    x = tf.image.resize(tf.cast(images, tf.float32), [INPUT_SIZE, INPUT_SIZE], method="bilinear")
    heatmaps = fan(x * 0.5 + 0.5)[..., :LANDMARKS]
    return tf.raw_ops.ResizeBilinear(images=heatmaps, size=[INPUT_SIZE, INPUT_SIZE], align_corners=True)


def face_masks(fan: FAN, images):
    """The generator's (coarse, fine) masks [N,256,256,1] for images [N,S,S,3] in [-1, 1]."""
    return masks_from_heatmaps(heatmaps_256(fan, images))

"""The official StarGAN v2 face-landmark network (FAN, one hourglass) and its mask computation, rebuilt in PyTorch
with the official module names, so that its state_dict has wing.ckpt's keys and layouts. Test-only: needs PyTorch.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from stargan_tf.families.stargan_v2 import fan as keras_fan


def _coords(x):
    """x with row, column (in [-1, 1]) and radius (max 1) channels appended, NCHW."""
    n, _, h, w = x.shape
    rows = torch.linspace(-1, 1, h)[:, None].expand(h, w)
    columns = torch.linspace(-1, 1, w)[None, :].expand(h, w)
    radius = torch.sqrt(rows ** 2 + columns ** 2)
    coords = torch.stack([rows, columns, radius / radius.max()])[None].expand(n, 3, h, w)
    return torch.cat([x, coords], 1)


class CoordConv(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels + 3, out_channels, kernel_size, stride, padding)

    def forward(self, x):
        return self.conv(_coords(x))


class ConvBlock(nn.Module):
    def __init__(self, planes_in: int, planes_out: int):
        super().__init__()
        half, quarter = planes_out // 2, planes_out // 4
        self.bn1, self.conv1 = nn.BatchNorm2d(planes_in), nn.Conv2d(planes_in, half, 3, 1, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(half), nn.Conv2d(half, quarter, 3, 1, 1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(quarter), nn.Conv2d(quarter, quarter, 3, 1, 1, bias=False)
        self.downsample = (nn.Sequential(nn.BatchNorm2d(planes_in), nn.ReLU(), nn.Conv2d(planes_in, planes_out, 1,
                                                                                          bias=False))
                           if planes_in != planes_out else None)

    def forward(self, x):
        a = self.conv1(F.relu(self.bn1(x)))
        b = self.conv2(F.relu(self.bn2(a)))
        c = self.conv3(F.relu(self.bn3(b)))
        return torch.cat([a, b, c], 1) + (self.downsample(x) if self.downsample is not None else x)


class HourGlass(nn.Module):
    def __init__(self, depth: int = 4):
        super().__init__()
        self.depth = depth
        self.coordconv = CoordConv(256, 256, 1)
        for level in range(1, depth + 1):
            for branch in ("b1", "b2", "b3"):
                self.add_module(f"{branch}_{level}", ConvBlock(256, 256))
        self.add_module("b2_plus_1", ConvBlock(256, 256))

    def level(self, level: int, x):
        low = getattr(self, f"b2_{level}")(F.avg_pool2d(x, 2))
        low = self.level(level - 1, low) if level > 1 else self.b2_plus_1(low)
        low = getattr(self, f"b3_{level}")(low)
        return getattr(self, f"b1_{level}")(x) + F.interpolate(low, scale_factor=2, mode="nearest")

    def forward(self, x):
        return self.level(self.depth, self.coordconv(x))


class FAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CoordConv(3, 64, 7, 2, 3)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2, self.conv3, self.conv4 = ConvBlock(64, 128), ConvBlock(128, 128), ConvBlock(128, 256)
        self.m0, self.top_m_0 = HourGlass(), ConvBlock(256, 256)
        self.conv_last0, self.bn_end0 = nn.Conv2d(256, 256, 1), nn.BatchNorm2d(256)
        self.l0 = nn.Conv2d(256, keras_fan.LANDMARKS + 1, 1)

    def forward(self, x):
        x = F.avg_pool2d(self.conv2(F.relu(self.bn1(self.conv1(x)))), 2)
        x = self.top_m_0(self.m0(self.conv4(self.conv3(x))))
        return self.l0(F.relu(self.bn_end0(self.conv_last0(x))))


def _shift(x, rows: int):
    return torch.roll(x, -rows, dims=2)


@torch.no_grad()
def heatmaps_256(fan: FAN, images):
    """[N,98,256,256] heatmaps of NCHW images in [-1, 1], as the official get_heatmap computes them."""
    x = F.interpolate(images, size=keras_fan.INPUT_SIZE, mode="bilinear")
    heatmaps = fan(x * 0.5 + 0.5)[:, :keras_fan.LANDMARKS]
    return F.interpolate(heatmaps, scale_factor=4, mode="bilinear", align_corners=True)


@torch.no_grad()
def masks_from_heatmaps(x):
    """(coarse, fine) masks [N,1,256,256] of [N,98,256,256] heatmaps, the official `preprocess`."""
    x = torch.where(x < 0.1, torch.zeros_like(x), x)
    flat = x.flatten(2)
    low, high = flat.min(2, keepdim=True)[0], flat.max(2, keepdim=True)[0]
    x = ((flat - low) / (high - low + 1e-6)).view_as(x).clone()
    for (start, end), rows, power in keras_fan.PART_OPERATIONS:
        x[:, start:end] = _shift(x[:, start:end], rows) ** power
    x[:, list(keras_fan.ZEROED)] = 0
    x[:, keras_fan.NOSE[0] + 1:keras_fan.NOSE[1]] = _shift(x[:, keras_fan.NOSE[0] + 1:keras_fan.NOSE[1]], 4)
    start, end = keras_fan.EYES
    x[:, start:end] = _shift(x[:, start:end], -8) ** 3 + _shift(x[:, start:end], -24)
    x2 = x.clone()
    for start, end in (keras_fan.CHIN, (keras_fan.LIP_EDGES[0], keras_fan.LIP_INNER[1]), keras_fan.EYEBROWS):
        x2[:, start:end] = 0
    coarse, fine = x.sum(1, keepdim=True), x2.sum(1, keepdim=True)
    return torch.nan_to_num(coarse).clamp(0, 1), torch.nan_to_num(fine).clamp(0, 1)


def randomize(model: nn.Module, seed: int) -> nn.Module:
    """Random weights and BatchNorm statistics (so that a test of the eval-mode mapping can fail), eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            values = torch.randn(tensor.shape, generator=generator)
            if name.endswith("running_var"):
                values = 0.5 + values.abs()
            elif name.endswith("weight") and tensor.ndim == 1:  # BatchNorm scales
                values = 1 + 0.1 * values
            else:
                values = values * (2.0 / max(1, tensor[0].numel())) ** 0.5 if tensor.ndim > 1 else 0.1 * values
            tensor.copy_(values)
    return model.eval()


@torch.no_grad()
def get_landmark(fan: FAN, images):
    """[N,98,2] landmarks of NCHW images in [-1, 1] at 256 px, the official `FAN.get_landmark` (with the official
    `get_preds_fromhm`): pixel units with pixel centres at integers."""
    x = F.interpolate(images, size=keras_fan.INPUT_SIZE, mode="bilinear")
    hm = fan(x * 0.5 + 0.5)[:, :keras_fan.LANDMARKS]
    _, idx = torch.max(hm.view(hm.size(0), hm.size(1), hm.size(2) * hm.size(3)), 2)
    idx += 1
    preds = idx.view(idx.size(0), idx.size(1), 1).repeat(1, 1, 2).float()
    preds[..., 0].apply_(lambda value: (value - 1) % hm.size(3) + 1)
    preds[..., 1].add_(-1).div_(hm.size(2)).floor_().add_(1)
    for i in range(preds.size(0)):
        for j in range(preds.size(1)):
            hm_ = hm[i, j, :]
            px, py = int(preds[i, j, 0]) - 1, int(preds[i, j, 1]) - 1
            if 0 < px < 63 and 0 < py < 63:
                diff = torch.FloatTensor([hm_[py, px + 1] - hm_[py, px - 1], hm_[py + 1, px] - hm_[py - 1, px]])
                preds[i, j].add_(diff.sign_().mul_(.25))
    preds.add_(-0.5)
    return preds * (images.size(2) // hm.size(2))


def landmarks2mat(landmarks, reference):
    """The official FaceAligner.landmarks2mat: the 3x3 matrix taking a face's 98 landmarks onto the reference's
    (translation to the mean, rotation of the eyes-and-mouth x axis, scale from the eyes and mouth corners)."""
    def xaxis(points):
        eye_left = points[list(range(60, 68)) + [96]].mean(0)
        eye_right = points[list(range(68, 76)) + [97]].mean(0)
        xp = eye_right - eye_left
        yp = (eye_left + eye_right) * 0.5 - (points[76] + points[82]) * 0.5
        axis = xp - np.array([yp[1], -yp[0]])
        return axis / np.linalg.norm(axis)

    def translation(point, sign):
        matrix = np.eye(3)
        matrix[:2, 2] = sign * point
        return matrix

    vec_x, vec_y = xaxis(landmarks), xaxis(reference)
    c = np.dot(vec_x, vec_y)
    s = np.sqrt(1 - c * c) * np.sign(vec_x[0] * vec_y[1] - vec_x[1] * vec_y[0])
    rotation = np.array(((c, -s, 0), (s, c, 0), (0, 0, 1)))
    x_norms = np.linalg.norm(landmarks - landmarks.mean(0), axis=1)
    y_norms = np.linalg.norm(reference - reference.mean(0), axis=1)
    scale = np.eye(3)
    scale[0, 0] = scale[1, 1] = (y_norms / x_norms)[[96, 97, 76, 82]].mean()
    return translation(reference.mean(0), 1) @ scale @ rotation @ translation(landmarks.mean(0), -1)


@torch.no_grad()
def sharpen(fan: FAN, seed: int, size: int = 32) -> FAN:
    """Lowers the heatmap biases so that only about the top 0.5% of each random-weight heatmap passes the masks' 0.1
    cut (measured on two seeded noise images of `size` px): the masks then cover part of the image and move with
    it, as a trained FAN's do, where random weights alone saturate them to 1."""
    probe = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    heatmaps = heatmaps_256(fan, probe).transpose(0, 1).reshape(keras_fan.LANDMARKS, -1)
    fan.l0.bias[:keras_fan.LANDMARKS] -= torch.quantile(heatmaps[:, ::7], 0.995, dim=1) - 0.1
    return fan

"""The official StarGAN networks rebuilt in PyTorch from their documented layout, to test and benchmark against.

Module and parameter names follow the official checkpoints exactly (`main.<index>`, `conv1`, `conv2`), so a
state_dict of these models has the keys, shapes and tensor layout of a real `200000-G.ckpt` / `200000-D.ckpt`.
Written from the layout described in issue 8 (no code taken from the official repository). Needs PyTorch
(`pip install -e .[test]`); the importer itself does not.
"""
import torch
from torch import nn


def _instance_norm(channels: int) -> nn.InstanceNorm2d:
    # Affine with tracked running stats, as the official model; it stays in train mode, so instance stats are used.
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=True)


class ResidualBlock(nn.Module):
    """x + (Conv3x3-IN-ReLU-Conv3x3-IN)(x), its layers at `main.{0,1,2,3,4}`."""

    def __init__(self, channels: int):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), _instance_norm(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), _instance_norm(channels))

    def forward(self, x):
        return x + self.main(x)


class Generator(nn.Module):
    """One `main` Sequential: 7x7 conv, two 4x4 stride-2 convs, residual blocks, two transposed convs, 7x7 conv."""

    def __init__(self, c_dim: int, conv_dim: int = 64, repeat_num: int = 6):
        super().__init__()
        layers = [nn.Conv2d(3 + c_dim, conv_dim, 7, 1, 3, bias=False), _instance_norm(conv_dim), nn.ReLU()]
        dim = conv_dim
        for _ in range(2):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1, bias=False), _instance_norm(dim * 2), nn.ReLU()]
            dim *= 2
        layers += [ResidualBlock(dim) for _ in range(repeat_num)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(dim, dim // 2, 4, 2, 1, bias=False), _instance_norm(dim // 2), nn.ReLU()]
            dim //= 2
        layers += [nn.Conv2d(dim, 3, 7, 1, 3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, c):
        """x: [N, 3, H, W] in [-1, 1]; c: [N, c_dim] labels, tiled over the image and appended as channels."""
        c = c[:, :, None, None].expand(-1, -1, x.size(2), x.size(3))
        return self.main(torch.cat([x, c], dim=1))


class Discriminator(nn.Module):
    """`main`: repeat_num 4x4 stride-2 convs with LeakyReLU(0.01); heads `conv1` (D_src) and `conv2` (D_cls)."""

    def __init__(self, image_size: int, c_dim: int, conv_dim: int = 64, repeat_num: int = 6):
        super().__init__()
        layers, dim = [], 3
        for i in range(repeat_num):
            layers += [nn.Conv2d(dim, conv_dim * 2 ** i, 4, 2, 1), nn.LeakyReLU(0.01)]
            dim = conv_dim * 2 ** i
        self.main = nn.Sequential(*layers)
        self.conv1 = nn.Conv2d(dim, 1, 3, 1, 1, bias=False)
        self.conv2 = nn.Conv2d(dim, c_dim, image_size // 2 ** repeat_num, bias=False)

    def forward(self, x):
        """Returns (src [N, 1, h, w], cls [N, c_dim])."""
        h = self.main(x)
        return self.conv1(h), self.conv2(h).view(h.size(0), -1)


def randomize(model: nn.Module, seed: int) -> nn.Module:
    """Fills every parameter (instance-norm scales and offsets too) with seeded random values; returns the model.

    Weights are scaled by 1/sqrt(fan-in) so activations stay in a range where float32 differences are meaningful.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            values = torch.randn(parameter.shape, generator=generator)
            if parameter.dim() == 4:
                fan_in = parameter.shape[1] * parameter.shape[2] * parameter.shape[3]
                if isinstance(_owner(model, name), nn.ConvTranspose2d):
                    fan_in = parameter.shape[0] * parameter.shape[2] * parameter.shape[3] // 4
                values /= fan_in ** 0.5
            elif name.endswith("weight"):  # instance-norm scale: around 1, never the default exactly
                values = 1.0 + 0.2 * values
            else:
                values = 0.1 * values
            parameter.copy_(values)
    return model


def _owner(model: nn.Module, parameter_name: str) -> nn.Module:
    return model.get_submodule(parameter_name.rsplit(".", 1)[0])

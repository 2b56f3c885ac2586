"""The official StarGAN v2 networks and training iteration rebuilt in PyTorch, to test our Keras v2 against.

Module and parameter names follow the official checkpoints (`from_rgb`, `encode.<i>.conv1`, `decode.<i>.norm1.fc`,
`shared.<i>`, `unshared.<k>`, `main.<i>`), so state_dicts have the official keys, shapes and layouts. Widths are
parameters (the official code fixes them from the image size: first width 2**14 // size, at most 512, mapping
width 512) so that tests can run tiny networks. Written from the official model's documented behaviour (no code
taken from it). Test-only: needs PyTorch.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from stargan_tf.interop import torch_reference_fan as reference_fan

IN_EPSILON = 1e-5


def official_width(image_size: int) -> int:
    """The official first width, 2**14 // image_size."""
    return 2 ** 14 // image_size


class ResBlk(nn.Module):
    """Pre-activation block ([IN] LeakyReLU conv3x3 [avgpool] [IN] LeakyReLU conv3x3) + shortcut, over sqrt(2)."""

    def __init__(self, dim_in: int, dim_out: int, normalize: bool = False, downsample: bool = False):
        super().__init__()
        self.normalize, self.downsample = normalize, downsample
        self.conv1 = nn.Conv2d(dim_in, dim_in, 3, padding=1)
        self.conv2 = nn.Conv2d(dim_in, dim_out, 3, padding=1)
        if normalize:
            self.norm1 = nn.InstanceNorm2d(dim_in, affine=True)
            self.norm2 = nn.InstanceNorm2d(dim_in, affine=True)
        if dim_in != dim_out:
            self.conv1x1 = nn.Conv2d(dim_in, dim_out, 1, bias=False)

    def forward(self, x):
        shortcut = self.conv1x1(x) if hasattr(self, "conv1x1") else x
        h = self.norm1(x) if self.normalize else x
        h = self.conv1(F.leaky_relu(h, 0.2))
        if self.downsample:
            shortcut, h = F.avg_pool2d(shortcut, 2), F.avg_pool2d(h, 2)
        h = self.norm2(h) if self.normalize else h
        return (shortcut + self.conv2(F.leaky_relu(h, 0.2))) / math.sqrt(2)


class AdaIN(nn.Module):
    """(1 + gamma) * IN(x) + beta, [gamma, beta] = fc(style); the parameters are `fc`'s."""

    def __init__(self, style_dim: int, channels: int):
        super().__init__()
        self.fc = nn.Linear(style_dim, 2 * channels)

    def forward(self, x, style):
        gamma, beta = self.fc(style)[:, :, None, None].chunk(2, dim=1)
        return (1 + gamma) * F.instance_norm(x, eps=IN_EPSILON) + beta


class AdainResBlk(nn.Module):
    """AdaIN LeakyReLU [upsample] conv3x3 AdaIN LeakyReLU conv3x3 + ([upsample] [conv1x1]) shortcut, over sqrt(2)."""

    def __init__(self, dim_in: int, dim_out: int, style_dim: int, upsample: bool = False, w_hpf: float = 0.0):
        super().__init__()
        self.upsample, self.w_hpf = upsample, w_hpf
        self.conv1 = nn.Conv2d(dim_in, dim_out, 3, padding=1)
        self.conv2 = nn.Conv2d(dim_out, dim_out, 3, padding=1)
        self.norm1 = AdaIN(style_dim, dim_in)
        self.norm2 = AdaIN(style_dim, dim_out)
        if dim_in != dim_out:
            self.conv1x1 = nn.Conv2d(dim_in, dim_out, 1, bias=False)

    def forward(self, x, style):
        h = F.leaky_relu(self.norm1(x, style), 0.2)
        if self.upsample:
            h, x = F.interpolate(h, scale_factor=2, mode="nearest"), F.interpolate(x, scale_factor=2, mode="nearest")
        h = self.conv2(F.leaky_relu(self.norm2(self.conv1(h), style), 0.2))
        if self.w_hpf > 0:  # the face path replaces the shortcut (conv1x1, when there is one, goes unused)
            return h
        shortcut = self.conv1x1(x) if hasattr(self, "conv1x1") else x
        return (h + shortcut) / math.sqrt(2)


class Generator(nn.Module):
    """from_rgb, `encode` (down ResBlks with IN, 2 bottleneck), `decode` (2 bottleneck, up AdainResBlks),
    to_rgb = Sequential(IN affine, LeakyReLU, conv1x1); no tanh. w_hpf > 0: one more level, and the encoder's
    features at S/8 (masks[0]), S/4 and S/2 (masks[1]) added to the decoder's through a high-pass filter."""

    def __init__(self, image_size: int, style_dim: int = 64, max_conv_dim: int = 512, dim_in: int = 0,
                 w_hpf: float = 0.0):
        super().__init__()
        self.image_size, self.w_hpf = image_size, w_hpf
        width = dim_in or official_width(image_size)
        self.from_rgb = nn.Conv2d(3, width, 3, padding=1)
        self.encode, self.decode = nn.ModuleList(), nn.ModuleList()
        first = width
        for _ in range(int(math.log2(image_size)) - 4 + (1 if w_hpf > 0 else 0)):
            width_out = min(width * 2, max_conv_dim)
            self.encode.append(ResBlk(width, width_out, normalize=True, downsample=True))
            self.decode.insert(0, AdainResBlk(width_out, width, style_dim, upsample=True, w_hpf=w_hpf))
            width = width_out
        for _ in range(2):
            self.encode.append(ResBlk(width, width, normalize=True))
            self.decode.insert(0, AdainResBlk(width, width, style_dim, w_hpf=w_hpf))
        self.to_rgb = nn.Sequential(nn.InstanceNorm2d(first, affine=True), nn.LeakyReLU(0.2), nn.Conv2d(first, 3, 1))

    def high_pass(self, x):
        kernel = torch.tensor([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]]) / self.w_hpf
        return F.conv2d(x, kernel[None, None].repeat(x.shape[1], 1, 1, 1), padding=1, groups=x.shape[1])

    def forward(self, x, style, masks=None):
        sizes = (self.image_size // 8, self.image_size // 4, self.image_size // 2)
        x, cache = self.from_rgb(x), {}
        for block in self.encode:
            if masks is not None and x.shape[2] in sizes:
                cache[x.shape[2]] = x
            x = block(x)
        for block in self.decode:
            x = block(x, style)
            if masks is not None and x.shape[2] in sizes:
                mask = F.interpolate(masks[0] if x.shape[2] == sizes[0] else masks[1], size=x.shape[2],
                                     mode="bilinear")
                x = x + self.high_pass(mask * cache[x.shape[2]])
        return self.to_rgb(x)


def _select(per_domain, domains):
    """[N, K, ...] -> [N, ...]: each example's own domain's output."""
    return per_domain[torch.arange(domains.size(0)), domains]


class MappingNetwork(nn.Module):
    """`shared`: 4 x (Linear, ReLU); `unshared.<k>`: 3 x (Linear, ReLU) + Linear to style_dim, per domain."""

    def __init__(self, num_domains: int, latent_dim: int = 16, style_dim: int = 64, hidden_dim: int = 512):
        super().__init__()
        shared = []
        for index in range(4):
            shared += [nn.Linear(latent_dim if index == 0 else hidden_dim, hidden_dim), nn.ReLU()]
        self.shared = nn.Sequential(*shared)
        self.unshared = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
                          nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, style_dim))
            for _ in range(num_domains))

    def forward(self, z, domains):
        h = self.shared(z)
        return _select(torch.stack([branch(h) for branch in self.unshared], dim=1), domains)


def _trunk(image_size: int, max_conv_dim: int, dim_in: int) -> tuple[list, int]:
    """The layers E and D share: conv3x3, down ResBlks, LeakyReLU, conv4x4 (valid), LeakyReLU; and the width."""
    width = dim_in or official_width(image_size)
    layers = [nn.Conv2d(3, width, 3, padding=1)]
    for _ in range(int(math.log2(image_size)) - 2):
        width_out = min(width * 2, max_conv_dim)
        layers.append(ResBlk(width, width_out, downsample=True))
        width = width_out
    return layers + [nn.LeakyReLU(0.2), nn.Conv2d(width, width, 4), nn.LeakyReLU(0.2)], width


class StyleEncoder(nn.Module):
    """`shared` trunk, then `unshared.<k>`: Linear(width, style_dim) per domain."""

    def __init__(self, num_domains: int, image_size: int, style_dim: int = 64, max_conv_dim: int = 512,
                 dim_in: int = 0):
        super().__init__()
        layers, width = _trunk(image_size, max_conv_dim, dim_in)
        self.shared = nn.Sequential(*layers)
        self.unshared = nn.ModuleList(nn.Linear(width, style_dim) for _ in range(num_domains))

    def forward(self, x, domains):
        h = self.shared(x).flatten(1)
        return _select(torch.stack([head(h) for head in self.unshared], dim=1), domains)


class Discriminator(nn.Module):
    """`main`: the trunk and a 1x1 convolution to one logit per domain; returns each image's own domain's logit."""

    def __init__(self, num_domains: int, image_size: int, max_conv_dim: int = 512, dim_in: int = 0):
        super().__init__()
        layers, width = _trunk(image_size, max_conv_dim, dim_in)
        self.main = nn.Sequential(*layers, nn.Conv2d(width, num_domains, 1))

    def forward(self, x, domains):
        return _select(self.main(x).flatten(1), domains)


def randomize(model: nn.Module, seed: int) -> nn.Module:
    """Seeded He (fan-in) normal weights, as the official init, plus non-zero biases and instance-norm affines
    (the official zeros and ones would leave those paths untested); returns the model."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * math.sqrt(2 / fan_in))
                if module.bias is not None:
                    module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))
            elif isinstance(module, nn.InstanceNorm2d) and module.affine:
                module.weight.copy_(1 + 0.2 * torch.randn(module.weight.shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))
    return model


def adversarial_loss(logits, target: float):
    """Binary cross-entropy with logits against a constant target, averaged over the batch."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def r1_penalty(logits, x_real):
    """0.5 * sum of squared gradients of sum(logits) w.r.t. the real images, per sample, averaged over the batch."""
    grad, = torch.autograd.grad(logits.sum(), x_real, create_graph=True)
    return 0.5 * grad.pow(2).flatten(1).sum(1).mean()


class OfficialTrainerV2:
    """The official training iteration: G, F, E, D with their torch Adam optimizers (weight decay included),
    the moving averages of G, F and E, and lambda_ds decremented after every iteration while positive.

    `config` is a StarGANv2Config (its loss weights, learning rates, betas, weight decay, ds_iter); the moving
    averages start as copies of the networks given.
    """

    def __init__(self, nets: dict, config, ema_beta: float = 0.999, fan=None):
        self.nets, self.config, self.ema_beta, self.fan = nets, config, ema_beta, fan
        self.nets_ema = {name: copy.deepcopy(nets[name]) for name in ("generator", "mapping_network", "style_encoder")}
        self.optimizers = {
            name: torch.optim.Adam(net.parameters(), config.f_lr if name == "mapping_network" else config.lr,
                                   betas=(config.beta1, config.beta2), weight_decay=config.weight_decay)
            for name, net in nets.items()}
        self.lambda_ds = config.lambda_ds

    def _zero_grad(self):
        for optimizer in self.optimizers.values():
            optimizer.zero_grad()

    def masks(self, images):
        """The face path's masks of images (the official `nets.fan.get_heatmap`, no gradient), None without a FAN."""
        if self.fan is None:
            return None
        return reference_fan.masks_from_heatmaps(reference_fan.heatmaps_256(self.fan, images.detach()))

    def d_loss(self, x_real, y_org, y_trg, style_input, style_net: str, masks=None):
        """Real images (with R1) against fakes made with a style from `style_net` (mapping_network or style_encoder)."""
        n, c = self.nets, self.config
        x_real = x_real.detach().requires_grad_(True)
        logits = n["discriminator"](x_real, y_org)
        loss_real, loss_reg = adversarial_loss(logits, 1.0), r1_penalty(logits, x_real)
        with torch.no_grad():
            x_fake = n["generator"](x_real, n[style_net](style_input, y_trg), masks)
        loss_fake = adversarial_loss(n["discriminator"](x_fake, y_trg), 0.0)
        total = loss_real + loss_fake + c.lambda_reg * loss_reg
        return total, {"real": loss_real, "fake": loss_fake, "reg": loss_reg}

    def g_loss(self, x_real, y_org, y_trg, style_inputs, style_net: str, masks=None):
        """Adversarial, style reconstruction, diversity (the second fake held constant) and cycle losses."""
        n, c = self.nets, self.config
        s_trg = n[style_net](style_inputs[0], y_trg)
        x_fake = n["generator"](x_real, s_trg, masks)
        loss_adv = adversarial_loss(n["discriminator"](x_fake, y_trg), 1.0)
        loss_sty = (n["style_encoder"](x_fake, y_trg) - s_trg).abs().mean()
        x_fake2 = n["generator"](x_real, n[style_net](style_inputs[1], y_trg), masks).detach()
        loss_ds = (x_fake - x_fake2).abs().mean()
        x_rec = n["generator"](x_fake, n["style_encoder"](x_real, y_org), self.masks(x_fake))
        loss_cyc = (x_rec - x_real).abs().mean()
        total = loss_adv + c.lambda_sty * loss_sty - self.lambda_ds * loss_ds + c.lambda_cyc * loss_cyc
        return total, {"adv": loss_adv, "sty": loss_sty, "ds": loss_ds, "cyc": loss_cyc}

    def _update(self, total, names):
        self._zero_grad()
        total.backward()
        for name in names:
            self.optimizers[name].step()

    def iteration(self, x_src, y_src, x_ref, x_ref2, y_ref, z_trg, z_trg2) -> dict:
        """D (latent), D (reference), G+F+E (latent), G (reference), moving averages, lambda_ds decay; the losses
        named as our model logs them (d/latent_real, ..., g/ref_cyc)."""
        logs, masks = {}, self.masks(x_src)
        steps = (("d/latent", self.d_loss, z_trg, "mapping_network", ["discriminator"]),
                 ("d/ref", self.d_loss, x_ref, "style_encoder", ["discriminator"]),
                 ("g/latent", self.g_loss, (z_trg, z_trg2), "mapping_network",
                  ["generator", "mapping_network", "style_encoder"]),
                 ("g/ref", self.g_loss, (x_ref, x_ref2), "style_encoder", ["generator"]))
        for prefix, loss_fn, style_input, style_net, updated in steps:
            total, losses = loss_fn(x_src, y_src, y_ref, style_input, style_net, masks)
            self._update(total, updated)
            logs.update({f"{prefix}_{name}": value.item() for name, value in losses.items()})
        with torch.no_grad():
            for name, ema in self.nets_ema.items():
                for parameter, average in zip(self.nets[name].parameters(), ema.parameters()):
                    average.copy_(torch.lerp(parameter, average, self.ema_beta))
        if self.lambda_ds > 0:
            self.lambda_ds -= self.config.lambda_ds / self.config.ds_iter
        return logs

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


# The official training iteration (solver.py's train and train_multi), rebuilt from its description for the
# step-parity tests: the same losses, reductions, order of updates and learning-rate decay, on given draws.

def official_classification_loss(logits, labels, dataset: str):
    """CelebA: sigmoid cross-entropy summed over attributes and divided by the batch size; RaFD: softmax
    cross-entropy against class indices, averaged over the batch."""
    if dataset == "celeba":
        return nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / logits.size(0)
    return nn.functional.cross_entropy(logits, labels)


def official_gradient_penalty(src, x_hat):
    """mean((||d sum(src) / d x_hat||_2 - 1)^2), the norm per sample over all its pixels (a bare sqrt)."""
    grad, = torch.autograd.grad(src.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).pow(2).sum(1).sqrt() - 1) ** 2).mean()


class OfficialTrainer:
    """The official StarGAN training loop on caller-given draws: G, D and their torch Adam optimizers.

    `config` is a StarGANConfig (its fields are the official flags; RaFD's class count is c2_dim, which the
    official single-dataset RaFD run calls c_dim); dataset 'both' is the official joint training with the mask
    vector. The learning rates decay as the current official code does (lr_decay 'official').
    """

    def __init__(self, generator: Generator, discriminator: Discriminator, config):
        self.G, self.D, self.config = generator, discriminator, config
        self.joint = config.dataset == "both"
        self.g_optimizer = torch.optim.Adam(generator.parameters(), config.g_lr, (config.beta1, config.beta2))
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), config.d_lr, (config.beta1, config.beta2))
        self.g_lr, self.d_lr = config.g_lr, config.d_lr

    def _domain_labels(self, dataset: str, labels):
        """G's label input for a batch's labels (CelebA: 0/1 floats; RaFD: class indices), with the mask when joint."""
        c = self.config
        own = labels if dataset == "celeba" else nn.functional.one_hot(labels, c.c2_dim).float()
        if not self.joint:
            return own
        size = labels.size(0)
        zeros = torch.zeros(size, c.c2_dim if dataset == "celeba" else c.c_dim)
        mask = nn.functional.one_hot(torch.full((size,), 0 if dataset == "celeba" else 1), 2).float()
        return torch.cat([own, zeros, mask] if dataset == "celeba" else [zeros, own, mask], dim=1)

    def _own_logits(self, logits, dataset: str):
        if not self.joint:
            return logits
        return logits[:, :self.config.c_dim] if dataset == "celeba" else logits[:, self.config.c_dim:]

    def step(self, iteration: int, dataset: str, x_real, label_org, rand_idx, alpha) -> dict:
        """One batch: the D update, then the G update when (iteration + 1) % n_critic == 0; the logged losses.

        x_real [N, 3, H, W]; label_org as the official loader gives it; rand_idx the permutation drawing the
        target labels; alpha [N, 1, 1, 1] the gradient penalty's interpolation weights.
        """
        c = self.config
        label_trg = label_org[rand_idx]
        c_org, c_trg = self._domain_labels(dataset, label_org), self._domain_labels(dataset, label_trg)

        out_src, out_cls = self.D(x_real)
        d_loss_real = -out_src.mean()
        d_loss_cls = official_classification_loss(self._own_logits(out_cls, dataset), label_org, dataset)
        x_fake = self.G(x_real, c_trg)
        d_loss_fake = self.D(x_fake.detach())[0].mean()
        x_hat = (alpha * x_real + (1 - alpha) * x_fake.detach()).requires_grad_(True)
        d_loss_gp = official_gradient_penalty(self.D(x_hat)[0], x_hat)
        d_loss = d_loss_real + d_loss_fake + c.lambda_cls * d_loss_cls + c.lambda_gp * d_loss_gp
        self.d_optimizer.zero_grad()
        self.g_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()
        losses = {"d/loss_real": d_loss_real, "d/loss_fake": d_loss_fake, "d/loss_cls": d_loss_cls,
                  "d/loss_gp": d_loss_gp}

        if (iteration + 1) % c.n_critic == 0:
            x_fake = self.G(x_real, c_trg)
            out_src, out_cls = self.D(x_fake)
            g_loss_fake = -out_src.mean()
            g_loss_cls = official_classification_loss(self._own_logits(out_cls, dataset), label_trg, dataset)
            g_loss_rec = (x_real - self.G(x_fake, c_org)).abs().mean()
            g_loss = g_loss_fake + c.lambda_rec * g_loss_rec + c.lambda_cls * g_loss_cls
            self.d_optimizer.zero_grad()
            self.g_optimizer.zero_grad()
            g_loss.backward()
            self.g_optimizer.step()
            losses.update({"g/loss_fake": g_loss_fake, "g/loss_cls": g_loss_cls, "g/loss_rec": g_loss_rec})
        return {name: value.item() for name, value in losses.items()}

    def end_iteration(self, iteration: int) -> None:
        """The official decay: after iteration i, lr -= lr0 / num_iters_decay when (i + 1) % lr_update_step == 0
        and i + 1 > num_iters - num_iters_decay."""
        c = self.config
        if (iteration + 1) % c.lr_update_step == 0 and iteration + 1 > c.num_iters - c.num_iters_decay:
            self.g_lr -= c.g_lr / c.num_iters_decay
            self.d_lr -= c.d_lr / c.num_iters_decay
            for optimizer, lr in ((self.g_optimizer, self.g_lr), (self.d_optimizer, self.d_lr)):
                for group in optimizer.param_groups:
                    group["lr"] = lr

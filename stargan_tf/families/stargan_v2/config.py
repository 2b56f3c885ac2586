"""The configuration of a StarGAN v2 run: defaults are the official implementation's (clovaai/stargan-v2)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from stargan_tf.core.config import TRAINING_GROUPS, TRAINING_HELP, ConfigError, TrainingConfig

# Settings that fix the shapes of the weights (with the domain names, checked from run.json).
ARCHITECTURE_FIELDS = ("image_size", "style_dim", "latent_dim", "max_conv_dim", "base_dim", "mapping_dim", "w_hpf")


HELP = {**TRAINING_HELP,
    "image_size": "training image size in pixels (a power of two, at least 16)",
    "style_dim": "style code size",
    "latent_dim": "latent code size of the mapping network",
    "max_conv_dim": "widest convolution of G, E and D",
    "base_dim": "width of the first convolution of G, E and D (0: the official 2**14 // image_size)",
    "mapping_dim": "hidden width of the mapping network",
    "w_hpf": "weight of the high-pass face path (0: off, as for AFHQ; > 0, as the official CelebA-HQ model: masks "
             "from the face-landmark network of --wing_path)",
    "wing_path": "the official face-landmark network wing.ckpt, whose masks the face path uses (training with "
                 "--w_hpf > 0; the checkpoints then hold it)",
    "lambda_reg": "weight of the R1 regularisation on real images",
    "lambda_sty": "weight of the style reconstruction loss",
    "lambda_ds": "initial weight of the diversity sensitive loss (decays linearly to 0 over --ds_iter)",
    "lambda_cyc": "weight of the cycle-consistency loss",
    "ds_iter": "iterations over which lambda_ds decays to 0",
    "num_iters": "training iterations (the official --total_iters)",
    "lr": "learning rate of G, E and D",
    "f_lr": "learning rate of the mapping network F",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "weight_decay": "L2 weight decay added to the gradients (torch Adam's weight_decay, not AdamW)",
    "ema_beta": "decay of the moving average of G, F and E used for samples, evaluation and export",
    "train_img_dir": "training images as <dir>/<domain>/* (empty: the embedded synthetic data)",
    "val_img_dir": "validation images as <dir>/<domain>/* (sample grids; empty: the training images)",
    "randcrop_prob": "probability of a random resized crop (scale 0.8-1, ratio 0.9-1.1) of a training image",
    "synthetic_cache_dir": "where the synthetic data is created (empty: ~/.cache/stargan_tf)",
}


HELP_GROUPS = (
    ("Model", ("image_size", "style_dim", "latent_dim", "max_conv_dim", "base_dim", "mapping_dim", "w_hpf",
               "wing_path")),
    ("Losses", ("lambda_reg", "lambda_sty", "lambda_ds", "lambda_cyc", "ds_iter")),
    ("Optimization", ("lr", "f_lr", "beta1", "beta2", "weight_decay", "ema_beta")),
    ("Data", ("train_img_dir", "val_img_dir", "randcrop_prob", "synthetic_cache_dir")),
) + TRAINING_GROUPS


@dataclasses.dataclass
class StarGANv2Config(TrainingConfig):
    """Every setting of a StarGAN v2 run; names follow the official flags where StarGAN's config has no equivalent."""

    model_name: ClassVar[str] = "stargan_v2"
    architecture_fields: ClassVar[tuple[str, ...]] = ARCHITECTURE_FIELDS
    help: ClassVar[dict[str, str]] = HELP
    help_groups: ClassVar[tuple] = HELP_GROUPS

    # Model.
    image_size: int = 256
    style_dim: int = 64
    latent_dim: int = 16
    max_conv_dim: int = 512
    base_dim: int = 0
    mapping_dim: int = 512
    w_hpf: float = 0.0
    wing_path: str = ""
    # Losses.
    lambda_reg: float = 1.0
    lambda_sty: float = 1.0
    lambda_ds: float = 1.0
    lambda_cyc: float = 1.0
    ds_iter: int = 100000
    # Training.
    batch_size: int = 8
    num_iters: int = 100000
    lr: float = 1e-4
    f_lr: float = 1e-6
    beta1: float = 0.0
    beta2: float = 0.99
    weight_decay: float = 1e-4
    ema_beta: float = 0.999
    seed: int = 777
    # Data.
    train_img_dir: str = ""
    val_img_dir: str = ""
    randcrop_prob: float = 0.5
    synthetic_cache_dir: str = ""
    # Directories and steps.
    log_dir: str = "runs/stargan_v2/logs"
    model_save_dir: str = "runs/stargan_v2/models"
    sample_dir: str = "runs/stargan_v2/samples"
    sample_step: int = 5000

    def validate(self) -> "StarGANv2Config":
        """Raises ConfigError naming the first flag whose value cannot work; returns self."""
        super().validate()
        self.require_positive("image_size", "style_dim", "latent_dim", "max_conv_dim", "mapping_dim", "lr", "f_lr")
        self.require_non_negative("base_dim", "ds_iter", "w_hpf", "lambda_reg", "lambda_sty", "lambda_ds",
                                  "lambda_cyc", "weight_decay")
        self.require_fraction("beta1", "beta2", "ema_beta")
        self.require_fraction("randcrop_prob", closed=True)
        size = self.image_size
        if size < 16 or size & (size - 1):
            raise ConfigError(f"--image_size={size}: StarGAN v2 needs a power of two, at least 16")
        if self.val_img_dir and not self.train_img_dir:
            raise ConfigError("--val_img_dir needs --train_img_dir (no --train_img_dir: the synthetic data)")
        return self


PRESETS = {
    "quick": dict(image_size=32, base_dim=32, max_conv_dim=128, mapping_dim=128, num_iters=2000, ds_iter=2000,
                  lr=2e-4, f_lr=2e-6, log_step=50, sample_step=250, model_save_step=500,
                  log_dir="runs/quick_v2/logs", model_save_dir="runs/quick_v2/models",
                  sample_dir="runs/quick_v2/samples"),
    "paper": {},
}

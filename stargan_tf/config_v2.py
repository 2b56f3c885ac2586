"""The configuration of a StarGAN v2 run: defaults are the official implementation's (clovaai/stargan-v2)."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from stargan_tf.config import ConfigError, StarGANConfig

# Settings that fix the shapes of the weights (with the domain names, checked from run.json).
ARCHITECTURE_FIELDS_V2 = ("image_size", "style_dim", "latent_dim", "max_conv_dim", "base_dim", "mapping_dim",
                          "w_hpf")


@dataclasses.dataclass
class StarGANv2Config:
    """Every setting of a StarGAN v2 run; names follow the official flags where the v1 config has no equivalent."""

    model_name: ClassVar[str] = "stargan_v2"

    # Model.
    image_size: int = 256
    style_dim: int = 64
    latent_dim: int = 16
    max_conv_dim: int = 512
    base_dim: int = 0
    mapping_dim: int = 512
    w_hpf: float = 0.0
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
    resume: bool = True
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
    log_step: int = 10
    sample_step: int = 5000
    model_save_step: int = 10000
    keep_checkpoints: int = 3

    # The JSON round trip is the v1 config's: it is generic over the dataclass's fields.
    save_json = StarGANConfig.save_json
    load_json = classmethod(StarGANConfig.load_json.__func__)

    def to_dict(self) -> dict:
        """The config as JSON-ready values."""
        return dataclasses.asdict(self)

    def validate(self) -> "StarGANv2Config":
        """Raises ConfigError naming the first flag whose value cannot work; returns self."""
        positive = ("image_size", "style_dim", "latent_dim", "max_conv_dim", "mapping_dim", "batch_size",
                    "num_iters", "log_step", "sample_step", "model_save_step", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be a positive integer")
        for name in ("base_dim", "ds_iter", "w_hpf", "lambda_reg", "lambda_sty", "lambda_ds", "lambda_cyc",
                     "weight_decay"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must not be negative")
        for name in ("lr", "f_lr"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be positive")
        for name in ("beta1", "beta2", "ema_beta"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be in [0, 1)")
        if not 0 <= self.randcrop_prob <= 1:
            raise ConfigError(f"--randcrop_prob={self.randcrop_prob}: must be in [0, 1]")
        size = self.image_size
        if size < 16 or size & (size - 1):
            raise ConfigError(f"--image_size={size}: StarGAN v2 needs a power of two, at least 16")
        if self.w_hpf > 0:
            raise ConfigError(f"--w_hpf={self.w_hpf}: the high-pass face path needs face-landmark masks from the "
                              "official pretrained FAN network, which stargan_tf does not ship; train with --w_hpf=0 "
                              "(the Generator class itself supports masks)")
        if self.val_img_dir and not self.train_img_dir:
            raise ConfigError("--val_img_dir needs --train_img_dir (no --train_img_dir: the synthetic data)")
        return self

    def architecture_mismatches(self, other: "StarGANv2Config") -> list[str]:
        """Human-readable differences in the settings that fix weight shapes (empty when compatible)."""
        return [f"{name}: checkpoint has {getattr(other, name)!r}, this run has {getattr(self, name)!r}"
                for name in ARCHITECTURE_FIELDS_V2 if getattr(self, name) != getattr(other, name)]


HELP_V2 = {
    "image_size": "training image size in pixels (a power of two, at least 16)",
    "style_dim": "style code size",
    "latent_dim": "latent code size of the mapping network",
    "max_conv_dim": "widest convolution of G, E and D",
    "base_dim": "width of the first convolution of G, E and D (0: the official 2**14 // image_size)",
    "mapping_dim": "hidden width of the mapping network",
    "w_hpf": "weight of the high-pass face path (0: off, as for AFHQ; > 0 needs face-landmark masks)",
    "lambda_reg": "weight of the R1 regularisation on real images",
    "lambda_sty": "weight of the style reconstruction loss",
    "lambda_ds": "initial weight of the diversity sensitive loss (decays linearly to 0 over --ds_iter)",
    "lambda_cyc": "weight of the cycle-consistency loss",
    "ds_iter": "iterations over which lambda_ds decays to 0",
    "batch_size": "images per batch",
    "num_iters": "training iterations (the official --total_iters)",
    "lr": "learning rate of G, E and D",
    "f_lr": "learning rate of the mapping network F",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "weight_decay": "L2 weight decay added to the gradients (torch Adam's weight_decay, not AdamW)",
    "ema_beta": "decay of the moving average of G, F and E used for samples, evaluation and export",
    "resume": "continue from the latest checkpoint in --model_save_dir when there is one (on by default, as for v1)",
    "seed": "seed of the initial weights and of every random draw of the input pipeline",
    "train_img_dir": "training images as <dir>/<domain>/* (empty: the embedded synthetic data)",
    "val_img_dir": "validation images as <dir>/<domain>/* (sample grids; empty: the training images)",
    "randcrop_prob": "probability of a random resized crop (scale 0.8-1, ratio 0.9-1.1) of a training image",
    "synthetic_cache_dir": "where the synthetic data is created (empty: ~/.cache/stargan_tf)",
    "log_dir": "TensorBoard logs",
    "model_save_dir": "checkpoints and run.json",
    "sample_dir": "sample grids (PNG)",
    "log_step": "iterations between log lines",
    "sample_step": "iterations between sample grids",
    "model_save_step": "iterations between checkpoints",
    "keep_checkpoints": "how many recent checkpoints to keep",
}

PRESETS_V2 = {
    "quick": dict(image_size=32, base_dim=32, max_conv_dim=128, mapping_dim=128, num_iters=2000, ds_iter=2000,
                  lr=2e-4, f_lr=2e-6, log_step=50, sample_step=250, model_save_step=500,
                  log_dir="runs/quick_v2/logs", model_save_dir="runs/quick_v2/models",
                  sample_dir="runs/quick_v2/samples"),
    "paper": {},
}

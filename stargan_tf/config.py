"""The one configuration of a StarGAN run: defaults are the paper's, absl flags fill it, JSON stores it."""
from __future__ import annotations

import dataclasses
import json
import os
from typing import ClassVar

DATASETS = ("celeba", "rafd", "both")
LR_DECAY_MODES = ("paper", "official")
ADV_LOSSES = ("wgan-gp", "hinge")
STRATEGIES = ("default", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
DEFAULT_ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")

# Settings that fix the shapes of the weights: a checkpoint can only be resumed with the same values.
ARCHITECTURE_FIELDS = (
    "dataset", "c_dim", "c2_dim", "image_size", "g_conv_dim", "d_conv_dim", "g_repeat_num", "d_repeat_num",
    "g_attention_at", "d_attention_at", "d_spectral_norm",
)
LIST_FIELDS = ("selected_attrs", "g_attention_at", "d_attention_at", "devices")


def generator_stages(repeat_num: int) -> dict[str, int]:
    """G's stages in order, each with how much smaller than the image its output is: where attention can go."""
    stages = {"conv_in": 1, "down0": 2, "down1": 4}
    stages.update({f"res{i}": 4 for i in range(repeat_num)})
    stages.update({"up0": 2, "up1": 1})
    return stages


def discriminator_stages(repeat_num: int) -> dict[str, int]:
    """D's stages (its stride-2 convs) in order, each with how much smaller than the image its output is."""
    return {f"conv{i}": 2 ** (i + 1) for i in range(repeat_num)}


def parse_attention_query(text: str) -> tuple[float, float]:
    """--attention_query "row,col" (fractions of the image height and width) -> (row, col)."""
    try:
        row, col = (float(value) for value in text.split(","))
    except ValueError:
        row = col = float("nan")
    if not (0 <= row <= 1 and 0 <= col <= 1):
        raise ConfigError(f"--attention_query={text!r}: expected row,col as fractions in [0, 1], e.g. 0.5,0.5")
    return row, col


class ConfigError(ValueError):
    """A setting has a value the run cannot use; the message names the setting (flag)."""


@dataclasses.dataclass
class StarGANConfig:
    """Every setting of a StarGAN run; field names match the official implementation's flags."""

    model_name: ClassVar[str] = "stargan"  # the model family, recorded in run.json

    # Model.
    dataset: str = "celeba"
    c_dim: int = 5
    c2_dim: int = 8
    image_size: int = 128
    celeba_crop_size: int = 178
    rafd_crop_size: int = 256
    g_conv_dim: int = 64
    d_conv_dim: int = 64
    g_repeat_num: int = 6
    d_repeat_num: int = 6
    g_attention_at: tuple[str, ...] = ()
    d_attention_at: tuple[str, ...] = ()
    d_spectral_norm: bool = False
    # Losses.
    adv_loss: str = "wgan-gp"
    gp_with_hinge: bool = False
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    # Training.
    batch_size: int = 16
    num_iters: int = 200000
    num_iters_decay: int = 100000
    lr_decay: str = "paper"
    g_lr: float = 1e-4
    d_lr: float = 1e-4
    n_critic: int = 5
    precision: str = "float32"
    beta1: float = 0.5
    beta2: float = 0.999
    resume: bool = True
    seed: int = 1234
    selected_attrs: tuple[str, ...] = DEFAULT_ATTRS
    # Distribution.
    strategy: str = "default"
    devices: tuple[str, ...] = ()
    # Data.
    celeba_image_dir: str = ""
    attr_path: str = ""
    rafd_image_dir: str = ""
    celeba_test_size: int = 2000
    rafd_test_fraction: float = 0.1
    synthetic_cache_dir: str = ""
    # Directories and steps.
    use_tensorboard: bool = True
    log_dir: str = "runs/stargan/logs"
    model_save_dir: str = "runs/stargan/models"
    sample_dir: str = "runs/stargan/samples"
    log_step: int = 10
    sample_step: int = 1000
    attention_query: str = "0.5,0.5"
    model_save_step: int = 10000
    lr_update_step: int = 1000
    keep_checkpoints: int = 3

    def __post_init__(self):
        self.dataset = self.dataset.lower()
        for name in LIST_FIELDS:
            setattr(self, name, tuple(getattr(self, name)))

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets this run trains on, in the order their batches alternate."""
        return ("celeba", "rafd") if self.dataset == "both" else (self.dataset,)

    def validate(self) -> "StarGANConfig":
        """Raises ConfigError naming the first flag whose value cannot work; returns self."""
        if self.dataset not in DATASETS:
            raise ConfigError(f"--dataset={self.dataset!r}: expected one of {', '.join(DATASETS)}")
        if self.lr_decay not in LR_DECAY_MODES:
            raise ConfigError(f"--lr_decay={self.lr_decay!r}: expected one of {', '.join(LR_DECAY_MODES)}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"--strategy={self.strategy!r}: expected one of {', '.join(STRATEGIES)}")
        if self.devices and self.strategy != "mirrored":
            raise ConfigError(f"--devices={','.join(self.devices)} needs --strategy=mirrored "
                              f"(--strategy={self.strategy} picks its devices itself)")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision={self.precision!r}: expected one of {', '.join(PRECISIONS)}")
        positive = ("c_dim", "c2_dim", "image_size", "celeba_crop_size", "rafd_crop_size", "g_conv_dim",
                    "d_conv_dim", "d_repeat_num", "batch_size", "num_iters", "n_critic", "log_step",
                    "sample_step", "model_save_step", "lr_update_step", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be a positive integer")
        for name in ("g_repeat_num", "num_iters_decay", "celeba_test_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must not be negative")
        for name in ("g_lr", "d_lr"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be positive")
        for name in ("lambda_cls", "lambda_rec", "lambda_gp"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must not be negative")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be in [0, 1)")
        if not 0 <= self.rafd_test_fraction < 1:
            raise ConfigError(f"--rafd_test_fraction={self.rafd_test_fraction}: must be in [0, 1)")
        if self.num_iters_decay > self.num_iters:
            raise ConfigError(f"--num_iters_decay={self.num_iters_decay} exceeds --num_iters={self.num_iters}")
        if self.image_size % (2 ** self.d_repeat_num):
            raise ConfigError(f"--image_size={self.image_size} must be divisible by 2**d_repeat_num = "
                              f"{2 ** self.d_repeat_num} (--d_repeat_num={self.d_repeat_num})")
        if self.image_size % 4:
            raise ConfigError(f"--image_size={self.image_size} must be divisible by 4 (G downsamples twice)")
        if "celeba" in self.datasets and len(self.selected_attrs) != self.c_dim:
            raise ConfigError(f"--c_dim={self.c_dim} but --selected_attrs names {len(self.selected_attrs)} "
                              f"attributes ({', '.join(self.selected_attrs)})")
        if len(set(self.selected_attrs)) != len(self.selected_attrs):
            raise ConfigError(f"--selected_attrs repeats a name: {', '.join(self.selected_attrs)}")
        self._validate_variant()
        return self

    def _validate_variant(self) -> None:
        """Checks the self-attention / hinge-loss settings."""
        if self.adv_loss not in ADV_LOSSES:
            raise ConfigError(f"--adv_loss={self.adv_loss!r}: expected one of {', '.join(ADV_LOSSES)}")
        if self.gp_with_hinge and self.adv_loss != "hinge":
            raise ConfigError(f"--gp_with_hinge only applies to --adv_loss=hinge (--adv_loss={self.adv_loss} "
                              "always uses the gradient penalty)")
        for flag, stages in (("g_attention_at", generator_stages(self.g_repeat_num)),
                             ("d_attention_at", discriminator_stages(self.d_repeat_num))):
            names = getattr(self, flag)
            for name in names:
                if name not in stages:
                    available = ", ".join(f"{stage} ({self.image_size // factor}x{self.image_size // factor})"
                                          for stage, factor in stages.items())
                    raise ConfigError(f"--{flag}={','.join(names)}: unknown stage {name!r}; the stages (output "
                                      f"size at --image_size={self.image_size}) are {available}")
            if len(set(names)) != len(names):
                raise ConfigError(f"--{flag}={','.join(names)} repeats a stage")
        parse_attention_query(self.attention_query)

    @property
    def gp_weight(self) -> float:
        """The gradient penalty's weight: lambda_gp under WGAN-GP, and under hinge only with --gp_with_hinge."""
        return self.lambda_gp if self.adv_loss == "wgan-gp" or self.gp_with_hinge else 0.0

    def to_dict(self) -> dict:
        """The config as JSON-ready values."""
        values = dataclasses.asdict(self)
        values.update({name: list(getattr(self, name)) for name in LIST_FIELDS})
        return values

    def save_json(self, path: str) -> None:
        """Writes the config as JSON (atomically, so a crash never leaves half a file)."""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp_path = path + ".tmp"
        with open(tmp_path, "w") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)
        os.replace(tmp_path, path)

    @classmethod
    def load_json(cls, path: str) -> "StarGANConfig":
        """Reads a config written by save_json; unknown keys are an error naming the file."""
        with open(path) as f:
            values = json.load(f)
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown config keys {unknown}")
        return cls(**values)

    def architecture_mismatches(self, other: "StarGANConfig") -> list[str]:
        """Human-readable differences in the settings that fix weight shapes (empty when compatible)."""
        diffs = [f"{name}: checkpoint has {getattr(other, name)!r}, this run has {getattr(self, name)!r}"
                 for name in ARCHITECTURE_FIELDS if getattr(self, name) != getattr(other, name)]
        if "celeba" in self.datasets and tuple(self.selected_attrs) != tuple(other.selected_attrs):
            diffs.append(f"selected_attrs: checkpoint has {list(other.selected_attrs)}, "
                         f"this run has {list(self.selected_attrs)}")
        return diffs

HELP = {
    "dataset": "celeba, rafd or both (one model for both datasets with the mask vector); case-insensitive",
    "c_dim": "number of CelebA attributes (must match --selected_attrs)",
    "c2_dim": "number of RaFD classes (must match the class folders)",
    "image_size": "training image size in pixels (divisible by 2**d_repeat_num)",
    "celeba_crop_size": "center crop of CelebA images before resizing",
    "rafd_crop_size": "center crop of RaFD images before resizing",
    "g_conv_dim": "channels of the generator's first convolution",
    "d_conv_dim": "channels of the discriminator's first convolution",
    "g_repeat_num": "residual blocks in the generator",
    "d_repeat_num": "stride-2 convolutions in the discriminator",
    "lambda_cls": "weight of the domain classification loss",
    "lambda_rec": "weight of the cycle reconstruction loss",
    "lambda_gp": "weight of the gradient penalty",
    "g_attention_at": "generator stages followed by a self-attention block, comma-separated, among conv_in, down0, "
                      "down1, res0..res{g_repeat_num-1}, up0, up1 (e.g. res5: after the bottleneck); empty: none",
    "d_attention_at": "discriminator stages followed by a self-attention block, comma-separated, among "
                      "conv0..conv{d_repeat_num-1} (conv_i outputs image_size/2**(i+1)); empty: none",
    "d_spectral_norm": "spectral normalization on every discriminator convolution (SAGAN)",
    "adv_loss": "adversarial loss: wgan-gp (the paper's) or hinge (SAGAN's; no gradient penalty unless "
                "--gp_with_hinge)",
    "gp_with_hinge": "with --adv_loss=hinge, keep the gradient penalty (weight --lambda_gp)",
    "batch_size": "global batch: images per batch (per dataset batch in joint mode), split evenly over the "
                  "replicas (alias --global_batch_size)",
    "num_iters": "training iterations (one batch of each dataset per iteration)",
    "num_iters_decay": "iterations, at the end, over which the learning rates decay linearly",
    "lr_decay": "paper: linear to 0; official: the current official code's decrement every lr_update_step",
    "g_lr": "generator learning rate",
    "d_lr": "discriminator learning rate",
    "n_critic": "D updates per G update",
    "precision": "float32, mixed_bfloat16 (CPUs with AMX/AVX512-BF16, TPUs) or mixed_float16 (GPUs, loss-scaled); "
                 "variables, instance-norm statistics, losses and the gradient penalty stay float32",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "resume": "continue from the latest checkpoint in --model_save_dir when there is one (--noresume: refuse to "
              "start in a directory that holds one)",
    "seed": "seed of every random draw of the input pipeline",
    "selected_attrs": "CelebA attributes to translate, comma-separated",
    "strategy": "default: one device; mirrored: every visible GPU of this machine (or --devices); multi_worker: "
                "the machines of the TF_CONFIG cluster, every GPU of each",
    "devices": "with --strategy=mirrored, the devices to use, comma-separated (e.g. /gpu:0,/gpu:1)",
    "celeba_image_dir": "CelebA image folder (empty: the embedded synthetic data)",
    "attr_path": "CelebA list_attr_celeba.txt (empty: the embedded synthetic data)",
    "rafd_image_dir": "RaFD folder with one subfolder per class (empty: the embedded synthetic data)",
    "celeba_test_size": "CelebA images held out for test (a tenth of the set when it is smaller)",
    "rafd_test_fraction": "fraction of each RaFD class held out for test",
    "synthetic_cache_dir": "where the synthetic data is created (empty: ~/.cache/stargan_tf)",
    "use_tensorboard": "write losses, learning rates, images/s and sample grids for TensorBoard to --log_dir",
    "log_dir": "TensorBoard logs",
    "model_save_dir": "checkpoints and run.json",
    "sample_dir": "sample grids (PNG)",
    "log_step": "iterations between log lines",
    "sample_step": "iterations between sample grids",
    "attention_query": "row,col (fractions of the image) of the query position whose attention maps are saved "
                       "beside the sample grids when the model has self-attention blocks",
    "model_save_step": "iterations between checkpoints",
    "lr_update_step": "iterations between learning-rate updates",
    "keep_checkpoints": "how many recent checkpoints to keep",
}

PRESETS = {
    # A small network on small synthetic images: visible translations in minutes on 2 CPU cores.
    "quick": dict(dataset="both", image_size=32, g_conv_dim=32, d_conv_dim=32, g_repeat_num=3, d_repeat_num=4,
                  batch_size=16, num_iters=2000, num_iters_decay=1000, lr_update_step=10, g_lr=2e-4, d_lr=2e-4,
                  log_step=50, sample_step=250, model_save_step=500, log_dir="runs/quick/logs",
                  model_save_dir="runs/quick/models", sample_dir="runs/quick/samples"),
    # The quality benchmark's run (benchmarks/quality.py): the quick networks trained longer, G every 3rd step.
    "quality": dict(dataset="both", image_size=32, g_conv_dim=32, d_conv_dim=32, g_repeat_num=3, d_repeat_num=4,
                    batch_size=16, num_iters=5000, num_iters_decay=2500, n_critic=3, lr_update_step=10,
                    g_lr=2e-4, d_lr=2e-4, log_step=100, sample_step=1000, model_save_step=1000,
                    log_dir="runs/quality/logs", model_save_dir="runs/quality/models",
                    sample_dir="runs/quality/samples"),
    "paper": {},
}

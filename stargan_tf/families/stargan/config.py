"""The one configuration of a StarGAN run: defaults are the paper's, absl flags fill it, JSON stores it."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from stargan_tf.core.config import TRAINING_GROUPS, TRAINING_HELP, ConfigError, TrainingConfig

DATASETS = ("celeba", "rafd", "both")  # what an official model was trained on
DATASET_NAMES = ("celeba", "rafd", "affectnet")  # the datasets --dataset can list
LR_DECAY_MODES = ("paper", "official")
ADV_LOSSES = ("wgan-gp", "hinge")
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


HELP = {**TRAINING_HELP,
    "dataset": "celeba, rafd, affectnet, both (one model for CelebA and RaFD with the mask vector), or two or more "
               "datasets joined by commas (e.g. celeba,affectnet: one model, the mask one-hot over them, batches "
               "alternating in that order); case-insensitive",
    "c_dim": "number of CelebA attributes (must match --selected_attrs)",
    "c2_dim": "number of RaFD classes (must match the class folders)",
    "image_size": "training image size in pixels (divisible by 2**d_repeat_num)",
    "celeba_crop_size": "center crop of CelebA images before resizing",
    "rafd_crop_size": "center crop of RaFD images before resizing",
    "g_conv_dim": "channels of the generator's first convolution",
    "d_conv_dim": "channels of the discriminator's first convolution",
    "g_repeat_num": "residual blocks in the generator",
    "g_input_skip": "k > 0: G outputs a change to the input image, average-pooled by k and resized back, "
                    "tanh(atanh(smooth_k(x)) + its last convolution), instead of the image itself (1: the image "
                    "unsmoothed; not in the paper): colours no loss asks to change are kept; 0: off, the paper's",
    "d_repeat_num": "stride-2 convolutions in the discriminator",
    "lambda_cls": "weight of the domain classification loss",
    "lambda_rec": "weight of the cycle reconstruction loss",
    "lambda_gp": "weight of the gradient penalty",
    "lambda_id": "weight of an identity loss |G(x, c_org) - x|, G translating an image to its own labels (not in "
                 "the paper; CycleGAN's identity loss); 0: off, the paper's",
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
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "selected_attrs": "CelebA attributes to translate, comma-separated",
    "celeba_image_dir": "CelebA image folder (empty: the embedded synthetic data)",
    "attr_path": "CelebA list_attr_celeba.txt (empty: the embedded synthetic data)",
    "rafd_image_dir": "RaFD folder with one subfolder per class (empty: the embedded synthetic data)",
    "celeba_test_size": "CelebA images held out for test (a tenth of the set when it is smaller)",
    "rafd_test_fraction": "fraction of each RaFD class held out for test",
    "affectnet_image_dir": "AffectNet photo folder the CSVs' subDirectory_filePath starts from, or the re-packaged "
                           "folder with train/<class>/ and val/<class>/ (faces already cropped)",
    "affectnet_train_csv": "AffectNet training.csv (with --affectnet_val_csv; empty: the re-packaged folders)",
    "affectnet_val_csv": "AffectNet validation.csv: the test split (AffectNet's test set is not released)",
    "affectnet_crop_size": "center crop of AffectNet faces before resizing; 0: the largest centred square (178 on "
                           "the CelebA-aligned crops made from the CSVs)",
    "affectnet_balanced": "draw AffectNet training images class-balanced (each expression equally often)",
    "synthetic_cache_dir": "where the synthetic data and the aligned AffectNet crops are created (empty: "
                           "~/.cache/stargan_tf)",
    "attention_query": "row,col (fractions of the image) of the query position whose attention maps are saved "
                       "beside the sample grids when the model has self-attention blocks",
    "lr_update_step": "iterations between learning-rate updates",
    "g_ema_beta": "decay of a moving average of the generator's weights, which then makes the samples, evaluation "
                  "and exports (e.g. 0.999; warmed up as min(beta, (1 + n) / (10 + n)) after n G updates); 0: off, "
                  "the paper's; cannot be switched on or off when resuming",
}


HELP_GROUPS = (
    ("Model", ("dataset", "c_dim", "c2_dim", "selected_attrs", "image_size", "g_conv_dim", "d_conv_dim", "g_repeat_num",
               "d_repeat_num", "g_input_skip")),
    ("Self-attention variant", ("g_attention_at", "d_attention_at", "d_spectral_norm", "adv_loss", "gp_with_hinge",
                                "attention_query")),
    ("Losses", ("lambda_cls", "lambda_rec", "lambda_gp", "lambda_id")),
    ("Optimization", ("g_lr", "d_lr", "beta1", "beta2", "n_critic", "lr_decay", "num_iters_decay", "lr_update_step",
                      "g_ema_beta")),
    ("Data", ("celeba_image_dir", "attr_path", "rafd_image_dir", "celeba_crop_size", "rafd_crop_size",
              "celeba_test_size", "rafd_test_fraction", "synthetic_cache_dir")),
    ("AffectNet", ("affectnet_image_dir", "affectnet_train_csv", "affectnet_val_csv", "affectnet_crop_size",
                   "affectnet_balanced")),
) + TRAINING_GROUPS


@dataclasses.dataclass
class StarGANConfig(TrainingConfig):
    """Every setting of a StarGAN run; field names match the official implementation's flags."""

    model_name: ClassVar[str] = "stargan"
    architecture_fields: ClassVar[tuple[str, ...]] = ARCHITECTURE_FIELDS
    list_fields: ClassVar[tuple[str, ...]] = LIST_FIELDS
    help: ClassVar[dict[str, str]] = HELP
    help_groups: ClassVar[tuple] = HELP_GROUPS
    omitted_at_default: ClassVar[tuple[str, ...]] = ("g_ema_beta", "lambda_id", "g_input_skip")

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
    g_input_skip: int = 0
    g_attention_at: tuple[str, ...] = ()
    d_attention_at: tuple[str, ...] = ()
    d_spectral_norm: bool = False
    # Losses.
    adv_loss: str = "wgan-gp"
    gp_with_hinge: bool = False
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    lambda_id: float = 0.0
    # Training.
    num_iters_decay: int = 100000
    lr_decay: str = "paper"
    g_lr: float = 1e-4
    d_lr: float = 1e-4
    n_critic: int = 5
    beta1: float = 0.5
    beta2: float = 0.999
    g_ema_beta: float = 0.0
    selected_attrs: tuple[str, ...] = DEFAULT_ATTRS
    # Data.
    celeba_image_dir: str = ""
    attr_path: str = ""
    rafd_image_dir: str = ""
    celeba_test_size: int = 2000
    rafd_test_fraction: float = 0.1
    synthetic_cache_dir: str = ""
    affectnet_image_dir: str = ""
    affectnet_train_csv: str = ""
    affectnet_val_csv: str = ""
    affectnet_crop_size: int = 0
    affectnet_balanced: bool = True
    # Directories and steps.
    log_dir: str = "runs/stargan/logs"
    model_save_dir: str = "runs/stargan/models"
    sample_dir: str = "runs/stargan/samples"
    attention_query: str = "0.5,0.5"
    lr_update_step: int = 1000

    def __post_init__(self):
        super().__post_init__()
        self.dataset = ",".join(name.strip() for name in self.dataset.lower().split(","))

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets this run trains on, in the order their batches alternate."""
        return ("celeba", "rafd") if self.dataset == "both" else tuple(self.dataset.split(","))

    def validate(self) -> "StarGANConfig":
        """Raises ConfigError naming the first flag whose value cannot work; returns self."""
        unknown = [name for name in self.datasets if name not in DATASET_NAMES]
        if unknown or len(set(self.datasets)) != len(self.datasets):
            raise ConfigError(f"--dataset={self.dataset!r}: expected one of {', '.join(DATASET_NAMES)} or both, or "
                              f"datasets among {', '.join(DATASET_NAMES)} joined by commas without repeats (e.g. "
                              f"celeba,affectnet)")
        if self.lr_decay not in LR_DECAY_MODES:
            raise ConfigError(f"--lr_decay={self.lr_decay!r}: expected one of {', '.join(LR_DECAY_MODES)}")
        super().validate()
        self.require_positive("c_dim", "c2_dim", "image_size", "celeba_crop_size", "rafd_crop_size", "g_conv_dim",
                              "d_conv_dim", "d_repeat_num", "n_critic", "lr_update_step", "g_lr", "d_lr")
        self.require_non_negative("g_repeat_num", "g_input_skip", "num_iters_decay", "celeba_test_size", "lambda_cls",
                                  "lambda_rec", "lambda_gp", "lambda_id", "affectnet_crop_size")
        self.require_fraction("beta1", "beta2", "rafd_test_fraction", "g_ema_beta")
        if self.num_iters_decay > self.num_iters:
            raise ConfigError(f"--num_iters_decay={self.num_iters_decay} exceeds --num_iters={self.num_iters}")
        if self.image_size % (2 ** self.d_repeat_num):
            raise ConfigError(f"--image_size={self.image_size} must be divisible by 2**d_repeat_num = "
                              f"{2 ** self.d_repeat_num} (--d_repeat_num={self.d_repeat_num})")
        if self.g_input_skip and self.image_size % self.g_input_skip:
            raise ConfigError(f"--image_size={self.image_size} must be divisible by --g_input_skip="
                              f"{self.g_input_skip}")
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

    def architecture_mismatches(self, other: "StarGANConfig") -> list[str]:
        """Human-readable differences in the settings that fix weight shapes (empty when compatible)."""
        diffs = super().architecture_mismatches(other)
        if "celeba" in self.datasets and tuple(self.selected_attrs) != tuple(other.selected_attrs):
            diffs.append(f"selected_attrs: checkpoint has {list(other.selected_attrs)}, "
                         f"this run has {list(self.selected_attrs)}")
        # The weights' shapes are the same with or without the input skip, but not what G's output means.
        if self.g_input_skip != other.g_input_skip:
            diffs.append(f"g_input_skip: checkpoint has {other.g_input_skip}, this run has {self.g_input_skip} (G "
                         f"was trained to change its input this way: pass --g_input_skip={other.g_input_skip} to "
                         f"resume this run)")
        # With EMA on, the checkpoints hold a second generator; a new non-zero decay only changes later updates.
        if bool(self.g_ema_beta) != bool(other.g_ema_beta):
            diffs.append(f"g_ema_beta: checkpoint has {other.g_ema_beta}, this run has {self.g_ema_beta} (the moving "
                         f"average of G is on or off for a whole run; another non-zero value can resume it)")
        return diffs

PRESETS = {
    # A small network on small synthetic images: clear translations in about 10 minutes on 2 CPU cores. At this
    # length the number of updates is what lowers the errors: batches of 8 (per dataset) give about twice the
    # iterations of 16 in the same time, and G learns every 2nd of them. G outputs a change to the input's
    # colours (g_input_skip=4): backgrounds keep their colour, and errors, reconstruction and speckle all fall.
    "quick": dict(dataset="both", image_size=32, g_conv_dim=32, d_conv_dim=32, g_repeat_num=3, d_repeat_num=4,
                  g_input_skip=4,
                  batch_size=8, num_iters=6000, num_iters_decay=3000, n_critic=2, lr_update_step=10, g_lr=2e-4,
                  d_lr=2e-4,
                  log_step=100, sample_step=500, model_save_step=1000, log_dir="runs/quick/logs",
                  model_save_dir="runs/quick/models", sample_dir="runs/quick/samples"),
    # The quality benchmark's run (benchmarks/quality.py): the quick preset trained twice as long.
    "quality": dict(dataset="both", image_size=32, g_conv_dim=32, d_conv_dim=32, g_repeat_num=3, d_repeat_num=4,
                    g_input_skip=4,
                    batch_size=8, num_iters=12000, num_iters_decay=6000, n_critic=2, lr_update_step=10,
                    g_lr=2e-4, d_lr=2e-4, log_step=100, sample_step=1000, model_save_step=1000,
                    log_dir="runs/quality/logs", model_save_dir="runs/quality/models",
                    sample_dir="runs/quality/samples"),
    "paper": {},
}

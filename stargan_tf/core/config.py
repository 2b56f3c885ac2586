"""What every model family's config shares: the training-run settings, their checks, the JSON round trip."""
from __future__ import annotations

import dataclasses
import json
import os
from typing import ClassVar

STRATEGIES = ("default", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


class ConfigError(ValueError):
    """A setting has a value the run cannot use; the message names the setting (flag)."""


@dataclasses.dataclass
class TrainingConfig:
    """The settings of a training run that any family has; a family's config subclasses it.

    A family redeclares a field to give it its own default (StarGAN v2's batch is 8, StarGAN's 16).
    """

    model_name: ClassVar[str] = ""  # the family, recorded in run.json
    architecture_fields: ClassVar[tuple[str, ...]] = ()  # settings that fix the weights' shapes
    list_fields: ClassVar[tuple[str, ...]] = ("devices",)  # tuple-valued settings (comma-separated flags)
    help: ClassVar[dict[str, str]] = {}  # flag help per field
    help_groups: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()  # (title, fields) for --help
    # Settings left out of the JSON while at their default: a run that does not use a setting added later writes
    # the run.json it wrote before that setting existed, which earlier versions (refusing unknown keys) still read.
    omitted_at_default: ClassVar[tuple[str, ...]] = ()

    batch_size: int = 16
    num_iters: int = 200000
    precision: str = "float32"
    resume: bool = True
    allow_batch_size_change: bool = False
    seed: int = 1234
    strategy: str = "default"
    devices: tuple[str, ...] = ()
    use_tensorboard: bool = True
    log_dir: str = "runs/logs"
    model_save_dir: str = "runs/models"
    sample_dir: str = "runs/samples"
    log_step: int = 10
    sample_step: int = 1000
    model_save_step: int = 10000
    keep_checkpoints: int = 3

    def __post_init__(self):
        for name in self.list_fields:
            setattr(self, name, tuple(getattr(self, name)))

    def validate(self):
        """Raises ConfigError naming the first flag whose value cannot work; returns self."""
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"--strategy={self.strategy!r}: expected one of {', '.join(STRATEGIES)}")
        if self.devices and self.strategy != "mirrored":
            raise ConfigError(f"--devices={','.join(self.devices)} needs --strategy=mirrored "
                              f"(--strategy={self.strategy} picks its devices itself)")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision={self.precision!r}: expected one of {', '.join(PRECISIONS)}")
        self.require_positive("batch_size", "num_iters", "log_step", "sample_step", "model_save_step",
                              "keep_checkpoints")
        return self

    def require_positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must be positive")

    def require_non_negative(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)}: must not be negative")

    def require_fraction(self, *names: str, closed: bool = False) -> None:
        """Each setting in [0, 1) (closed: [0, 1])."""
        for name in names:
            value = getattr(self, name)
            if not (0 <= value <= 1 if closed else 0 <= value < 1):
                raise ConfigError(f"--{name}={value}: must be in [0, {'1]' if closed else '1)'}")

    def to_dict(self) -> dict:
        """The config as JSON-ready values (without the omitted_at_default settings that have their default)."""
        values = dataclasses.asdict(self)
        values.update({name: list(getattr(self, name)) for name in self.list_fields})
        defaults = {field.name: field.default for field in dataclasses.fields(self)}
        for name in self.omitted_at_default:
            if values[name] == defaults[name]:
                del values[name]
        return values

    def save_json(self, path: str) -> None:
        """Writes the config as JSON (atomically, so a crash never leaves half a file)."""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)

    @classmethod
    def from_dict(cls, values: dict, source: str):
        """The config of stored values (run.json, a JSON file); unknown keys are an error naming the source."""
        unknown = sorted(set(values) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise ConfigError(f"{source}: unknown {cls.model_name} config keys {unknown}")
        return cls(**values)

    @classmethod
    def load_json(cls, path: str):
        """Reads a config written by save_json."""
        with open(path) as f:
            return cls.from_dict(json.load(f), path)

    def architecture_mismatches(self, other) -> list[str]:
        """Human-readable differences in the settings that fix weight shapes (empty when compatible)."""
        return [f"{name}: checkpoint has {getattr(other, name)!r}, this run has {getattr(self, name)!r}"
                for name in self.architecture_fields if getattr(self, name) != getattr(other, name)]

    def resume_mismatches(self, stored) -> list[str]:
        """Why this config cannot resume a run stored with `stored`: another architecture, or another batch size
        (a resumed run would no longer match an uninterrupted one) unless allow_batch_size_change."""
        differences = self.architecture_mismatches(stored)
        if self.batch_size != stored.batch_size and not self.allow_batch_size_change:
            differences.append(f"batch_size: checkpoint has {stored.batch_size}, this run has {self.batch_size} "
                               f"(pass --allow_batch_size_change to resume with {self.batch_size} anyway)")
        return differences


TRAINING_HELP = {
    "batch_size": "global batch: images per batch, split evenly over the replicas (alias --global_batch_size)",
    "num_iters": "training iterations",
    "precision": "float32, mixed_bfloat16 (CPUs with AMX/AVX512-BF16, TPUs) or mixed_float16 (GPUs, loss-scaled); "
                 "variables, normalization statistics and losses stay float32",
    "resume": "continue from the latest checkpoint in --model_save_dir when there is one (--noresume: refuse to "
              "start in a directory that holds one)",
    "allow_batch_size_change": "resume a run with another --batch_size than it was trained with: the step, learning "
                               "rates and optimizer state continue, but from there on the batches (images, their "
                               "order and random draws) differ from an uninterrupted run's",
    "seed": "seed of the initial weights and of every random draw of the input pipeline",
    "strategy": "default: one device; mirrored: every visible GPU of this machine (or --devices); multi_worker: "
                "the machines of the TF_CONFIG cluster, every GPU of each",
    "devices": "with --strategy=mirrored, the devices to use, comma-separated (e.g. /gpu:0,/gpu:1)",
    "use_tensorboard": "write losses, learning rates, images/s and sample grids for TensorBoard to --log_dir",
    "log_dir": "TensorBoard logs",
    "model_save_dir": "checkpoints and run.json",
    "sample_dir": "sample grids (PNG)",
    "log_step": "iterations between log lines",
    "sample_step": "iterations between sample grids",
    "model_save_step": "iterations between checkpoints",
    "keep_checkpoints": "how many recent checkpoints to keep",
}

TRAINING_GROUPS = (
    ("Training run", ("batch_size", "num_iters", "resume", "allow_batch_size_change", "seed")),
    ("Devices and precision", ("strategy", "devices", "precision")),
    ("Output", ("model_save_dir", "sample_dir", "log_dir", "use_tensorboard", "log_step", "sample_step",
                "model_save_step", "keep_checkpoints")),
)

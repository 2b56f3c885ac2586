"""The interface a model family implements: everything the scripts and the core ask a family for.

The core (trainer, run directory, export, photos) and the scripts never name a family: they get one from the
registry (stargan_tf.families) and call these methods. A new variant is a folder implementing this class.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from stargan_tf.core import faces


@dataclasses.dataclass(frozen=True)
class Option:
    """A script option (flag) that only some families accept: its name, default (its type) and help."""

    name: str
    default: Any
    help: str
    type: type | None = None  # the value's type when the default (None: not given) does not tell it


class ModelFamily:
    """A model family: its config, data, model, samples, serving, translation and evaluation."""

    name: ClassVar[str]  # the registry key and run.json's "model"
    title: ClassVar[str]  # how messages name it
    config_class: ClassVar[type]
    presets: ClassVar[dict]  # --preset name -> field values
    translate_options: ClassVar[tuple[Option, ...]] = ()  # scripts/translate.py flags of this family only
    evaluate_options: ClassVar[tuple[Option, ...]] = ()  # scripts/evaluate.py flags of this family only
    export_options: ClassVar[tuple[Option, ...]] = ()  # scripts/export.py flags of this family only
    serving_info_signature: ClassVar[str]  # the SavedModel signature that describes the model (labels, info)

    # Training.

    def prepare_data(self, config, verify_images: bool = True):
        """(config with data directories resolved and validated, the run's data)."""
        raise NotImplementedError

    def layout(self, data) -> dict:
        """What run.json stores as the data layout (label layout, domain names)."""
        raise NotImplementedError

    def start_fresh(self, model, config) -> None:
        """Called when a training run starts without a checkpoint: weights a resumed run restores instead (none)."""

    def alignment(self, config, directory: str) -> dict:
        """How a run directory's model wants a photo's face framed (run.json's alignment): CelebA's template."""
        return faces.alignment_description(config.image_size, faces.SQUARE)

    def build_model(self, config, layout: dict, optimizers: bool = True):
        """The family's GANModel for a config and stored layout, built under config.precision; compiled with its
        optimizers unless optimizers is False (inference)."""
        raise NotImplementedError

    def resume_mismatches(self, run: dict, data) -> list[str]:
        """Differences between a stored run.json and this run's data that forbid resuming (beyond the config's)."""
        return []

    def training_dataset(self, config, data, start_step: int):
        """Endless batches for train_step from the overall step start_step (a resumed run sees the same batches)."""
        raise NotImplementedError

    def sampler(self, config, data):
        """draw(model) -> {name: uint8 grid}: the sample grids written during training."""
        raise NotImplementedError

    def describe(self, config, data, model) -> list[str]:
        """Log lines saying what is trained on what."""
        raise NotImplementedError

    # Inference, serving, evaluation.

    def load_model(self, directory: str, checkpoint: str = ""):
        """(model, config) of a run directory, with the networks inference uses restored from its checkpoint
        `checkpoint` (e.g. ckpt-4; default: the newest)."""
        raise NotImplementedError

    def load_run(self, directory: str, checkpoint: str = ""):
        """(config with data directories resolved, the run's data, model restored for inference) of a run
        directory: what evaluation needs."""
        model, config = self.load_model(directory, checkpoint)
        config, data = self.prepare_data(config, verify_images=False)
        return config, data, model

    def serving_model(self, directory: str, crop_size: int, options: dict, checkpoint: str = ""):
        """The serving model (see stargan_tf.core.export) of a run directory's checkpoint (default: the newest)."""
        raise NotImplementedError

    def export_inputs(self, config, model, count: int, split: str):
        """Inputs to compare formats on (split 'held_out') or calibrate int8 on ('train'), from the run's data."""
        raise NotImplementedError

    def translator(self, signatures, description: str, model=None):
        """The photo translator over a model's signatures (a SavedModel's, or a checkpoint's traced alike)."""
        raise NotImplementedError

    def translate(self, translator, photos, output_dir: str, options: dict, target: str, all_domains: bool,
                  photo_options):
        """Translates photo files with the family's options and the common ones (a core.photos.PhotoOptions: --align,
        --interpolate); returns a core.photos.Report."""
        raise NotImplementedError

    def demo_page(self, translator, settings):
        """The family's demo page (a gradio.Blocks) for a translator; settings: a core.demo.DemoSettings."""
        raise NotImplementedError

    def evaluate(self, directory: str, classifier_dir: str, output_dir: str, classifier_steps: int,
                 inception_weights: str, max_images: int, options: dict, report_name: str = "report",
                 checkpoint: str = "") -> dict:
        """Evaluates a run directory's checkpoint (default: the newest); returns the report (also written to
        output_dir as <report_name>.json, .txt and grids)."""
        raise NotImplementedError

    def format_report(self, report: dict) -> str:
        """The evaluation report as the printed table."""
        raise NotImplementedError

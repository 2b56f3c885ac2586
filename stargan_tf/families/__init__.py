"""The model families and how to find one: by name, by a run directory's run.json, by a SavedModel's signatures.

This registry is the only place that names the families; everything else asks it.
"""
from __future__ import annotations

import importlib
import os

from stargan_tf.core.config import ConfigError

# name -> (module, class) of each family, imported when first asked for (they import TensorFlow).
FAMILIES = {
    "stargan": ("stargan_tf.families.stargan.family", "StarGANFamily"),
    "stargan_v2": ("stargan_tf.families.stargan_v2.family", "StarGANv2Family"),
}
_instances = {}


def names() -> tuple[str, ...]:
    """The registered family names."""
    return tuple(FAMILIES)


def get(name: str):
    """The family called `name`; ConfigError listing the names for an unknown one."""
    if name not in FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; expected one of {', '.join(FAMILIES)}")
    if name not in _instances:
        module, cls = FAMILIES[name]
        _instances[name] = getattr(importlib.import_module(module), cls)()
    return _instances[name]


def for_run(directory: str):
    """The family of a run directory (its run.json)."""
    from stargan_tf.core.run_dir import read_run_file

    return get(read_run_file(directory)["model"])


def for_signatures(signatures, source: str):
    """The family of a SavedModel, told by its information signature (StarGAN's labels, StarGAN v2's info)."""
    for name in FAMILIES:
        family = get(name)
        if family.serving_info_signature in signatures:
            return family
    expected = " or ".join(f"'{get(name).serving_info_signature}' ({get(name).title})" for name in FAMILIES)
    raise ConfigError(f"{source} is a SavedModel without the stargan_tf {expected} signature (found: "
                      f"{', '.join(signatures)}); export it with scripts/export.py")


def _saved_model_dir(path: str) -> str | None:
    """path itself if it is a SavedModel, else its highest numbered version (a TF Serving model folder), else None."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    versions = [int(name) for name in os.listdir(path)
                if name.isdigit() and os.path.isfile(os.path.join(path, name, "saved_model.pb"))]
    return os.path.join(path, str(max(versions))) if versions else None


def load_translator(path: str, flag: str = "--model", checkpoint: str = ""):
    """The photo translator of any family from a checkpoint directory (run.json + ckpt-*; `checkpoint`, e.g. ckpt-4,
    picks one, default the newest), a SavedModel, or a TF Serving model folder; a checkpoint is used through the
    signatures its export would have."""
    import tensorflow as tf

    from stargan_tf.core.photo_files import TranslateError
    from stargan_tf.core.run_dir import RUN_FILE, chosen_checkpoint

    if not os.path.isdir(path):
        raise TranslateError(f"{flag}={path}: no such directory")
    if os.path.isfile(os.path.join(path, RUN_FILE)):
        family = for_run(path)
        model = family.serving_model(path, crop_size=0, options={}, checkpoint=checkpoint)
        signatures = {name: tf.function(function, input_signature=spec)
                      for name, (function, spec) in model.endpoints().items()}
        return family.translator(signatures, f"checkpoint {chosen_checkpoint(path, checkpoint)}", model)
    saved_model = _saved_model_dir(path)
    if saved_model is None:
        raise TranslateError(f"{flag}={path} is neither a checkpoint directory (with {RUN_FILE} and ckpt-* files) "
                             f"nor a SavedModel (saved_model.pb, or numbered versions holding one)")
    if checkpoint:
        raise TranslateError(f"--checkpoint={checkpoint}: only for a checkpoint directory; {flag}={path} is a "
                             f"SavedModel")
    signatures = tf.saved_model.load(saved_model).signatures
    try:
        family = for_signatures(signatures, f"{flag}={saved_model}")
    except ConfigError as error:
        raise TranslateError(str(error)) from None
    return family.translator(signatures, f"SavedModel {saved_model}")

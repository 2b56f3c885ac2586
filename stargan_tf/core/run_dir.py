"""A run directory: run.json (family, config, data layout) beside the checkpoints; saving, restoring, recovery.

Every family checkpoints the same way: its networks keyed by weight path, its optimizers and the step counter.
Recovery after a crash: tf.train.CheckpointManager writes a checkpoint's shards to `<name>-N_temp/`, merges them into
`<name>-N.index` and `<name>-N.data-*`, then records it in the `checkpoint` state file (atomically), then
deletes the oldest checkpoint (index first). A kill can stop it between any two of these: leaving a temporary
directory, a written but unrecorded checkpoint, or a recorded one whose files were being deleted.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil

import keras
import tensorflow as tf

from stargan_tf.core import precision
from stargan_tf.core.config import ConfigError

logger = logging.getLogger("stargan_tf")

RUN_FILE = "run.json"  # The family, its config and the data layout, beside the checkpoints.
LEGACY_FAMILY = "stargan"  # run.json files written before StarGAN v2 existed name no family.


def write_run_file(directory: str, model_name: str, config, layout: dict) -> None:
    """Stores the run's family, config and data layout as JSON beside its checkpoints (atomically)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, RUN_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump({"model": model_name, "config": config.to_dict(), "layout": layout}, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def read_run_file(directory: str) -> dict:
    """A run's run.json: {"model": family, "config": ..., "layout": ...}."""
    path = os.path.join(directory, RUN_FILE)
    if not os.path.isfile(path):
        raise ConfigError(f"{directory} has no {RUN_FILE}: not a stargan_tf checkpoint directory")
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable run file ({error.__class__.__name__}: {error})") from error
    run.setdefault("model", LEGACY_FAMILY)
    return run


def read_run_config(directory: str, config_class):
    """The config stored beside a run's checkpoints, refusing a run of another model family."""
    run = read_run_file(directory)
    if run["model"] != config_class.model_name:
        raise ConfigError(f"{os.path.join(directory, RUN_FILE)} is a {run['model']} run, not {config_class.model_name}")
    return config_class.from_dict(run["config"], os.path.join(directory, RUN_FILE))


def weights_checkpoint(network: keras.Model) -> tf.train.Checkpoint:
    """Every weight of a network keyed by its path inside it.

    (tf.train.Checkpoint does not follow the Python lists Keras 3 layers keep their sublayers in, such as the
    generator's blocks or the per-domain heads; checkpointing the network object would silently drop them.)
    """
    keys = [weight.path.split("/", 1)[1].replace("/", ".") for weight in network.weights]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{network.name}: weight paths are not unique, cannot checkpoint them by path")
    return tf.train.Checkpoint(**dict(zip(keys, network.weights)))


def checkpoint_manager(model, directory: str, max_to_keep: int) -> tf.train.CheckpointManager:
    """A family model's checkpoints: its networks by weight path, its optimizers and the step counter."""
    checkpoint = tf.train.Checkpoint(
        step=model.step, **{name: weights_checkpoint(network) for name, network in model.networks.items()},
        **{name: precision.checkpointable(optimizer) for name, optimizer in model.optimizers.items()})
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep, checkpoint_name="ckpt")


def latest_checkpoint(directory: str) -> str:
    """The newest checkpoint of a run directory; ConfigError when it has none."""
    latest = tf.train.latest_checkpoint(directory)
    if latest is None:
        raise ConfigError(f"{directory} has {RUN_FILE} but no checkpoint (ckpt-*.index)")
    return latest


def restore_networks(model, directory: str, names) -> str:
    """Restores the named networks and the step counter of the newest checkpoint (what inference uses, without
    optimizers); returns its path."""
    latest = latest_checkpoint(directory)
    checkpoint = tf.train.Checkpoint(step=model.step,
                                     **{name: weights_checkpoint(model.networks[name]) for name in names})
    checkpoint.restore(latest).assert_existing_objects_matched().expect_partial()
    logger.info("restored %s", latest)
    return latest


def restore_for_training(model, manager: tf.train.CheckpointManager, config, check_stored_run=None) -> int:
    """Restores the latest checkpoint when the run directory has one, refusing another architecture; the step.

    check_stored_run(run.json dict) returns further differences a family checks (e.g. its domain names).
    """
    if manager.latest_checkpoint is None:
        logger.info("no checkpoint in %s: starting from step 0", config.model_save_dir)
        return 0
    if not config.resume:
        raise ConfigError(f"--model_save_dir={config.model_save_dir} already holds checkpoint "
                          f"{manager.latest_checkpoint}: pass --resume to continue it, or choose another directory")
    stored = read_run_config(config.model_save_dir, type(config))
    differences = config.architecture_mismatches(stored)
    if check_stored_run is not None:
        differences += check_stored_run(read_run_file(config.model_save_dir))
    if differences:
        raise ConfigError(f"cannot resume {manager.latest_checkpoint} with these flags: " + "; ".join(differences))
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    step = int(model.step.numpy())
    logger.info("resumed from %s at step %d (iteration %d)", manager.latest_checkpoint, step,
                step // model.steps_per_iteration)
    return step


def _readable(prefix: str, every_tensor: bool) -> bool:
    """Whether the checkpoint at `prefix` opens (and, with every_tensor, every tensor reads back intact)."""
    try:
        reader = tf.train.load_checkpoint(prefix)
        if every_tensor:
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
    except (tf.errors.OpError, ValueError, IndexError, RuntimeError):  # The reader raises these for torn files.
        return False
    return True


def recover_checkpoints(directory: str, name: str = "ckpt") -> str | None:
    """Makes `directory` consistent after a crash and returns its newest complete checkpoint (None if none).

    Recorded checkpoints that no longer open are dropped from the state file; an unrecorded checkpoint newer
    than every recorded one is adopted if every tensor of it reads back (a kill came between writing it and
    recording it); temporary directories and files of unfinished saves are removed.
    """
    if not os.path.isdir(directory):
        return None
    pattern = re.compile(rf"{re.escape(name)}-(\d+)(\.index|\.data-\d+-of-\d+|_temp)$")
    state = tf.train.get_checkpoint_state(directory)
    recorded = [os.path.basename(path) for path in state.all_model_checkpoint_paths] if state else []
    numbers = {int(match.group(1)) for entry in os.listdir(directory) if (match := pattern.match(entry))}
    numbers |= {int(path.rsplit("-", 1)[1]) for path in recorded}
    newest_recorded = max((int(path.rsplit("-", 1)[1]) for path in recorded), default=-1)
    complete, changes = [], []
    for number in sorted(numbers):
        prefix = os.path.join(directory, f"{name}-{number}")
        if os.path.isdir(prefix + "_temp"):
            shutil.rmtree(prefix + "_temp")
            changes.append(f"removed the unfinished save {prefix}_temp")
        is_recorded = os.path.basename(prefix) in recorded
        if is_recorded or number > newest_recorded:
            if _readable(prefix, every_tensor=not is_recorded):
                complete.append(prefix)
                if not is_recorded:
                    changes.append(f"adopted {prefix}, written but not recorded")
                continue
            changes.append(f"dropped the incomplete {prefix}")
        elif os.path.exists(prefix + ".index"):
            continue  # An older complete checkpoint this manager does not track: not ours to delete.
        for path in [prefix + ".index"] + tf.io.gfile.glob(prefix + ".data-*"):
            if os.path.exists(path):
                os.remove(path)
    if [os.path.basename(path) for path in complete] != recorded:
        if complete:
            tf.compat.v1.train.update_checkpoint_state(
                directory, os.path.basename(complete[-1]), [os.path.basename(path) for path in complete],
                all_model_checkpoint_timestamps=[os.path.getmtime(path + ".index") for path in complete])
        else:
            os.remove(os.path.join(directory, "checkpoint"))
    if changes:
        logger.warning("recovered %s after an interrupted save: %s", directory, "; ".join(changes))
    return complete[-1] if complete else None

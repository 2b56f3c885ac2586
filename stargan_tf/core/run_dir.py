"""A run directory: run.json (family, config, data layout) beside the checkpoints; saving, restoring, recovery.

Every family checkpoints the same way: its networks keyed by weight path, its optimizers and the step counter.
Recovery after a crash: tf.train.CheckpointManager writes a checkpoint's shards to `<name>-N_temp/`, merges them into
`<name>-N.index` and `<name>-N.data-*`, then records it in the `checkpoint` state file (atomically), then
deletes the oldest checkpoint (index first). A kill can stop it between any two of these: leaving a temporary
directory, a written but unrecorded checkpoint, or a recorded one whose files were being deleted. Recovery undoes
only those; a checkpoint it cannot read for any other reason stops it, naming the file, with nothing changed.
"""
from __future__ import annotations

import errno
import glob
import json
import logging
import os
import re
import shutil

import keras
import tensorflow as tf

from stargan_tf.core import faces, precision
from stargan_tf.core.config import ConfigError

logger = logging.getLogger("stargan_tf")

RUN_FILE = "run.json"  # The family, its config and the data layout, beside the checkpoints.
CHECKPOINT_NAME = "ckpt"  # Checkpoints are <CHECKPOINT_NAME>-<iteration>.
STATE_FILE = "checkpoint"  # tf.train.CheckpointManager's record of the checkpoints it keeps.
LEGACY_FAMILY = "stargan"  # run.json files written before StarGAN v2 existed name no family.
# What TensorFlow's checkpoint reader raises for a torn or damaged file (a truncated .data file: IndexError).
READ_ERRORS = (tf.errors.OpError, ValueError, IndexError, RuntimeError)


class CheckpointFileError(ConfigError):
    """A checkpoint file that cannot be read or is damaged; the message names it and what to do.

    A ConfigError, so that every command reports it in one line as it does a bad flag.
    """


def write_run_file(directory: str, model_name: str, config, layout: dict, alignment: dict | None = None) -> None:
    """Stores the run's family, config and data layout as JSON beside its checkpoints (atomically), with how a
    photo's face is aligned for the model (default faces.alignment_description), so other tools can prepare photos."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, RUN_FILE)
    alignment = alignment or faces.alignment_description(config.image_size, faces.SQUARE)
    with open(path + ".tmp", "w") as f:
        json.dump({"model": model_name, "config": config.to_dict(), "layout": layout, "alignment": alignment}, f,
                  indent=2, sort_keys=True)
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
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep,
                                      checkpoint_name=CHECKPOINT_NAME)


def latest_checkpoint(directory: str) -> str:
    """The newest checkpoint of a run directory; ConfigError when it has none."""
    latest = tf.train.latest_checkpoint(directory)
    if latest is None:
        raise ConfigError(f"{directory} has {RUN_FILE} but no checkpoint (ckpt-*.index)")
    return latest


def _number(path: str) -> int:
    """N of a checkpoint path <name>-N."""
    return int(path.rsplit("-", 1)[1])


def recorded_checkpoints(directory: str) -> list[str]:
    """The checkpoints the `checkpoint` state file of a directory records, oldest first (their paths)."""
    state = tf.train.get_checkpoint_state(directory)
    return [os.path.join(directory, os.path.basename(path)) for path in state.all_model_checkpoint_paths] if state \
        else []


def chosen_checkpoint(directory: str, name: str = "") -> str:
    """The checkpoint `name` (--checkpoint=ckpt-N) of a run directory, or its newest when name is empty."""
    if not name:
        return latest_checkpoint(directory)
    path = os.path.join(directory, name)
    if not os.path.isfile(path + ".index"):
        names = sorted(entry[:-len(".index")] for entry in os.listdir(directory) if entry.endswith(".index"))
        raise ConfigError(f"--checkpoint={name}: no {path}.index; {directory} has {', '.join(names) or 'none'}")
    return path


def checkpoint_files(prefix: str) -> list[str]:
    """The files of the checkpoint at prefix: its .index, then its .data-NNNNN-of-NNNNN shards."""
    return [prefix + ".index"] + sorted(glob.glob(glob.escape(prefix) + ".data-?????-of-?????"))


def refusal(paths) -> str | None:
    """The first of the files that the OS refuses to read to the end (permissions, I/O), with its error; else None.

    Told apart from a torn file: such a file may be fine and must never be taken for a half-written one.
    """
    for path in paths:
        try:
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass
        except OSError as error:
            return f"cannot read {path}: {error.strerror} ({errno.errorcode.get(error.errno, error.errno)})"
    return None


def damage(prefix: str, every_tensor: bool = True) -> str | None:
    """Why the checkpoint at prefix, whose files the OS reads (see refusal), does not read back, naming the file
    and tensor; None when its index (and with every_tensor, every tensor) reads."""
    files = checkpoint_files(prefix)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except READ_ERRORS as error:
        return f"{files[0]} is damaged: not a checkpoint index ({type(error).__name__}: {error})"
    for name in sorted(reader.get_variable_to_shape_map()) if every_tensor else ():
        try:
            reader.get_tensor(name)
        except READ_ERRORS as error:
            sizes = " or ".join(f"{path} ({os.path.getsize(path):,} bytes)" for path in files[1:])
            return (f"{sizes} is truncated or damaged: tensor {name}, listed in {files[0]}, does not read back "
                    f"({type(error).__name__}: {error})")
    return None


def _restore(checkpoint: tf.train.Checkpoint, path: str, advice: str):
    """checkpoint.restore(path); CheckpointFileError naming the file and giving `advice` when a file of it does not
    read back (any other failure is raised as it is)."""
    try:
        return checkpoint.restore(path)
    except READ_ERRORS as error:
        problem = refusal(checkpoint_files(path)) or damage(path)
        if problem is None:
            raise
        raise CheckpointFileError(f"{problem}; {advice}") from error


def restore_networks(model, directory: str, names, checkpoint: str = "") -> str:
    """Restores the named networks and the step counter of a checkpoint (`checkpoint`, e.g. ckpt-4, else the newest:
    what inference uses, without optimizers); returns its path."""
    path = chosen_checkpoint(directory, checkpoint)
    earlier = [os.path.basename(other) for other in recorded_checkpoints(directory) if _number(other) < _number(path)]
    advice = (f"pass --checkpoint={earlier[-1]} to use the previous checkpoint" if earlier
              else f"{directory} records no earlier checkpoint")
    restored = tf.train.Checkpoint(step=model.step,
                                   **{name: weights_checkpoint(model.networks[name]) for name in names})
    _restore(restored, path, advice).assert_existing_objects_matched().expect_partial()
    logger.info("restored %s", path)
    return path


def restore_for_training(model, manager: tf.train.CheckpointManager, config, check_stored_run=None) -> int:
    """Restores the latest checkpoint when the run directory has one, refusing another architecture; the step.

    check_stored_run(run.json dict) returns further differences a family checks (e.g. its domain names).
    """
    latest = manager.latest_checkpoint
    if latest is None:
        logger.info("no checkpoint in %s: starting from step 0", config.model_save_dir)
        return 0
    if not config.resume:
        raise ConfigError(f"--model_save_dir={config.model_save_dir} already holds checkpoint "
                          f"{latest}: pass --resume to continue it, or choose another directory")
    stored = read_run_config(config.model_save_dir, type(config))
    differences = config.resume_mismatches(stored)
    if check_stored_run is not None:
        differences += check_stored_run(read_run_file(config.model_save_dir))
    if differences:
        raise ConfigError(f"cannot resume {latest} with these flags: " + "; ".join(differences))
    if stored.batch_size != config.batch_size:
        logger.warning("resuming with --batch_size=%d instead of the run's %d (--allow_batch_size_change): from "
                       "here on the run sees other batches than an uninterrupted one", config.batch_size,
                       stored.batch_size)
    files = " and ".join(checkpoint_files(latest))
    advice = (f"to resume from the previous checkpoint {manager.checkpoints[-2]}, move {files} out of "
              f"{config.model_save_dir} and run again" if len(manager.checkpoints) > 1
              else "it is the run's only checkpoint: train in another --model_save_dir to start over")
    _restore(manager.checkpoint, latest, advice).assert_existing_objects_matched()
    step = int(model.step.numpy())
    logger.info("resumed from %s at step %d (iteration %d)", latest, step, step // model.steps_per_iteration)
    return step


def recover_checkpoints(directory: str, name: str = CHECKPOINT_NAME) -> str | None:
    """Makes `directory` consistent after a crash and returns its newest complete checkpoint (None if none).

    Undone, and only these: a save's temporary directory is removed; an unrecorded checkpoint newer than every
    recorded one is adopted if every tensor of it reads back, else removed (a kill came while writing or before
    recording it); a recorded checkpoint whose index is gone is dropped from the state file, and an older one's
    remaining data files removed (a kill came while the manager deleted it). Any other file that does not read
    raises CheckpointFileError naming it, before anything is changed.
    """
    if not os.path.isdir(directory):
        return None
    pattern = re.compile(rf"{re.escape(name)}-(\d+)(\.index|\.data-\d+-of-\d+|_temp)$")
    entries = set(os.listdir(directory))
    unchanged = f"nothing in {directory} was changed"
    state_file = os.path.join(directory, STATE_FILE)
    problem = STATE_FILE in entries and (refusal([state_file]) or (
        None if tf.train.get_checkpoint_state(directory) else f"{state_file} is damaged: not a checkpoint state"))
    if problem:
        raise CheckpointFileError(f"{problem}; {unchanged}")
    recorded = [os.path.basename(path) for path in recorded_checkpoints(directory)]
    numbers = {int(match.group(1)) for entry in entries if (match := pattern.match(entry))}
    numbers |= {_number(path) for path in recorded}
    newest_recorded = max(map(_number, recorded), default=-1)
    complete, remove, changes = [], [], []
    for number in sorted(numbers):  # First decide, raising before anything changes; then change.
        prefix = os.path.join(directory, f"{name}-{number}")
        files = checkpoint_files(prefix)
        is_recorded, has_index = os.path.basename(prefix) in recorded, os.path.basename(files[0]) in entries
        if os.path.isdir(prefix + "_temp"):
            remove.append(prefix + "_temp")
            changes.append(f"removed the unfinished save {prefix}_temp")
        if is_recorded and not has_index:
            if number == newest_recorded and files[1:]:
                raise CheckpointFileError(f"{files[0]} is missing but not its data files, and {state_file} records "
                                          f"it as the newest checkpoint (a crash never leaves that): restore it, "
                                          f"or move {' and '.join(files[1:])} out of {directory} to resume from "
                                          f"the previous checkpoint; {unchanged}")
            remove += files[1:]
            changes.append(f"dropped {prefix}, whose files were {'being deleted' if files[1:] else 'gone'}")
        elif is_recorded:
            problem = refusal(files[:1]) or damage(prefix, every_tensor=False)
            if problem:
                raise CheckpointFileError(f"{problem}; {unchanged}")
            complete.append(prefix)
        elif number > newest_recorded:
            problem = refusal(files) if has_index else None
            if problem:  # The OS refused to read it: that proves nothing about how it was written.
                raise CheckpointFileError(f"{problem}; {unchanged}")
            problem = damage(prefix) if has_index else f"{files[0]} was not written"
            if problem is None:
                complete.append(prefix)
                changes.append(f"adopted {prefix}, written but not recorded")
            else:
                remove += files if has_index else files[1:]
                changes.append(f"removed {prefix}, written only in part ({problem})")
        # An older unrecorded checkpoint is not this manager's: left alone.
    if recorded and not complete:
        raise CheckpointFileError(f"{state_file} records {', '.join(recorded)} but no files of them are left: "
                                  f"remove {state_file} to start over from step 0; {unchanged}")
    for path in remove:
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    if [os.path.basename(path) for path in complete] != recorded:
        tf.compat.v1.train.update_checkpoint_state(
            directory, os.path.basename(complete[-1]), [os.path.basename(path) for path in complete],
            all_model_checkpoint_timestamps=[os.path.getmtime(path + ".index") for path in complete])
    if changes:
        logger.warning("recovered %s after an interrupted save: %s", directory, "; ".join(changes))
    return complete[-1] if complete else None

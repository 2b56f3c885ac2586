"""Recovery of a checkpoint directory after a crash: resume from the newest complete checkpoint.

tf.train.CheckpointManager writes a checkpoint's shards to `<name>-N_temp/`, merges them into
`<name>-N.index` and `<name>-N.data-*`, then records it in the `checkpoint` state file (atomically), then
deletes the oldest checkpoint (index first). A kill can stop it between any two of these: leaving a temporary
directory, a written but unrecorded checkpoint, or a recorded one whose files were being deleted.
"""
from __future__ import annotations

import logging
import os
import re
import shutil

import tensorflow as tf

logger = logging.getLogger("stargan_tf")


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

"""What both families' official-checkpoint imports share: refusing a directory that holds a checkpoint, and
import.json, the record of the files a run directory's weights came from."""
from __future__ import annotations

import hashlib
import json
import os

import tensorflow as tf

from stargan_tf.interop.torch_checkpoint import CheckpointError

IMPORT_FILE = "import.json"  # Where the weights of an imported checkpoint directory came from.


def refuse_existing_checkpoint(output_dir: str) -> None:
    """CheckpointError when --output already holds a checkpoint: an import never overwrites a run."""
    existing = tf.train.latest_checkpoint(output_dir)
    if existing:
        raise CheckpointError(f"--output={output_dir} already holds checkpoint {existing}: choose an empty directory")


def source(path: str) -> dict:
    """An imported file's absolute path and SHA-256, so that a run directory says exactly what it holds."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": os.path.abspath(path), "sha256": digest.hexdigest()}


def write_import_record(output_dir: str, sources: dict) -> None:
    """Writes import.json: {network or file role: source(path) or a sentence saying why it was not imported}."""
    with open(os.path.join(output_dir, IMPORT_FILE), "w") as f:
        json.dump(sources, f, indent=2)

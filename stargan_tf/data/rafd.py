"""Reads a RaFD-format dataset: one folder per class (expression), labels one-hot by sorted class name."""
from __future__ import annotations

import random

import numpy as np

from stargan_tf.data.files import LabeledFiles, read_class_folders

SPLIT_SEED = 1234


def read_rafd(image_dir: str, test_fraction: float = 0.1) -> tuple[LabeledFiles, LabeledFiles]:
    """(train, test) files with one-hot labels; each class holds out the same fraction, deterministically."""
    files = read_class_folders(image_dir, "RaFD image directory")
    class_ids = files.labels.argmax(axis=1)
    train_ids, test_ids = [], []
    for class_id, name in enumerate(files.names):
        ids = [int(i) for i in np.flatnonzero(class_ids == class_id)]
        random.Random(f"{SPLIT_SEED}-{name}").shuffle(ids)
        held_out = int(len(ids) * test_fraction)
        test_ids += ids[:held_out]
        train_ids += ids[held_out:]
    return files.subset(sorted(train_ids)), files.subset(sorted(test_ids))

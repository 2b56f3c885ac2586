"""Reads a RaFD-format dataset: one folder per class (expression), labels one-hot by sorted class name."""
from __future__ import annotations

import os
import random

import numpy as np

from stargan_tf.data.files import IMAGE_EXTENSIONS, DataError, LabeledFiles

SPLIT_SEED = 1234


def read_rafd(image_dir: str, test_fraction: float = 0.1) -> tuple[LabeledFiles, LabeledFiles]:
    """(train, test) files with one-hot labels; each class holds out the same fraction, deterministically."""
    if not os.path.isdir(image_dir):
        raise DataError(f"RaFD image directory {image_dir} does not exist")
    classes = sorted(entry.name for entry in os.scandir(image_dir) if entry.is_dir())
    if not classes:
        raise DataError(f"RaFD image directory {image_dir} has no class folders (expected {image_dir}/<class>/*.jpg)")
    paths, class_ids, train_ids, test_ids = [], [], [], []
    for class_id, name in enumerate(classes):
        folder = os.path.join(image_dir, name)
        images = sorted(entry.name for entry in os.scandir(folder)
                        if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS))
        if not images:
            raise DataError(f"RaFD class folder {folder} has no images ({', '.join(IMAGE_EXTENSIONS)})")
        ids = list(range(len(paths), len(paths) + len(images)))
        random.Random(f"{SPLIT_SEED}-{name}").shuffle(ids)
        held_out = int(len(ids) * test_fraction)
        test_ids += ids[:held_out]
        train_ids += ids[held_out:]
        paths += [os.path.join(folder, image) for image in images]
        class_ids += [class_id] * len(images)
    labels = np.eye(len(classes), dtype=np.float32)[class_ids]
    files = LabeledFiles(tuple(paths), labels, tuple(classes))
    return files.subset(sorted(train_ids)), files.subset(sorted(test_ids))

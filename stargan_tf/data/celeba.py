"""Reads a CelebA-format dataset: an image folder and `list_attr_celeba.txt` with 1/-1 attribute values."""
from __future__ import annotations

import logging
import os
import random

import numpy as np

from stargan_tf.data.files import DataError, LabeledFiles

logger = logging.getLogger("stargan_tf")

SPLIT_SEED = 1234  # The official split shuffles the rows with random.seed(1234).


def parse_attributes(attr_path: str) -> tuple[list[str], list[str], np.ndarray]:
    """(filenames, the 40 attribute names, values [N, 40] in {1, -1}) from a CelebA attribute file."""
    if not os.path.isfile(attr_path):
        raise DataError(f"attribute file {attr_path} does not exist (expected list_attr_celeba.txt)")
    with open(attr_path) as f:
        lines = [line.rstrip("\n") for line in f]
    if len(lines) < 2:
        raise DataError(f"{attr_path}: expected a count line, a line of attribute names and one row per image")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise DataError(f"{attr_path} line 1: expected the number of images, got {lines[0][:60]!r}") from None
    names = lines[1].split()
    rows = [line.split() for line in lines[2:] if line.strip()]
    if len(rows) != count:
        raise DataError(f"{attr_path}: line 1 says {count} images but {len(rows)} rows follow")
    filenames, values = [], []
    for line_number, row in enumerate(rows, start=3):
        if len(row) != len(names) + 1:
            raise DataError(f"{attr_path} line {line_number}: expected a filename and {len(names)} values, "
                            f"got {len(row)} columns")
        try:
            row_values = [int(value) for value in row[1:]]
        except ValueError:
            raise DataError(f"{attr_path} line {line_number}: attribute values must be 1 or -1") from None
        if any(value not in (1, -1) for value in row_values):
            raise DataError(f"{attr_path} line {line_number}: attribute values must be 1 or -1")
        filenames.append(row[0])
        values.append(row_values)
    return filenames, names, np.asarray(values, np.int8).reshape(len(rows), len(names))


def read_celeba(image_dir: str, attr_path: str, selected_attrs, test_size: int = 2000
                ) -> tuple[LabeledFiles, LabeledFiles]:
    """(train, test) files with 0/1 labels of the selected attributes; the split is the official one.

    Rows are shuffled with random.seed(1234) and the first `test_size` go to test; a set with fewer than
    10x that many images holds out a tenth instead.
    """
    if not os.path.isdir(image_dir):
        raise DataError(f"CelebA image directory {image_dir} does not exist")
    filenames, names, values = parse_attributes(attr_path)
    unknown = [name for name in selected_attrs if name not in names]
    if unknown:
        raise DataError(f"--selected_attrs: unknown attribute(s) {', '.join(unknown)} in {attr_path}; "
                        f"available: {' '.join(names)}")
    missing = [name for name in filenames if not os.path.isfile(os.path.join(image_dir, name))]
    if missing:
        raise DataError(f"{attr_path} lists {len(missing)} image(s) missing from {image_dir}, "
                        f"e.g. {', '.join(missing[:5])}")
    columns = [names.index(name) for name in selected_attrs]
    files = LabeledFiles(tuple(os.path.join(image_dir, name) for name in filenames),
                         (values[:, columns] == 1).astype(np.float32), tuple(selected_attrs))
    order = list(range(len(files)))
    random.Random(SPLIT_SEED).shuffle(order)
    held_out = min(test_size, len(files) // 10)
    if held_out < test_size:
        logger.info("CelebA: %d images, holding out %d for test instead of %d", len(files), held_out, test_size)
    return files.subset(order[held_out:]), files.subset(order[:held_out])

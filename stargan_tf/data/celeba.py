"""Reads a CelebA-format dataset: an image folder and `list_attr_celeba.txt` with 1/-1 attribute values."""
from __future__ import annotations

import codecs
import collections
import logging
import os
import random

import numpy as np

from stargan_tf.data.files import DataError, LabeledFiles, skip_irregular

logger = logging.getLogger("stargan_tf")

SPLIT_SEED = 1234  # The official split shuffles the rows with random.seed(1234).
# Byte-order mark -> codec (which drops the mark). UTF-32 LE's mark comes first: it starts with UTF-16 LE's.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _read_text(attr_path: str) -> str:
    """The attribute file's text: UTF-8, or UTF-8/16/32 with a byte-order mark (the mark dropped); anything else
    (latin-1, UTF-16 without a mark) is a DataError naming the file and where decoding failed."""
    with open(attr_path, "rb") as f:
        raw = f.read()
    encoding = next((name for bom, name in BYTE_ORDER_MARKS if raw.startswith(bom)), "utf-8")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        name = encoding.replace("-sig", "").upper()
        line = raw.count(b"\n", 0, error.start) + 1  # Meaningful in UTF-8 only.
        where = f" line {line}" if name == "UTF-8" else ""
        raise DataError(f"{attr_path}{where}: byte {raw[error.start]:#04x} at offset {error.start} is not {name} "
                        f"text (latin-1 or another encoding?): save the file as UTF-8") from None
    if "\0" in text:
        raise DataError(f"{attr_path}: holds NUL characters (UTF-16 or UTF-32 without a byte-order mark?): save the "
                        f"file as UTF-8")
    return text


def _warn_conflicting_duplicates(attr_path: str, filenames: list[str], values: list, line_numbers: list[int]):
    """Logs the file names listed on several lines with different labels (each row stays its own example)."""
    rows_of = collections.defaultdict(list)
    for row, filename in enumerate(filenames):
        rows_of[filename].append(row)
    conflicts = [(filename, rows) for filename, rows in rows_of.items()
                 if any(values[row] != values[rows[0]] for row in rows)]
    if conflicts:
        shown = "; ".join(f"{filename} on lines {', '.join(str(line_numbers[row]) for row in rows)}"
                          for filename, rows in conflicts[:10])
        logger.warning("%s: %d file name(s) listed more than once with different labels (every row is kept as "
                       "its own example): %s%s", attr_path, len(conflicts), shown,
                       "; ..." if len(conflicts) > 10 else "")


def parse_attributes(attr_path: str) -> tuple[list[str], list[str], np.ndarray]:
    """(filenames, the 40 attribute names, values [N, 40] in {1, -1}) from a CelebA attribute file."""
    if not os.path.isfile(attr_path):
        raise DataError(f"attribute file {attr_path} does not exist (expected list_attr_celeba.txt)")
    lines = _read_text(attr_path).splitlines()
    if len(lines) < 2:
        raise DataError(f"{attr_path}: expected a count line, a line of attribute names and one row per image")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise DataError(f"{attr_path} line 1: expected the number of images, got {lines[0][:60]!r}") from None
    names = lines[1].split()
    rows = [(line_number, line.split()) for line_number, line in enumerate(lines[2:], start=3) if line.strip()]
    if len(rows) != count:
        raise DataError(f"{attr_path}: line 1 says {count} images but {len(rows)} rows follow")
    filenames, values = [], []
    for line_number, row in rows:
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
    _warn_conflicting_duplicates(attr_path, filenames, values, [line_number for line_number, _ in rows])
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
    missing = [name for name in filenames if not os.path.exists(os.path.join(image_dir, name))]
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
    return (skip_irregular(files.subset(order[held_out:]), "CelebA train"),
            skip_irregular(files.subset(order[:held_out]), "CelebA test"))

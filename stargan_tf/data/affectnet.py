"""Reads AffectNet: the official annotation CSVs over the original photos, or the re-packaged class folders.

AffectNet (Mollahosseini, Hasani and Mahoor, "AffectNet: A Database for Facial Expression, Valence, and Arousal
Computing in the Wild", IEEE Trans. Affective Computing 2017, arXiv:1708.03985) holds about 1M web photos;
about 450k were labelled by hand with one of eleven categories (Neutral, Happy, Sad, Surprise, Fear, Disgust,
Anger, Contempt, None, Uncertain, Non-Face) and with valence and arousal, each face with its box and 68
landmarks. The released CSVs (training.csv, validation.csv) have one face per row with the columns
subDirectory_filePath, face_x, face_y, face_width, face_height, facial_landmarks (x1;y1;x2;y2;... over the 68
points), expression (0-10 in the category order above), valence, arousal: the header the released files and
the loaders written for them use. The test set was never released, so the validation split serves as this
package's test split.

The re-packaged form has faces already cropped as train/<class>/*.jpg and val/<class>/*.jpg; class folders
named by code (0-7) get the expression names.
"""
from __future__ import annotations

import csv
import dataclasses
import logging
import os

import numpy as np

from stargan_tf.data.files import DataError, LabeledFiles, read_class_folders

logger = logging.getLogger("stargan_tf")

EXPRESSIONS = ("Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt")
SKIPPED_CATEGORIES = ("None", "Uncertain", "Non-Face")  # codes 8, 9, 10: not an expression
NUM_LANDMARKS = 68
COLUMNS = ("subDirectory_filePath", "face_x", "face_y", "face_width", "face_height", "facial_landmarks",
           "expression")
FOLDER_SPLITS = ("train", "val")  # the re-packaged form's train and test folders


@dataclasses.dataclass(frozen=True)
class Annotations:
    """The expression-labelled faces of one AffectNet CSV: photo paths, codes 0-7, boxes and landmarks."""

    csv_path: str
    image_dir: str
    paths: tuple[str, ...]
    codes: np.ndarray  # int [N] in 0..7
    boxes: np.ndarray  # float [N, 4]: x, y, width, height
    landmarks: np.ndarray  # float [N, 68, 2], NaN on rows without landmarks
    skipped: dict  # category name (None, Uncertain, Non-Face) -> rows skipped

    def __len__(self) -> int:
        return len(self.paths)


def one_hot(codes) -> np.ndarray:
    """Expression codes 0-7 [N] -> one-hot labels [N, 8] in EXPRESSIONS order."""
    return np.eye(len(EXPRESSIONS), dtype=np.float32)[np.asarray(codes, int)]


def parse_landmarks(text: str, where: str) -> np.ndarray:
    """The facial_landmarks field 'x1;y1;...;x68;y68' -> float [68, 2]; an empty field -> all NaN (no landmarks)."""
    if not text.strip():
        return np.full((NUM_LANDMARKS, 2), np.nan)
    try:
        values = [float(value) for value in text.strip().strip(";").split(";")]
    except ValueError:
        raise DataError(f"{where}: facial_landmarks must be numbers separated by ';', got {text[:60]!r}") from None
    if len(values) != 2 * NUM_LANDMARKS:
        raise DataError(f"{where}: facial_landmarks holds {len(values)} numbers, expected {2 * NUM_LANDMARKS} "
                        f"(x;y of {NUM_LANDMARKS} points) or nothing")
    return np.asarray(values).reshape(NUM_LANDMARKS, 2)


def parse_row(row: dict, where: str) -> tuple[str, int, list[float], np.ndarray]:
    """(relative image path, expression code 0-10, box [x, y, w, h], landmarks [68, 2]) of one CSV row."""
    try:
        code = int(row["expression"])
    except (TypeError, ValueError):
        code = -1
    if not 0 <= code < len(EXPRESSIONS) + len(SKIPPED_CATEGORIES):
        raise DataError(f"{where}: expression must be a code from 0 to 10, got {row['expression']!r}")
    try:
        box = [float(row[name]) for name in COLUMNS[1:5]]
    except (TypeError, ValueError):
        raise DataError(f"{where}: face_x, face_y, face_width, face_height must be numbers, got "
                        f"{[row[name] for name in COLUMNS[1:5]]}") from None
    if box[2] <= 0 or box[3] <= 0:
        raise DataError(f"{where}: face_width and face_height must be positive, got {box[2]} and {box[3]}")
    if not row["subDirectory_filePath"]:
        raise DataError(f"{where}: subDirectory_filePath is empty")
    return row["subDirectory_filePath"], code, box, parse_landmarks(row["facial_landmarks"] or "", where)


def parse_annotations(csv_path: str, image_dir: str) -> Annotations:
    """The faces of an AffectNet CSV labelled with an expression (codes 0-7); rows coded 8-10 are counted, skipped.

    Errors name the file and line; a listed image missing from image_dir is an error (as for CelebA).
    """
    if not os.path.isfile(csv_path):
        raise DataError(f"AffectNet annotation file {csv_path} does not exist (expected training.csv or "
                        f"validation.csv)")
    paths, codes, boxes, landmarks = [], [], [], []
    skipped = dict.fromkeys(SKIPPED_CATEGORIES, 0)
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or ())]
        if missing:
            raise DataError(f"{csv_path} line 1: expected a header with the columns {', '.join(COLUMNS)}; "
                            f"missing {', '.join(missing)}")
        for row in reader:
            where = f"{csv_path} line {reader.line_num}"
            if None in row.values():
                raise DataError(f"{where}: expected {len(reader.fieldnames)} columns, got fewer")
            path, code, box, points = parse_row(row, where)
            if code >= len(EXPRESSIONS):
                skipped[SKIPPED_CATEGORIES[code - len(EXPRESSIONS)]] += 1
                continue
            paths.append(os.path.join(image_dir, path))
            codes.append(code)
            boxes.append(box)
            landmarks.append(points)
    if not paths:
        raise DataError(f"{csv_path}: no row has an expression code from 0 to 7")
    absent = [path for path in paths if not os.path.exists(path)]
    if absent:
        raise DataError(f"{csv_path} lists {len(absent)} image(s) missing from {image_dir}, "
                        f"e.g. {', '.join(absent[:5])}")
    logger.info("%s: %d faces with an expression; skipped %s", csv_path, len(paths),
                ", ".join(f"{count} {name}" for name, count in skipped.items()))
    return Annotations(csv_path, image_dir, tuple(paths), np.asarray(codes, int), np.asarray(boxes, float).reshape(-1, 4),
                       np.stack(landmarks), skipped)


def read_affectnet_csv(image_dir: str, train_csv: str, val_csv: str) -> tuple[Annotations, Annotations]:
    """(train, test) annotations: training.csv, and validation.csv as the test split (the test set is unreleased)."""
    if not os.path.isdir(image_dir):
        raise DataError(f"--affectnet_image_dir={image_dir} does not exist")
    return parse_annotations(train_csv, image_dir), parse_annotations(val_csv, image_dir)


def expression_names(folder_names) -> tuple[str, ...]:
    """Class folder names, with folders named by code (0-7) renamed to their expressions."""
    if all(name.isdigit() and int(name) < len(EXPRESSIONS) for name in folder_names):
        return tuple(EXPRESSIONS[int(name)] for name in folder_names)
    return tuple(folder_names)


def read_affectnet_folders(image_dir: str) -> tuple[LabeledFiles, LabeledFiles]:
    """(train, test) files of the re-packaged form image_dir/{train,val}/<class>/*.jpg (faces already cropped)."""
    splits = []
    for split in FOLDER_SPLITS:
        files = read_class_folders(os.path.join(image_dir, split), "AffectNet image directory")
        splits.append(dataclasses.replace(files, names=expression_names(files.names)))
    train, test = splits
    if train.names != test.names:
        raise DataError(f"{image_dir}: train/ has the classes {', '.join(train.names)} but val/ has "
                        f"{', '.join(test.names)}; expected the same class folders")
    return train, test


def is_repackaged(image_dir: str) -> bool:
    """Whether image_dir holds the re-packaged form (train/ and val/ class folders) rather than the photos."""
    return all(os.path.isdir(os.path.join(image_dir, split)) for split in FOLDER_SPLITS)

"""Labelled image-file lists, their deterministic train/test split, and the up-front check of each file."""
from __future__ import annotations

import dataclasses
import logging
import os

import numpy as np
from PIL import Image

logger = logging.getLogger("stargan_tf")

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


class DataError(ValueError):
    """A dataset file or directory is missing or malformed; the message names it and what was expected."""


@dataclasses.dataclass(frozen=True)
class LabeledFiles:
    """Image paths with their labels [N, len(names)] in {0, 1}, for one dataset split."""

    paths: tuple[str, ...]
    labels: np.ndarray
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep) -> "LabeledFiles":
        keep = list(keep)
        return LabeledFiles(tuple(self.paths[i] for i in keep), self.labels[keep], self.names)


def unreadable_reason(path: str) -> str | None:
    """Why an image file cannot be used (None if it can): missing, not an image, or a truncated JPEG."""
    try:
        with Image.open(path) as image:
            image_format = image.format
    except (OSError, ValueError) as error:
        return f"not a readable image ({error.__class__.__name__}: {error})"
    if image_format == "JPEG":
        with open(path, "rb") as f:
            f.seek(-2, os.SEEK_END)
            if f.read() != b"\xff\xd9":
                return "truncated JPEG (no end-of-image marker)"
    return None


def drop_unreadable(files: LabeledFiles, what: str) -> LabeledFiles:
    """Skips files that are not images, logging each by name; an error when none is left."""
    bad = [(i, reason) for i, path in enumerate(files.paths) if (reason := unreadable_reason(path))]
    for i, reason in bad:
        logger.warning("skipping %s image %s: %s", what, files.paths[i], reason)
    if bad:
        logger.warning("%s: skipped %d unreadable image(s) of %d", what, len(bad), len(files))
    if bad and len(bad) == len(files):
        raise DataError(f"{what}: none of the {len(files)} images is readable (first: {files.paths[0]})")
    bad_indices = {i for i, _ in bad}
    return files.subset(i for i in range(len(files)) if i not in bad_indices) if bad else files


def read_class_folders(image_dir: str, what: str) -> LabeledFiles:
    """Images under image_dir/<class>/, one-hot labelled by class, classes sorted by folder name.

    `what` names the dataset in errors ("RaFD image directory", "StarGAN v2 training directory").
    """
    if not os.path.isdir(image_dir):
        raise DataError(f"{what} {image_dir} does not exist")
    classes = sorted(entry.name for entry in os.scandir(image_dir) if entry.is_dir())
    if not classes:
        raise DataError(f"{what} {image_dir} has no class folders (expected {image_dir}/<class>/*.jpg)")
    paths, class_ids = [], []
    for class_id, name in enumerate(classes):
        folder = os.path.join(image_dir, name)
        images = sorted(entry.name for entry in os.scandir(folder)
                        if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS))
        if not images:
            raise DataError(f"class folder {folder} has no images ({', '.join(IMAGE_EXTENSIONS)})")
        paths += [os.path.join(folder, image) for image in images]
        class_ids += [class_id] * len(images)
    return LabeledFiles(tuple(paths), np.eye(len(classes), dtype=np.float32)[class_ids], tuple(classes))

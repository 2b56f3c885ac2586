"""Labelled image-file lists, their deterministic train/test split, and the up-front check of each file."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from stargan_tf.data.synthetic import default_cache_base

logger = logging.getLogger("stargan_tf")

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
CHECK_VERSION = 1  # Part of the image check's cache key: bump when what the check accepts changes.
FILE_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
              (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


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


def decode_image(contents):
    """Encoded image bytes as uint8 RGB [H, W, 3], alpha dropped and gray expanded: the decoder training uses,
    so the up-front check accepts exactly the files training can read."""
    return tf.io.decode_image(contents, channels=3, expand_animations=False)


def not_regular_reason(path: str) -> str | None:
    """Why a path is not a regular file (None if it is, symlinks followed), found without opening it: opening a
    FIFO or a device named *.jpg would block the run forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for is_kind, name in FILE_KINDS if is_kind(mode)), "a special file")
    return f"{kind}, not a regular file (never opened)"


def unreadable_reason(path: str) -> str | None:
    """Why training cannot read an image file (None if it can): missing, not a regular file, or rejected by the
    training decoder (not an image, a format TensorFlow does not decode, truncated)."""
    if problem := not_regular_reason(path):
        return problem
    try:
        decode_image(tf.io.read_file(path))
    except tf.errors.OpError as error:
        message = re.sub(r"^\{\{.*?\}\} | \[Op:.*$", "", error.message.strip(), flags=re.S)
        return f"TensorFlow cannot decode it ({message})"
    return None


def _undecodable(paths: list[str]) -> list[str]:
    """The regular files among paths that the training decoder rejects, all decoded in parallel with tf.data."""
    decoded = np.zeros(len(paths), bool)
    if paths:
        dataset = (tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths))
                   .map(lambda index, path: (index, tf.shape(decode_image(tf.io.read_file(path)))),
                        num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
                   .ignore_errors()
                   .batch(1024))
        for indices, _ in dataset.as_numpy_iterator():
            decoded[indices] = True
    return [path for path, ok in zip(paths, decoded) if not ok]


def _check_cache_file(paths, stats) -> Path:
    """Where the verdict on this exact file list is cached: a hash of the paths (and the directory relative ones
    start from), sizes, modification times and the TensorFlow version (its decoders decide), under
    $STARGAN_TF_CACHE or ~/.cache/stargan_tf."""
    digest = hashlib.sha256(f"file-check-v{CHECK_VERSION} tensorflow-{tf.__version__} {os.getcwd()}\n"
                            .encode(errors="surrogateescape"))
    for path, info in zip(paths, stats):
        signature = f"{info.st_size} {info.st_mtime_ns}" if info else "-"
        digest.update(f"{path}\0{signature}\n".encode(errors="surrogateescape"))
    return default_cache_base() / "file_check" / f"{digest.hexdigest()[:32]}.json"


def _read_cached(cache_file: Path) -> dict | None:
    try:
        with open(cache_file, encoding="utf-8") as f:
            reasons = json.load(f)["unreadable"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    valid = isinstance(reasons, dict) and all(isinstance(reason, str) for reason in reasons.values())
    return reasons if valid else None


def _write_cached(cache_file: Path, reasons: dict) -> None:
    """Writes the verdict atomically; a cache that cannot be written only costs the next run the check."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=cache_file.parent, delete=False,
                                         suffix=".tmp") as f:
            json.dump({"unreadable": reasons}, f)
        os.replace(f.name, cache_file)
    except OSError as error:
        logger.warning("cannot cache the image check in %s (%s): the next run checks again", cache_file, error)


def unreadable_reasons(paths, what: str) -> dict[str, str]:
    """{path: why training cannot read it} for the files of paths that training cannot read.

    Every regular file is decoded by the training decoder, in parallel; the verdict is cached per list of paths,
    sizes and modification times, so a resumed run over the same files does not decode them again.
    """
    stats = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            info = None
        stats.append(info if info and stat.S_ISREG(info.st_mode) else None)
    cache_file = _check_cache_file(paths, stats)
    reasons = _read_cached(cache_file)
    if reasons is not None:
        logger.info("%s: the check of %d images is cached in %s", what, len(paths), cache_file)
        return reasons
    logger.info("%s: checking that TensorFlow decodes each of %d images", what, len(paths))
    suspects = [path for path, info in zip(paths, stats) if info is None]
    suspects += _undecodable([path for path, info in zip(paths, stats) if info is not None])
    reasons = {path: reason for path in suspects if (reason := unreadable_reason(path))}
    _write_cached(cache_file, reasons)
    return reasons


def drop_unreadable(files: LabeledFiles, what: str) -> LabeledFiles:
    """Skips files training cannot read, logging each by name; an error naming them when none is left."""
    reasons = unreadable_reasons(files.paths, what)
    for path, reason in reasons.items():
        logger.warning("skipping %s image %s: %s", what, path, reason)
    if not reasons:
        return files
    logger.warning("%s: skipped %d unreadable image(s) of %d", what, len(reasons), len(files))
    keep = [i for i, path in enumerate(files.paths) if path not in reasons]
    if not keep:
        examples = "; ".join(f"{path}: {reason}" for path, reason in list(reasons.items())[:3])
        raise DataError(f"{what}: none of the {len(files)} images is readable, e.g. {examples}")
    return files.subset(keep)


def skip_irregular(files: LabeledFiles, what: str) -> LabeledFiles:
    """Drops paths that are not regular files (a FIFO, device or folder named *.jpg), logging each: they are
    never opened, since opening a FIFO blocks forever (even in runs that skip the image check)."""
    keep = []
    for i, path in enumerate(files.paths):
        if problem := not_regular_reason(path):
            logger.warning("skipping %s file %s: %s", what, path, problem)
        else:
            keep.append(i)
    return files if len(keep) == len(files) else files.subset(keep)


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
        images = sorted(entry.name for entry in os.scandir(folder) if entry.name.lower().endswith(IMAGE_EXTENSIONS))
        paths += [os.path.join(folder, image) for image in images]
        class_ids += [class_id] * len(images)
    files = skip_irregular(LabeledFiles(tuple(paths), np.eye(len(classes), dtype=np.float32)[class_ids],
                                        tuple(classes)), what)
    for name, count in zip(classes, files.labels.sum(axis=0)):
        if count == 0:
            raise DataError(f"class folder {os.path.join(image_dir, name)} has no images "
                            f"({', '.join(IMAGE_EXTENSIONS)})")
    return files

"""People's own photos: reading, listing and writing them, and the base of every family's photo translator.

A translator uses a model through its signatures, the way a TF Serving client does, whether they come from a
SavedModel or from a checkpoint traced alike: a checkpoint and its export translate a photo identically.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import tempfile

import keras
import numpy as np
from PIL import Image, ImageOps

from stargan_tf.core.export import crop_and_resize, to_uint8
from stargan_tf.core.grids import save_png
from stargan_tf.data.files import IMAGE_EXTENSIONS

logger = logging.getLogger("stargan_tf")

PHOTO_EXTENSIONS = IMAGE_EXTENSIONS + (".webp",)


class TranslateError(ValueError):
    """A model, photo, attribute name or output path cannot be used; the message names it."""


class ServedModel:
    """A model's signatures (a SavedModel's, or a checkpoint's traced alike) and the photo preprocessing they use."""

    image_size: int
    crop_size: int

    def __init__(self, signatures, description: str):
        self.signatures, self.description = signatures, description

    def model_input(self, photo: np.ndarray) -> np.ndarray:
        """The photo as the model sees it (cropped, resized): uint8 [S,S,3]."""
        return to_uint8(crop_and_resize(photo[None], self.crop_size, self.image_size)).numpy()[0]


def read_photo(path: str) -> np.ndarray:
    """Any JPEG/PNG/BMP/WebP/GIF as uint8 RGB [H,W,3]: EXIF rotation applied, alpha dropped, gray expanded."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise TranslateError(f"{path}: not a readable image ({error.__class__.__name__}: {error})") from error


def list_photos(path: str, flag: str = "--input") -> list[str]:
    """path itself, or the image files of a folder (by extension, sorted); errors name the flag."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise TranslateError(f"{flag}={path}: no such file or folder")
    photos = sorted(os.path.join(path, name) for name in os.listdir(path)
                    if name.lower().endswith(PHOTO_EXTENSIONS) and not name.startswith("."))
    if not photos:
        raise TranslateError(f"{flag}={path}: no image files ({', '.join(PHOTO_EXTENSIONS)})")
    return photos


def prepare_output_dir(path: str) -> None:
    """Creates the output folder and checks that files can be written there, before any work is done."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as error:
        raise TranslateError(f"--output={path}: cannot write there ({error.__class__.__name__}: {error})") from error


def split_names(text: str) -> list[str]:
    """The non-empty names of a comma-separated list, stripped."""
    return [name.strip() for name in text.split(",") if name.strip()]


@dataclasses.dataclass
class Report:
    """Files written and photos that could not be read (path, reason)."""

    written: list = dataclasses.field(default_factory=list)
    unreadable: list = dataclasses.field(default_factory=list)


def output_stems(paths: list[str]) -> list[str]:
    """File stems for outputs, with the extension kept where two inputs share a stem (a.jpg, a.png)."""
    stems = [os.path.splitext(os.path.basename(path))[0] for path in paths]
    return [stem if stems.count(stem) == 1 else os.path.basename(path).replace(".", "_")
            for stem, path in zip(stems, paths)]


def readable_photos(paths: list[str], report: Report, progress: bool = False):
    """(output stem, uint8 photo) of each readable photo; unreadable ones are recorded in the report and skipped."""
    progress_bar = keras.utils.Progbar(len(paths), unit_name="photo") if progress else None
    for index, (path, stem) in enumerate(zip(paths, output_stems(paths))):
        try:
            photo = read_photo(path)
        except TranslateError as error:
            report.unreadable.append((path, str(error)))
        else:
            yield stem, photo
        if progress_bar is not None:
            progress_bar.update(index + 1)


def save_output(image: np.ndarray, path: str, report: Report) -> None:
    """Writes a PNG and records it in the report."""
    save_png(image, path)
    report.written.append(path)



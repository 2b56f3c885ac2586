"""People's own photos: what the model sees of them, writing its translations, and the base of every family's photo
translator (the files themselves: core.photo_files).

A translator uses a model through its signatures, the way a TF Serving client does, whether they come from a
SavedModel or from a checkpoint traced alike: a checkpoint and its export translate a photo identically.

What the model sees of a photo depends on --align: each face found, aligned as CelebA was (core.faces), whose
translations are pasted back into the photo at its own resolution; or the photo's centre crop; or the whole photo.
"""
from __future__ import annotations

import dataclasses
import io
import logging
import os

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from stargan_tf.core import faces
from stargan_tf.core.export import SQUARE, crop_and_resize, to_uint8
from stargan_tf.core.grids import tile_grid
from stargan_tf.core.photo_files import (DEFAULT_MAX_PIXELS, Report, TranslateError, output_stems, read_photo,
                                         write_output)

logger = logging.getLogger("stargan_tf")

ALIGN_MODES = ("auto", "face", "center", "none")
GIF_FRAME_MS = 150


@dataclasses.dataclass(frozen=True)
class PhotoOptions:
    """What translating photos means for every family: --align (auto: each face, else the centre crop; face: faces
    only; center: the centre crop; none: the whole photo), which faces count, --interpolate frames, progress bar."""

    align: str = "center"
    min_face_size: int = 40
    max_faces: int = 0  # 0: every face found
    interpolate: int = 0  # frames of an interpolation strip; 0: none
    progress: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS  # larger photos are refused from their header, undecoded

    def resolve(self) -> "PhotoOptions":
        """The options checked (errors name the flag), with auto turned into center, with one warning, when mtcnn
        is not installed."""
        if self.align not in ALIGN_MODES:
            raise TranslateError(f"--align={self.align}: expected one of {', '.join(ALIGN_MODES)}")
        if self.min_face_size < 1 or self.max_faces < 0:
            raise TranslateError(f"--min_face_size={self.min_face_size} must be at least 1 and "
                                 f"--max_faces={self.max_faces} at least 0 (0: every face)")
        if self.max_pixels < 1:
            raise TranslateError(f"--max_pixels={self.max_pixels}: the most pixels a photo may have, at least 1")
        if self.interpolate < 0 or self.interpolate == 1:
            raise TranslateError(f"--interpolate={self.interpolate}: the number of frames, at least 2 (0: none)")
        if self.align in ("auto", "face"):
            try:
                faces.default_detector()
            except faces.FacesUnavailableError as error:
                if self.align == "face":
                    raise TranslateError(f"--align=face: {error}") from None
                logger.warning("--align=auto: %s; translating centre crops instead", error)
                return dataclasses.replace(self, align="center")
        return self


@dataclasses.dataclass(frozen=True, eq=False)
class PhotoInputs:
    """A photo and what the model sees of it: a model input (uint8 [S,S,3]) per aligned face with its 2x3 matrix
    (photo -> model input), or one centre or whole-photo crop (matrices None)."""

    photo: np.ndarray
    model_inputs: tuple
    matrices: tuple | None = None

    def row_names(self, stem: str = "") -> list[str]:
        """Grid row names of the model inputs: the stem, with 'face i' when the photo has several faces."""
        if len(self.model_inputs) == 1:
            return [stem]
        return [f"{stem} face {index + 1}".strip() for index in range(len(self.model_inputs))]

    def picture(self, translations) -> np.ndarray:
        """What one translation of every model input looks like: the photo, at its own resolution, with each
        face's translation pasted back; or, unaligned, the translation itself (model size)."""
        if self.matrices is None:
            return translations[0]
        picture = self.photo
        for translated, matrix in zip(translations, self.matrices):
            picture = faces.paste_back(picture, translated, matrix)
        return picture


class ServedModel:
    """A model's signatures (a SavedModel's, or a checkpoint's traced alike) and the photo preprocessing they use."""

    image_size: int
    crop_size: int

    def __init__(self, signatures, description: str):
        self.signatures, self.description = signatures, description

    def model_input(self, photo: np.ndarray, crop_size: int | None = None) -> np.ndarray:
        """The photo as the model sees it (the centre crop, default the model's, resized): uint8 [S,S,3]."""
        crop_size = self.crop_size if crop_size is None else crop_size
        return to_uint8(crop_and_resize(photo[None], crop_size, self.image_size)).numpy()[0]

    @property
    def takes_model_inputs(self) -> bool:
        """Whether the photo signatures pass an S x S image to the networks unchanged: their crop is SQUARE or S, so
        cropping and the S -> S resize are identities."""
        return self.crop_size in (SQUARE, self.image_size)

    def prepare_face(self, photo: np.ndarray, face: faces.Face) -> faces.AlignedFace:
        """A detected face as the model sees it: aligned as CelebA was (a family's model may frame faces its way)."""
        return faces.prepare_face(photo, face, self.image_size, self.crop_size)

    def run(self, signature: str, float_signature: str, images: dict, **inputs) -> np.ndarray:
        """A translating signature's output uint8 [N,S,S,3] for model inputs (images: name -> uint8 [N,S,S,3]);
        through its float twin when the photo signature would crop them again."""
        if self.takes_model_inputs:
            feeds = {name: tf.constant(value) for name, value in images.items()}
            return self.signatures[signature](**feeds, **inputs)["translated"].numpy()
        feeds = {name: tf.constant(np.asarray(value, np.float32) / 127.5 - 1.0) for name, value in images.items()}
        return to_uint8(self.signatures[float_signature](**feeds, **inputs)["translated"]).numpy()

    def inputs(self, photo: np.ndarray, path: str, options: PhotoOptions) -> PhotoInputs:
        """What the model sees of a photo under options.align; TranslateError naming the file when it cannot be
        used (no face with --align=face, not square with --align=none)."""
        if options.align in ("auto", "face"):
            found = faces.detect_faces(photo, options.min_face_size, options.max_faces or None)
            if found:
                aligned = [self.prepare_face(photo, face) for face in found]
                return PhotoInputs(photo, tuple(face.model_input for face in aligned),
                                   tuple(face.matrix for face in aligned))
            if options.align == "face":
                raise TranslateError(f"{path}: no face of at least --min_face_size={options.min_face_size} pixels "
                                     f"found (--align=face; --align=auto would translate the centre crop)")
            logger.warning("%s: no face of at least %d pixels found: translating its centre crop instead",
                           path, options.min_face_size)
        elif options.align == "none":
            height, width = photo.shape[:2]
            if height != width:
                raise TranslateError(f"{path}: {width}x{height} pixels, but --align=none takes square face crops "
                                     f"aligned already (use --align=auto or --align=center)")
            return PhotoInputs(photo, (self.model_input(photo, SQUARE),))
        return PhotoInputs(photo, (self.model_input(photo),))


def split_names(text: str) -> list[str]:
    """The non-empty names of a comma-separated list, stripped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def photo_inputs(served: ServedModel, paths: list[str], report: Report, options: PhotoOptions):
    """(output stem, PhotoInputs) of each usable photo; the others are recorded in the report and skipped. A photo is
    recorded as translated when the caller asks for the next one: its outputs are written by then."""
    progress_bar = keras.utils.Progbar(len(paths), unit_name="photo") if options.progress else None
    for index, (path, stem) in enumerate(zip(paths, output_stems(paths))):
        try:
            inputs = served.inputs(read_photo(path, options.max_pixels), path, options)
        except TranslateError as error:
            report.skipped.append((path, str(error)))
            inputs = None
        if inputs is not None:
            yield stem, inputs
            report.translated.append(path)
        if progress_bar is not None:
            progress_bar.update(index + 1)


def linear_steps(start: np.ndarray, end: np.ndarray, count: int) -> np.ndarray:
    """count points evenly from start to end, both included: [count, *start.shape] float32."""
    fractions = np.linspace(0.0, 1.0, count, dtype=np.float32).reshape((-1,) + (1,) * np.ndim(start))
    return (start + fractions * (np.asarray(end, np.float32) - start)).astype(np.float32)


def encoded(image: Image.Image, file_format: str, **params) -> bytes:
    """An image's file contents in a format (PNG, GIF), encoded in memory so that write_output writes it whole."""
    buffer = io.BytesIO()
    image.save(buffer, file_format, **params)
    return buffer.getvalue()


def save_output(image: np.ndarray, path: str, report: Report) -> None:
    """Writes a PNG (whole or not at all: write_output) and records it in the report."""
    write_output(path, encoded(Image.fromarray(image), "PNG"), report)


def save_translations(inputs: PhotoInputs, names, outputs: np.ndarray, output_dir: str, stem: str,
                      report: Report) -> None:
    """Writes <stem>_<name>.png for each name: outputs uint8 [len(model_inputs), len(names), S,S,3] (see
    PhotoInputs.picture)."""
    for index, name in enumerate(names):
        save_output(inputs.picture(outputs[:, index]), os.path.join(output_dir, f"{stem}_{name}.png"), report)


def save_interpolation(inputs: PhotoInputs, steps: np.ndarray, output_dir: str, name: str, report: Report) -> None:
    """Writes <name>_strip.png (a row of N model-size steps per model input) and <name>.gif (N frames, each step's
    picture, looping forever). steps: uint8 [len(model_inputs), N, S,S,3]."""
    save_output(tile_grid(steps), os.path.join(output_dir, f"{name}_strip.png"), report)
    frames = [Image.fromarray(inputs.picture(steps[:, index])) for index in range(steps.shape[1])]
    # Pillow merges identical consecutive frames (summing their durations), so the timing stays the same.
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0, duration=GIF_FRAME_MS)
    write_output(os.path.join(output_dir, f"{name}.gif"), gif, report)

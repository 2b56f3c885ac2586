"""Photo files on disk: reading one, listing a folder's, checking the output folder, naming and recording outputs.

Everything here is about files, not models: the translators of both families (core.photos) read and write through it.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import errno
import os
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps

from stargan_tf.data.files import IMAGE_EXTENSIONS, not_regular_reason

PHOTO_EXTENSIONS = IMAGE_EXTENSIONS + (".webp",)
# Decoded pixels a photo may have: 48-megapixel phone photos (8064x6048) pass; a 13000x13000 PNG of 164 KB, which
# took 6.2 GB to translate, does not.
DEFAULT_MAX_PIXELS = 50_000_000


class TranslateError(ValueError):
    """A model, photo, attribute name or output path cannot be used; the message names it."""


class OutputError(TranslateError):
    """An output file cannot be written (a full disk, a read-only folder): the message names it and the OS error."""


def read_photo(path: str, max_pixels: int = DEFAULT_MAX_PIXELS, exif_rotation: bool = True) -> np.ndarray:
    """Any JPEG/PNG/BMP/WebP/GIF as uint8 RGB [H,W,3]: EXIF rotation applied (unless exif_rotation is False: pixels
    as stored, the frame annotations such as AffectNet's boxes refer to), alpha dropped, gray expanded.

    TranslateError naming the file when it cannot be used: a FIFO or device is refused unopened (opening one blocks),
    a photo of more than max_pixels pixels from its header, undecoded (a small file can decode to gigabytes).
    """
    problem = not_regular_reason(path)
    if problem:
        raise TranslateError(f"{path}: {problem}")
    limit = f"the limit of {max_pixels:,} pixels (--max_pixels); not decoded"
    try:
        with warnings.catch_warnings(), Image.open(path) as image:  # reads the header only
            # max_pixels is the limit here: Pillow's own size warning would only repeat it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            width, height = image.size
            if width * height <= max_pixels:
                return np.asarray(_eight_bit(ImageOps.exif_transpose(image) if exif_rotation else image)
                                  .convert("RGB"))
    except Image.DecompressionBombError as error:
        raise TranslateError(f"{path}: {error}; more than Pillow decodes, whatever {limit}") from error
    except (OSError, ValueError) as error:
        raise TranslateError(f"{path}: not a readable image ({error.__class__.__name__}: {error})") from error
    raise TranslateError(f"{path}: {width}x{height} pixels ({width * height / 1e6:.3g} megapixels), more than {limit}")


def _eight_bit(image: Image.Image) -> Image.Image:
    """A 16-bit grayscale image (Pillow's I;16, or I in older Pillow) scaled to 8 bits as training's decoder does
    (value >> 8); Pillow's convert would clip it, turning it all white. Other modes pass unchanged (Pillow reads 16-bit
    RGB as 8-bit already)."""
    if image.mode != "I" and not image.mode.startswith("I;16"):
        return image
    return Image.fromarray((np.clip(np.asarray(image, np.int64), 0, 65535) >> 8).astype(np.uint8), "L")


def list_photos(path: str, flag: str = "--input") -> list[str]:
    """path itself (any file: read_photo refuses what is no photo), or the image files of a folder (by extension,
    sorted); errors name the flag."""
    if not os.path.exists(path):
        raise TranslateError(f"{flag}={path}: no such file or folder")
    if not os.path.isdir(path):
        return [path]
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


@dataclasses.dataclass
class Report:
    """What translating did: files written, photos translated (every output written) and files skipped (path,
    reason: unreadable, not a regular file, unusable under --align), photos and references alike."""

    written: list = dataclasses.field(default_factory=list)
    translated: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)
    failure: str | None = None  # why translating stopped early: an output that could not be written


def write_output(path: str, data: bytes, report: Report) -> None:
    """Writes a file whole or not at all, and records it in the report: written under a temporary name beside it,
    then renamed over path. OutputError naming path and the OS error when it fails; the temporary file is removed."""
    temporary = path + ".partial"
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        code = errno.errorcode.get(error.errno, error.errno)
        raise OutputError(f"cannot write {path}: {error.strerror} ({code}); translating stopped") from error
    report.written.append(path)


@contextlib.contextmanager
def stopping_at_output_error(report: Report):
    """Ends translating at the first output that cannot be written, recording why in report.failure: the next ones
    would fail alike (a full disk), and the report of what was written is still given."""
    try:
        yield
    except OutputError as error:
        report.failure = str(error)


def output_stems(paths: list[str]) -> list[str]:
    """Distinct file stems for the outputs of paths, in order: a photo's own stem when no other photo has it, else its
    name with the extension (a.jpg, a.png: a_jpg, a_png), numbered when even that is taken (a_jpg_2). Compared
    ignoring case, as some file systems do; unique stems are kept first, so a new photo renames only clashing ones."""
    stems = [os.path.splitext(os.path.basename(path))[0] for path in paths]
    counts = collections.Counter(stem.casefold() for stem in stems)
    taken = {stem.casefold() for stem in stems if counts[stem.casefold()] == 1}
    names = []
    for stem, path in zip(stems, paths):
        if counts[stem.casefold()] > 1:
            base = os.path.basename(path).replace(".", "_")
            stem, number = base, 1
            while stem.casefold() in taken:
                number += 1
                stem = f"{base}_{number}"
            taken.add(stem.casefold())
        names.append(stem)
    return names

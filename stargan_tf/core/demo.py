"""What every family's demo page shares: a Gradio page that works offline, uploads read with clear messages, the
model used by one request at a time.

Each family builds its page (families/<family>/demo.py) from these parts; commands/demo.py loads the model and
serves the page. Gradio is imported only by the demo modules: pip install -e ".[demo]".
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported: no calls home

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from stargan_tf.core import faces  # noqa: E402
from stargan_tf.core.grids import labelled_grid  # noqa: E402
from stargan_tf.core.photo_files import DEFAULT_MAX_PIXELS, TranslateError, read_photo  # noqa: E402
from stargan_tf.core.photos import PhotoInputs, PhotoOptions, ServedModel  # noqa: E402

# System fonts only: the default theme's web fonts would be fetched, and a page without internet waits for them.
SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial",
                "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
MODEL_QUEUE = "model"  # the concurrency id of every event that runs the model: one request at a time
PHOTO_SOURCES = ["upload", "webcam", "clipboard"]  # the webcam where the browser allows it (localhost or https)


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    """What the page accepts: photos of at most max_pixels, faces of at least min_face_size pixels."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    min_face_size: int = 40
    max_faces: int = 0  # 0: every face found

    def photo_options(self) -> PhotoOptions:
        """Each face aligned and pasted back, else the centre crop, as stargan-translate's --align=auto."""
        return PhotoOptions("auto", self.min_face_size, self.max_faces, max_pixels=self.max_pixels).resolve()


@dataclasses.dataclass(frozen=True, eq=False)
class UploadedPhoto:
    """An uploaded photo as the model sees it, with a sentence saying what was done (faces aligned, or the crop)."""

    digest: str  # of the file's bytes: the same photo uploaded again is not read again
    name: str
    inputs: PhotoInputs
    message: str


def theme() -> gr.themes.Theme:
    """Gradio's default look in system fonts."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def page(title: str) -> gr.Blocks:
    """An empty page: no analytics, Gradio's copies of uploads and outputs deleted after an hour."""
    return gr.Blocks(title=title, analytics_enabled=False, delete_cache=(600, 3600))


def photo_input(label: str, elem_id: str) -> gr.Image:
    """An upload / webcam / clipboard photo field handing its file over unread (see uploaded_file)."""
    return gr.Image(label=label, type="filepath", image_mode=None, sources=PHOTO_SOURCES, elem_id=elem_id)


def photo_column() -> tuple[gr.Image, gr.Markdown]:
    """The page's photo field and, under it, the status line the events write to (in the current column)."""
    photo = photo_input("Photo", "photo")
    return photo, gr.Markdown("Upload a photo (or take one with the webcam).", elem_id="status")


def image_output(label: str, elem_id: str) -> gr.Image:
    """A result image, lossless (PNG), with a download button."""
    return gr.Image(label=label, format="png", interactive=False, buttons=["download", "fullscreen"], elem_id=elem_id)


def on_model(trigger, fn, inputs, outputs):
    """Runs fn on the event `trigger` (e.g. button.click) in the model's queue, one request at a time, with photo
    fields handed over unread: an unreadable upload then reaches fn, which says so, instead of failing in Gradio."""
    return trigger(fn, inputs, outputs, preprocess=False, concurrency_limit=1, concurrency_id=MODEL_QUEUE)


def uploaded_file(value) -> tuple[str, str] | None:
    """(path, name the user knows it by) of a photo field's value (Gradio's file data, unread; or a path), None
    when empty."""
    if not value:
        return None
    if isinstance(value, dict):
        path = value.get("path")
        if not path:
            raise TranslateError("the photo did not arrive as a file: upload it again")
        return path, value.get("orig_name") or os.path.basename(path)
    return str(value), os.path.basename(str(value))


def face_message(served: ServedModel, inputs: PhotoInputs, name: str, settings: DemoSettings, align: str) -> str:
    """What was done with a photo: its faces aligned and pasted back, or its centre crop, and why."""
    size = f"{served.image_size}x{served.image_size}"
    if inputs.matrices is not None:
        count = len(inputs.matrices)
        return (f"{name}: {count} face{'s' if count > 1 else ''} found, aligned as the training faces were "
                f"({size} pixels) and pasted back into the photo.")
    if align == "center":
        return (f"{name}: face detection is not available (mtcnn is not installed: pip install -e \".[faces]\"), so "
                f"the centre crop of the photo was used ({size} pixels).")
    return (f"{name}: no face of at least {settings.min_face_size} pixels found, so the centre crop of the photo "
            f"was used instead ({size} pixels).")


def read_upload(served: ServedModel, value, settings: DemoSettings, what: str = "a photo") -> UploadedPhoto:
    """An uploaded photo read and prepared as stargan-translate does; TranslateError saying what is wrong (none
    uploaded, larger than settings.max_pixels, not an image)."""
    uploaded = uploaded_file(value)
    if uploaded is None:
        raise TranslateError(f"Upload {what} first.")
    path, name = uploaded
    try:
        photo = read_photo(path, settings.max_pixels)
    except TranslateError as error:  # named as the user knows it, not by Gradio's copy
        raise TranslateError(str(error).replace(path, name)) from None
    options = settings.photo_options()
    inputs = served.inputs(photo, name, options)
    return UploadedPhoto(file_digest(path), name, inputs, face_message(served, inputs, name, settings, options.align))


def file_digest(path: str) -> str:
    """The SHA-256 of a file's bytes."""
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def cached_upload(served: ServedModel, value, cached: UploadedPhoto | None, settings: DemoSettings) -> UploadedPhoto:
    """cached if the photo field holds the same photo (by content), else the upload read afresh (read_upload)."""
    uploaded = uploaded_file(value)
    if cached is not None and uploaded is not None and os.path.isfile(uploaded[0]) \
            and file_digest(uploaded[0]) == cached.digest:
        return cached
    return read_upload(served, value, settings)


def warm_up(served: ServedModel, settings: DemoSettings, translate_fn) -> None:
    """Detects faces in a blank photo and translates its centre crop with translate_fn (a model input uint8 [S,S,3]
    -> anything), so that the first visitor waits neither for TensorFlow's tracing nor the detector's first call."""
    photo = np.full((2 * served.image_size, 2 * served.image_size, 3), 128, np.uint8)
    if settings.photo_options().align == "auto":
        faces.detect_faces(photo, settings.min_face_size)
    translate_fn(served.model_input(photo))


def face_grid(tiles, column_names) -> np.ndarray:
    """Model-size images of each face (uint8 [faces, columns, S,S,3]) as a labelled grid, enlarged to be seen; rows
    named when there are several faces."""
    rows = [f"face {index + 1}" for index in range(len(tiles))] if len(tiles) > 1 else None
    return labelled_grid(np.asarray(tiles), column_names, rows)


def before_after(model_inputs, translations) -> np.ndarray:
    """The faces as the model sees them (uint8 [N,S,S,3]) beside their translations, a row per face, labelled."""
    return face_grid(np.stack([np.asarray(model_inputs), np.asarray(translations)], axis=1), ["before", "after"])


def error_text(error: Exception) -> str:
    """How the page shows an error: in bold, first."""
    return f"**Error:** {error}"


@functools.lru_cache(maxsize=1)
def _output_root() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="stargan_demo_")  # removed when the server exits


def request_dir() -> str:
    """A new folder for one request's files (GIFs, strips); Gradio serves copies from its own cache."""
    return tempfile.mkdtemp(dir=_output_root().name)


def launch(blocks: gr.Blocks, host: str, port: int, block: bool = True):
    """Serves the page on host:port with no share link, no server-side rendering (it would need Node.js) and
    system fonts; block=False returns at once (tests). Returns Gradio's (app, local URL, share URL)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request Gradio makes to itself
    return blocks.launch(server_name=host, server_port=port, share=False, theme=theme(), ssr_mode=False,
                         prevent_thread_lock=not block, quiet=not block, footer_links=[])

"""The demo page's shared parts without a browser: what an upload's messages say (no face, unreadable, too large),
the photo size check, and stargan-demo's exit on a model it cannot load."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from stargan_tf.core.photo_files import TranslateError
from stargan_tf.families import load_translator

pytest.importorskip("gradio", reason="the demo page needs gradio (pip install -e '.[demo]')")
from stargan_tf.core import demo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def translator(tiny_checkpoints):
    return load_translator(tiny_checkpoints["both"])


def upload(path) -> dict:
    """A photo field's value as Gradio hands it over unread: its copy's path and the name the user gave it."""
    return {"path": str(path), "orig_name": os.path.basename(path)}


def test_upload_messages(translator, tmp_path):
    settings = demo.DemoSettings(max_pixels=10_000)
    Image.fromarray(np.full((50, 60, 3), 200, np.uint8)).save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not an image")
    Image.new("RGB", (101, 100)).save(tmp_path / "big.png")
    with pytest.raises(TranslateError, match="Upload a photo first"):
        demo.read_upload(translator, None, settings)
    with pytest.raises(TranslateError, match=r"^notes.png: not a readable image \(UnidentifiedImageError"):
        demo.read_upload(translator, upload(tmp_path / "notes.png"), settings)
    with pytest.raises(TranslateError, match=r"^big.png: 101x100 pixels \(0.0101 megapixels\), more than the limit of "
                                             r"10,000 pixels \(--max_pixels\); not decoded"):
        demo.read_upload(translator, upload(tmp_path / "big.png"), settings)
    photo = demo.read_upload(translator, upload(tmp_path / "blank.png"), settings)
    if settings.photo_options().align == "auto":
        assert photo.message == ("blank.png: no face of at least 40 pixels found, so the centre crop of the photo was "
                                 "used instead (16x16 pixels).")
    else:
        assert photo.message.startswith("blank.png: face detection is not available (mtcnn is not installed")
    assert photo.inputs.matrices is None and photo.inputs.model_inputs[0].shape == (16, 16, 3)


def test_before_after_is_a_labelled_pair_per_face():
    tiles = np.zeros((2, 16, 16, 3), np.uint8)
    single, double = demo.before_after(tiles[:1], tiles[:1]), demo.before_after(tiles, tiles)
    assert single.shape[1] == 2 * 96 and double.shape[1] == 2 * 96 + 72  # tiles enlarged 6x, then row names
    assert double.shape[0] - single.shape[0] == 96


@pytest.mark.parametrize("make, message", [
    (lambda path: None, "error: --model={path}: no such directory"),
    (lambda path: (os.makedirs(path), open(os.path.join(path, "saved_model.pb"), "w").write("junk")),
     "error: --model={path}: cannot load it (OSError: "),
], ids=["missing", "corrupt"])
def test_a_model_that_cannot_be_loaded_is_a_one_line_error_and_exit_status_1(tmp_path, make, message):
    path = str(tmp_path / "model")
    make(path)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo.py"), f"--model={path}"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(message.format(path=path))
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


def test_the_command_has_a_help_that_lists_its_flags():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo.py"), "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 0 and result.stdout.startswith("usage: stargan-demo --model=DIR")
    for flag in ("--model", "--host=127.0.0.1", "--port=7860", "--max_pixels=50000000", "--min_face_size=40"):
        assert f"\n  {flag}" in result.stdout

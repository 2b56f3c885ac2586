"""Photo options, model inputs and interpolation outputs shared by both families (stargan_tf.core.photos)."""
import logging

import numpy as np
import pytest
from PIL import Image

from stargan_tf.core import faces
from stargan_tf.core.export import SQUARE, crop_and_resize, to_uint8
from stargan_tf.core.photo_files import Report, TranslateError
from stargan_tf.core.photos import PhotoInputs, PhotoOptions, linear_steps, save_interpolation


@pytest.mark.parametrize("crop_size", [SQUARE, 16])
def test_an_s_by_s_model_input_passes_the_served_crop_and_resize_unchanged(crop_size):
    model_inputs = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    served = crop_and_resize(model_inputs, crop_size, 16).numpy()
    np.testing.assert_allclose(served, model_inputs / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(to_uint8(served).numpy(), model_inputs)


@pytest.mark.parametrize("options, message", [
    (PhotoOptions(align="faces"), "--align=faces: expected one of auto, face, center, none"),
    (PhotoOptions(min_face_size=0), "--min_face_size=0 must be at least 1"),
    (PhotoOptions(max_faces=-1), "--max_faces=-1 at least 0"),
    (PhotoOptions(interpolate=1), "--interpolate=1: the number of frames, at least 2"),
])
def test_bad_options_name_the_flag(options, message):
    with pytest.raises(TranslateError, match=message):
        options.resolve()


def test_without_mtcnn_auto_is_center_with_one_warning_and_face_is_an_error(monkeypatch, caplog):
    def missing():
        raise faces.FacesUnavailableError('face detection needs mtcnn: pip install -e ".[faces]" (No module)')

    monkeypatch.setattr(faces, "default_detector", missing)
    with caplog.at_level(logging.WARNING, "stargan_tf"):
        assert PhotoOptions(align="auto").resolve().align == "center"
    assert [record.getMessage() for record in caplog.records] == [
        '--align=auto: face detection needs mtcnn: pip install -e ".[faces]" (No module); translating centre crops '
        'instead']
    with pytest.raises(TranslateError, match=r'--align=face: face detection needs mtcnn: pip install -e "\.\[faces\]"'):
        PhotoOptions(align="face").resolve()
    assert PhotoOptions(align="none").resolve().align == "none"


def test_linear_steps_include_both_ends():
    steps = linear_steps(np.array([0.0, 1.0]), np.array([1.0, 0.0]), 5)
    np.testing.assert_allclose(steps, [[0, 1], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25], [1, 0]])


def test_interpolation_strip_has_a_row_per_face_and_the_gif_a_frame_per_step(tmp_path):
    photo = np.zeros((40, 30, 3), np.uint8)
    # Two faces: model inputs placed at the photo's top-left and, shifted, at its bottom-right (S = 8, scale 1).
    matrices = (np.array([[1.0, 0, 0], [0, 1.0, 0]]), np.array([[1.0, 0, -20], [0, 1.0, -30]]))
    inputs = PhotoInputs(photo, (np.zeros((8, 8, 3), np.uint8),) * 2, matrices)
    steps = np.stack([np.stack([np.full((8, 8, 3), 60 * k + face * 10, np.uint8) for k in range(4)])
                      for face in range(2)])
    report = Report()
    save_interpolation(inputs, steps, str(tmp_path), "photo_Blond_Hair", report)
    assert report.written == [str(tmp_path / "photo_Blond_Hair_strip.png"), str(tmp_path / "photo_Blond_Hair.gif")]
    strip = np.asarray(Image.open(tmp_path / "photo_Blond_Hair_strip.png"))
    assert strip.shape == (2 * 8, 4 * 8, 3) and strip[8, 8 * 3, 0] == 190
    with Image.open(tmp_path / "photo_Blond_Hair.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (30, 40) and gif.info["loop"] == 0
        gif.seek(3)
        frame = np.asarray(gif.convert("RGB"))
    assert frame[4, 4, 0] == 180 and frame[34, 24, 0] == 190 and frame[20, 15, 0] == 0

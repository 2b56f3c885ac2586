"""StarGAN on real photos: faces aligned and pasted back (--align), strengths and interpolation strips.

Runs the tiny untrained joint checkpoint (16x16) on scikit-image's bundled photos (astronaut: one face; coffee:
none). Alignment tests are skipped without mtcnn or scikit-image.
"""
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import grid_tiles
from core.test_faces import square_edge_distance
from stargan.test_translate import LAYOUT, ROOT, vector
from stargan_tf import families
from stargan_tf.core.photo_files import TranslateError, read_photo
from stargan_tf.core.photos import PhotoOptions
from stargan_tf.families import load_translator
from stargan_tf.families.stargan.translate import Targets, Translator, translate_photos

FEATHER = 0.1  # core.faces.paste_back's default


@pytest.fixture(scope="module")
def translator(tiny_checkpoints):
    return load_translator(tiny_checkpoints["both"])


@pytest.fixture(scope="module")
def skimage_photos(tmp_path_factory):
    """astronaut.png, coffee.png and the astronaut twice side by side (two faces), as files."""
    pytest.importorskip("mtcnn", reason="face alignment needs mtcnn (pip install -e '.[faces]')")
    data = pytest.importorskip("skimage.data", reason="the real photos come from scikit-image")
    folder = tmp_path_factory.mktemp("skimage_photos")
    for name, photo in {"astronaut": data.astronaut(), "coffee": data.coffee(),
                        "two": np.concatenate([data.astronaut()] * 2, axis=1)}.items():
        Image.fromarray(photo).save(folder / f"{name}.png")
    return folder


def png(path) -> np.ndarray:
    return np.asarray(Image.open(path))


# Strengths and interpolation (no faces).

def test_values_move_labels_part_way():
    [(name, target)] = Targets.parse(LAYOUT, target="Blond_Hair:0.7,Male").for_photo()
    assert name == "Blond_Hair@0.7+Male"
    np.testing.assert_allclose(target, vector([0, 0.7, 0, 1, 0], mask=[1, 0]))
    [(name, edited)] = Targets.parse(LAYOUT, edit="+Blond_Hair:0.5,-Young:0.25", source="Black_Hair,Young").for_photo()
    assert name == "+Blond_Hair@0.5-Young@0.25"
    np.testing.assert_allclose(edited, vector([0.5, 0.5, 0, 0, 0.75], mask=[1, 0]))
    [(_, unchanged)] = Targets.parse(LAYOUT, edit="+sad:0", source="happy").for_photo()
    np.testing.assert_array_equal(unchanged, Targets.parse(LAYOUT, source="happy").source_vector())


@pytest.mark.parametrize("kwargs, message", [
    (dict(target="Blond_Hair:1.5"), r"--target: 'Blond_Hair:1.5': the value after ':' must be a number from 0 to 1 "
                                    r"\(e.g. Blond_Hair:0.5\)"),
    (dict(edit="+Blond_Hair:half"), r"--edit: 'Blond_Hair:half': the value after ':' must be a number from 0 to 1"),
    (dict(edit="-Young:"), "--edit: 'Young:': the value after ':'"),
    (dict(target="Blond_Hair:nan"), "--target: 'Blond_Hair:nan'"),
    (dict(target=":0.5"), "unknown attribute ''"),
])
def test_bad_values_are_errors_naming_the_flag(kwargs, message):
    with pytest.raises(TranslateError, match=message):
        Targets.parse(LAYOUT, **kwargs)


def test_strength_zero_gives_the_source_labels_output_and_the_strip_runs_from_source_to_target(translator, tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 30, 3), np.uint8)).save(tmp_path / "noise.png")
    photo = [str(tmp_path / "noise.png")]
    model_input = translator.model_input(read_photo(photo[0]))
    source = Targets.parse(translator.layout, source="Black_Hair").source_vector()
    targets = Targets.parse(translator.layout, edit="+Blond_Hair:0", source="Black_Hair")
    report = translate_photos(translator, photo, str(tmp_path / "zero"), targets, PhotoOptions(interpolate=4))
    assert not report.skipped
    np.testing.assert_array_equal(png(tmp_path / "zero" / "noise_+Blond_Hair@0.png"),
                                  translator.translate(model_input, source))
    targets = Targets.parse(translator.layout, target="Blond_Hair", source="Black_Hair")
    translate_photos(translator, photo, str(tmp_path / "strip"), targets, PhotoOptions(interpolate=4))
    strip = png(tmp_path / "strip" / "noise_Blond_Hair_strip.png")
    assert strip.shape == (16, 4 * 16, 3)
    np.testing.assert_array_equal(strip[:, :16], translator.translate(model_input, source))
    np.testing.assert_array_equal(strip[:, 48:], png(tmp_path / "strip" / "noise_Blond_Hair.png"))
    with Image.open(tmp_path / "strip" / "noise_Blond_Hair.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (16, 16)


def test_align_none_takes_the_whole_square_photo_and_refuses_other_shapes(translator, tmp_path):
    square = np.random.default_rng(1).integers(0, 256, (16, 16, 3), np.uint8)
    Image.fromarray(square).save(tmp_path / "square.png")
    Image.fromarray(square[:, :12]).save(tmp_path / "narrow.png")
    targets = Targets.parse(translator.layout, target="Male")
    report = translate_photos(translator, [str(tmp_path / "narrow.png"), str(tmp_path / "square.png")],
                              str(tmp_path / "out"), targets, PhotoOptions(align="none"))
    assert report.skipped == [(str(tmp_path / "narrow.png"), f"{tmp_path / 'narrow.png'}: 12x16 pixels, but "
                               "--align=none takes square face crops aligned already (use --align=auto or "
                               "--align=center)")]
    np.testing.assert_array_equal(png(tmp_path / "out" / "square_Male.png"),
                                  translator.translate(square, targets.for_photo()[0][1]))


def test_an_export_that_crops_again_is_fed_model_inputs_through_the_float_signatures(tiny_checkpoints, translator):
    import tensorflow as tf

    model = families.get("stargan").serving_model(tiny_checkpoints["both"], 20, {})
    signatures = {name: tf.function(function, input_signature=spec)
                  for name, (function, spec) in model.endpoints().items()}
    cropping = Translator(signatures, "crop 20")
    assert not cropping.takes_model_inputs and translator.takes_model_inputs
    model_input = np.random.default_rng(2).integers(0, 256, (16, 16, 3), np.uint8)
    target = vector([0, 1, 0, 1, 0], mask=[1, 0])
    difference = cropping.translate(model_input, target).astype(int) - translator.translate(model_input, target)
    assert np.abs(difference).max() <= 1
    # classify has no float twin: the input is resized to the crop, which the signature resizes back (a smooth
    # image comes back nearly unchanged).
    y, x = np.mgrid[0:16, 0:16] / 16
    smooth = (np.stack([np.sin(3 * x + 1), np.cos(2 * y), np.sin(2 * x * y)], -1) * 100 + 128).astype(np.uint8)
    np.testing.assert_allclose(cropping.logits(smooth), translator.logits(smooth), atol=0.01)


# Faces: mtcnn on scikit-image's photos.

def test_the_astronaut_face_is_translated_and_pasted_back_into_the_whole_photo(translator, skimage_photos, tmp_path,
                                                                                monkeypatch):
    path = str(skimage_photos / "astronaut.png")
    seen = []
    monkeypatch.setattr(translator, "logits", lambda model_input: seen.append(model_input) or Translator.logits(
        translator, model_input))
    options = PhotoOptions(align="auto", interpolate=3)
    report = translate_photos(translator, [path], str(tmp_path), Targets.parse(translator.layout, edit="+Blond_Hair"),
                              options)
    assert sorted(os.listdir(tmp_path)) == ["astronaut_+Blond_Hair.gif", "astronaut_+Blond_Hair.png",
                                            "astronaut_+Blond_Hair_strip.png", "astronaut_grid.png"]
    photo, output, grid = read_photo(path), png(tmp_path / "astronaut_+Blond_Hair.png"), png(report.written[1])
    assert output.shape == photo.shape
    # D_cls saw the aligned face (the grid's first tile), not the centre crop of the whole photo.
    np.testing.assert_array_equal(seen[0], grid_tiles(grid, 1, 2, 16, grouped=True)[0, 0])
    assert np.abs(seen[0].astype(int) - translator.model_input(photo)).mean() > 20
    (matrix,) = translator.inputs(photo, path, options).matrices
    distance = square_edge_distance(photo.shape, matrix, 16)
    np.testing.assert_array_equal(output[distance <= 0], photo[distance <= 0])
    assert (output != photo).any(-1)[distance > FEATHER * 16].mean() > 0.95
    assert 0.05 < (distance > 0).mean() < 0.3  # the face's square, not the whole photo
    with Image.open(tmp_path / "astronaut_+Blond_Hair.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (512, 512)
    assert png(tmp_path / "astronaut_+Blond_Hair_strip.png").shape == (16, 48, 3)


def test_two_faces_are_both_translated(translator, skimage_photos, tmp_path):
    targets = Targets.parse(translator.layout, target="Blond_Hair")
    translate_photos(translator, [str(skimage_photos / "two.png")], str(tmp_path), targets, PhotoOptions(align="auto"))
    photo, output = read_photo(str(skimage_photos / "two.png")), png(tmp_path / "two_Blond_Hair.png")
    assert output.shape == (512, 1024, 3)
    grid_tiles(png(tmp_path / "two_grid.png"), 2, 2, 16, grouped=True, row_names=True)  # a row per face, named
    changed = (output != photo).any(-1)
    for left in (0, 512):  # inside each astronaut's face box (182, 64, 83, 107)
        assert changed[80:160, left + 195:left + 250].mean() > 0.95
    np.testing.assert_array_equal(output[400:], photo[400:])


def test_no_face_falls_back_to_the_centre_crop_with_a_warning_or_is_an_error_with_align_face(
        translator, skimage_photos, tmp_path, caplog):
    coffee, astronaut = str(skimage_photos / "coffee.png"), str(skimage_photos / "astronaut.png")
    targets = Targets.parse(translator.layout, target="Male")
    with caplog.at_level(logging.WARNING, "stargan_tf"):
        report = translate_photos(translator, [coffee], str(tmp_path / "auto"), targets, PhotoOptions(align="auto"))
    assert f"{coffee}: no face of at least 40 pixels found: translating its centre crop instead" in caplog.messages
    assert png(tmp_path / "auto" / "coffee_Male.png").shape == (16, 16, 3) and not report.skipped
    report = translate_photos(translator, [coffee, astronaut], str(tmp_path / "face"), targets,
                              PhotoOptions(align="face"))
    assert report.skipped == [(coffee, f"{coffee}: no face of at least --min_face_size=40 pixels found (--align=face; "
                                       "--align=auto would translate the centre crop)")]
    assert sorted(os.listdir(tmp_path / "face")) == ["astronaut_Male.png", "astronaut_grid.png"]


def test_gray_rgba_exif_rotated_and_odd_sized_photos_are_aligned(translator, skimage_photos, tmp_path, caplog):
    photo = Image.open(skimage_photos / "astronaut.png")
    folder = tmp_path / "photos"
    folder.mkdir()
    photo.convert("L").save(folder / "gray.png")
    photo.convert("RGBA").save(folder / "rgba.png")
    photo.crop((5, 3, 390, 480)).save(folder / "odd.jpg", quality=95)  # 385 x 477
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter anticlockwise: shown turned back clockwise
    photo.crop((0, 0, 400, 512)).transpose(Image.ROTATE_90).save(folder / "phone.jpg", exif=exif, quality=95)
    paths = sorted(str(path) for path in folder.iterdir())
    with caplog.at_level(logging.WARNING, "stargan_tf"):
        report = translate_photos(translator, paths, str(tmp_path / "out"),
                                  Targets.parse(translator.layout, target="Male"), PhotoOptions(align="auto"))
    assert not report.skipped and not caplog.messages  # a face in each: no centre-crop fallback
    shapes = {name: png(tmp_path / "out" / f"{name}_Male.png").shape for name in ("gray", "rgba", "odd", "phone")}
    assert shapes == {"gray": (512, 512, 3), "rgba": (512, 512, 3), "odd": (477, 385, 3), "phone": (512, 400, 3)}


def test_translate_script_aligns_the_astronaut(tiny_checkpoints, skimage_photos, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "translate.py"),
                             f"--model={tiny_checkpoints['both']}", f"--input={skimage_photos / 'astronaut.png'}",
                             f"--output={tmp_path}", "--align=auto", "--target=Blond_Hair:0.5"],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wrote 2 files" in result.stdout and "1 of 1 photos" in result.stdout
    assert png(tmp_path / "astronaut_Blond_Hair@0.5.png").shape == (512, 512, 3)
    grid_tiles(png(tmp_path / "astronaut_grid.png"), 1, 2, 16, grouped=True)

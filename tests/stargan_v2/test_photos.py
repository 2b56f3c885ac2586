"""StarGAN v2 on real photos: the photo and the reference aligned (--align), and latent interpolation strips."""
import os

import numpy as np
import pytest
from PIL import Image

from stargan_tf.core.photo_files import TranslateError, list_photos, read_photo
from stargan_tf.core.photos import PhotoOptions
from stargan_tf.families import load_translator
from stargan_tf.families.stargan_v2.translate import StyleTargets, translate_styles
from core.test_photo_files import disk_full_after
from stargan.test_translate import clashing_photos
from stargan_v2.test_export import run_dir  # noqa: F401 (fixture)
from conftest import failing_after, grid_tiles, tiny_domains  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def translator(run_dir):  # noqa: F811
    return load_translator(run_dir[0])


def test_latent_interpolation_runs_from_the_first_style_to_the_second(translator, tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8)).save(tmp_path / "noise.png")
    targets = StyleTargets.parse(translator, target="sad", num_styles=2, seed=3)
    translate_styles(translator, [str(tmp_path / "noise.png")], str(tmp_path / "out"), targets,
                     PhotoOptions(interpolate=5))
    strip = np.asarray(Image.open(tmp_path / "out" / "noise_sad_strip.png"))
    assert strip.shape == (16, 5 * 16, 3)
    np.testing.assert_array_equal(strip[:, :16], np.asarray(Image.open(tmp_path / "out" / "noise_sad_style1.png")))
    np.testing.assert_array_equal(strip[:, 64:], np.asarray(Image.open(tmp_path / "out" / "noise_sad_style2.png")))
    with Image.open(tmp_path / "out" / "noise_sad.gif") as gif:
        assert gif.n_frames == 5
    for targets in (StyleTargets.parse(translator, num_styles=1),
                    StyleTargets.parse(translator, reference=str(tmp_path / "noise.png"), reference_domain="sad")):
        with pytest.raises(TranslateError, match="--interpolate: StarGAN v2 interpolates between the first two latent "
                                                 "codes: it needs latent-guided translation with --num_styles of at "
                                                 "least 2"):
            translate_styles(translator, [], str(tmp_path), targets, PhotoOptions(interpolate=3))


def test_the_photo_and_the_reference_are_aligned_and_the_face_pasted_back(translator, tmp_path):
    pytest.importorskip("mtcnn", reason="face alignment needs mtcnn (pip install -e '.[faces]')")
    data = pytest.importorskip("skimage.data", reason="the real photos come from scikit-image")
    Image.fromarray(data.astronaut()).save(tmp_path / "astronaut.png")
    reference = np.asarray(Image.fromarray(data.astronaut()).transpose(Image.FLIP_LEFT_RIGHT))
    Image.fromarray(reference).save(tmp_path / "mirrored.png")
    options = PhotoOptions(align="auto")
    targets = StyleTargets.parse(translator, reference=str(tmp_path / "mirrored.png"), reference_domain="happy")
    report = translate_styles(translator, [str(tmp_path / "astronaut.png")], str(tmp_path / "out"), targets, options)
    assert sorted(os.listdir(tmp_path / "out")) == ["astronaut_happy_mirrored.png", "reference_grid.png"]
    photo = read_photo(str(tmp_path / "astronaut.png"))
    output = np.asarray(Image.open(report.written[0]))
    assert output.shape == photo.shape and (output != photo).any(-1).mean() < 0.3
    grid = np.asarray(Image.open(tmp_path / "out" / "reference_grid.png"))
    # The reference as the model sees it: its aligned face, not its centre crop.
    aligned_reference = translator.inputs(reference, "mirrored.png", options).model_inputs[0]
    tiles = grid_tiles(grid, 2, 2, 16, row_names=True)
    np.testing.assert_array_equal(tiles[0, 1], aligned_reference)
    assert np.abs(aligned_reference.astype(int) - translator.model_input(reference)).mean() > 20


def test_photos_whose_names_clash_get_outputs_of_their_own(translator, tmp_path):
    paths = clashing_photos(tmp_path / "in")
    report = translate_styles(translator, paths, str(tmp_path / "out"),
                              StyleTargets.parse(translator, target="sad", num_styles=1))
    stems = {"a.jpg": "a_jpg_2", "a.png": "a_png", "a_jpg.bmp": "a_jpg"}
    assert sorted(os.listdir(tmp_path / "out")) == sorted([f"{stem}_sad_style1.png" for stem in stems.values()]
                                                          + ["latent_grid.png"])
    assert sorted(report.written) == sorted(str(tmp_path / "out" / name) for name in os.listdir(tmp_path / "out"))
    z = StyleTargets.parse(translator, target="sad", num_styles=1).z
    for path in paths:
        model_input = translator.model_input(read_photo(path))
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / f"{stems[os.path.basename(path)]}"
                                                                                f"_sad_style1.png")),
                                      translator.latent_guided(model_input, [translator.domains.index("sad")], z)[0])


def test_fifos_among_the_photos_and_the_references_are_skipped_naming_them(translator, tmp_path):
    for folder in ("in", "references"):
        (tmp_path / folder).mkdir()
        Image.fromarray(np.full([16, 16, 3], 90, np.uint8)).save(tmp_path / folder / "photo.png")
        os.mkfifo(tmp_path / folder / "pipe.jpg")
    with failing_after(20):
        targets = StyleTargets.parse(translator, reference=str(tmp_path / "references"), reference_domain="sad")
        report = translate_styles(translator, list_photos(str(tmp_path / "in")), str(tmp_path / "out"), targets)
    assert report.skipped == [(str(tmp_path / folder / "pipe.jpg"), f"{tmp_path / folder / 'pipe.jpg'}: a FIFO, not a "
                                                                    "regular file (never opened)")
                              for folder in ("references", "in")]
    assert report.translated == [str(tmp_path / "in" / "photo.png")]
    assert sorted(os.listdir(tmp_path / "out")) == ["photo_sad_photo.png", "reference_grid.png"]


def test_a_full_disk_at_the_grid_stops_with_every_photo_translated_and_no_partial_grid(translator, tmp_path,
                                                                                       monkeypatch):
    paths = clashing_photos(tmp_path / "in")
    disk_full_after(monkeypatch, files=3)  # the three photos' outputs, not latent_grid.png
    report = translate_styles(translator, paths, str(tmp_path / "out"),
                              StyleTargets.parse(translator, target="sad", num_styles=1))
    grid = tmp_path / "out" / "latent_grid.png"
    assert report.failure == f"cannot write {grid}: No space left on device (ENOSPC); translating stopped"
    assert report.translated == paths and len(report.written) == 3
    assert sorted(os.listdir(tmp_path / "out")) == sorted(os.path.basename(path) for path in report.written)

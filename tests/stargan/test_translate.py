"""Translating own photos: reading them, target labels from names, checkpoint vs SavedModel, translate.py."""
import glob
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import failing_after, grid_tiles
from stargan_tf.data.files import decode_image
from stargan_tf.data.labels import make_layout
from stargan_tf.core.config import ConfigError
from stargan_tf.core.photo_files import TranslateError, list_photos, prepare_output_dir, read_photo
from stargan_tf.core.photos import PhotoOptions
from stargan_tf.families import load_translator
from core.test_photo_files import disk_full_after, png_header
from stargan_tf.families.stargan.translate import Targets, translate_photos

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
CLASSES = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")
LAYOUT = make_layout(["celeba", "rafd"], ATTRS, CLASSES)


def vector(celeba=(), rafd=(), mask=()):
    """A hand-built 15-wide joint label vector."""
    return np.array(list(celeba or [0] * 5) + list(rafd or [0] * 8) + list(mask), np.float32)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder with an RGB JPEG, an RGBA PNG, a grayscale WebP and a corrupt JPEG."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, [40, 30, 3], dtype=np.uint8)).save(folder / "rgb.jpg")
    Image.fromarray(rng.integers(0, 256, [20, 50, 4], dtype=np.uint8), "RGBA").save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 256, [33, 33], dtype=np.uint8), "L").save(folder / "gray.webp")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    return folder


@pytest.fixture(scope="module")
def translators(tiny_checkpoints, joint_saved_model):
    return {"checkpoint": load_translator(tiny_checkpoints["both"]), "saved_model": load_translator(joint_saved_model)}


def test_target_sets_named_attributes_and_the_mask():
    [(name, target)] = Targets.parse(LAYOUT, target="Blond_Hair,Male").for_photo()
    assert name == "Blond_Hair+Male"
    np.testing.assert_array_equal(target, vector([0, 1, 0, 1, 0], mask=[1, 0]))
    [(_, happy)] = Targets.parse(LAYOUT, target="happy").for_photo()
    np.testing.assert_array_equal(happy, vector(rafd=[0, 0, 0, 0, 1, 0, 0, 0], mask=[0, 1]))


def test_edit_flips_relative_to_given_source_and_keeps_hair_exclusive():
    targets = Targets.parse(LAYOUT, edit="+Blond_Hair,-Young", source="Black_Hair,Male,Young")
    [(name, target)] = targets.for_photo()
    assert name == "+Blond_Hair-Young"
    np.testing.assert_array_equal(target, vector([0, 1, 0, 1, 0], mask=[1, 0]))
    [(_, switched)] = Targets.parse(LAYOUT, edit="+sad", source="happy").for_photo()
    np.testing.assert_array_equal(switched, vector(rafd=[0, 0, 0, 0, 0, 0, 1, 0], mask=[0, 1]))


def test_edit_uses_d_cls_logits_as_the_photo_labels():
    # D_cls: Black and Brown hair both likely (Brown more), Male unlikely, Young likely; RaFD logits ignored.
    logits = np.array([0.5, -2.0, 1.5, -1.0, 3.0] + [0.0] * 8, np.float32)
    targets = Targets.parse(LAYOUT, edit="+Male")
    np.testing.assert_array_equal(targets.source_values(logits), [0, 0, 1, 0, 1])
    [(_, target)] = targets.for_photo(logits)
    np.testing.assert_array_equal(target, vector([0, 0, 1, 1, 1], mask=[1, 0]))


def test_all_domains_gives_every_domain_of_both_datasets():
    names = [name for name, _ in Targets.parse(LAYOUT, all_domains=True, source="Young").for_photo()]
    assert names == list(ATTRS + CLASSES)


@pytest.mark.parametrize("kwargs, message", [
    (dict(target="Blond_Hair,Purple_Hair"), "unknown attribute 'Purple_Hair'; this model knows: Black_Hair, "
                                            "Blond_Hair, Brown_Hair, Male, Young, angry, contemptuous"),
    (dict(target="Black_Hair,Blond_Hair"), "--target: hair colours exclude each other, got Black_Hair, Blond_Hair"),
    (dict(edit="+Black_Hair,+Blond_Hair"), "--edit: hair colours exclude each other"),
    (dict(edit="Blond_Hair"), "must start with \\+ \\(turn on\\) or - \\(turn off\\)"),
    (dict(edit="-happy"), "one-hot: give the one class to switch to"),
    (dict(target="happy,sad"), "one-hot: name exactly one of"),
    (dict(target="Male,happy"), "belong to different datasets"),
    (dict(target="Male", all_domains=True), "only one of --target, --edit and --all_domains"),
])
def test_bad_names_are_errors_that_say_what_is_valid(kwargs, message):
    with pytest.raises(TranslateError, match=message):
        Targets.parse(LAYOUT, **kwargs)


def test_read_photo_gives_rgb_for_rgba_and_grayscale_and_names_a_corrupt_file(photos):
    rgba = np.asarray(Image.open(photos / "rgba.png"))
    np.testing.assert_array_equal(read_photo(str(photos / "rgba.png")), rgba[..., :3])
    gray = read_photo(str(photos / "gray.webp"))
    assert gray.shape == (33, 33, 3) and (gray[..., 0] == gray[..., 2]).all()
    assert read_photo(str(photos / "rgb.jpg")).shape == (40, 30, 3)
    with pytest.raises(TranslateError, match=r"corrupt\.jpg: not a readable image"):
        read_photo(str(photos / "corrupt.jpg"))


def test_exif_rotation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.new("RGB", (40, 20)).save(tmp_path / "phone.jpg", exif=exif)
    assert read_photo(str(tmp_path / "phone.jpg")).shape == (40, 20, 3)


def test_checkpoint_and_its_saved_model_translate_a_photo_alike(translators, photos):
    photo = read_photo(str(photos / "rgb.jpg"))
    target = vector([0, 1, 0, 1, 0], mask=[1, 0])
    from_checkpoint = translators["checkpoint"].translate(photo, target)
    from_saved_model = translators["saved_model"].translate(photo, target)
    assert from_checkpoint.shape == (16, 16, 3) and from_checkpoint.dtype == np.uint8
    assert np.abs(from_checkpoint.astype(int) - from_saved_model).max() <= 1
    np.testing.assert_allclose(translators["checkpoint"].logits(photo), translators["saved_model"].logits(photo),
                               atol=1e-5)


def test_translate_photos_writes_results_and_grids_and_lists_the_unreadable(translators, photos, tmp_path):
    paths = sorted(str(photos / name) for name in os.listdir(photos))
    targets = Targets.parse(translators["saved_model"].layout, edit="+Blond_Hair")
    report = translate_photos(translators["saved_model"], paths, str(tmp_path), targets)
    assert [path for path, _ in report.skipped] == [str(photos / "corrupt.jpg")]
    assert sorted(os.listdir(tmp_path)) == sorted(f"{stem}_{suffix}.png" for stem in ("gray", "rgb", "rgba")
                                                  for suffix in ("+Blond_Hair", "grid"))
    assert np.asarray(Image.open(tmp_path / "rgba_+Blond_Hair.png")).shape == (16, 16, 3)
    tiles = grid_tiles(Image.open(tmp_path / "rgb_grid.png"), 1, 2, 16, grouped=True)  # a joint model's grid
    np.testing.assert_array_equal(tiles[0, 0], translators["saved_model"].model_input(read_photo(paths[2])))


def test_model_and_output_errors_name_the_path(tmp_path):
    with pytest.raises(TranslateError, match=f"--model={tmp_path} is neither a checkpoint directory"):
        load_translator(str(tmp_path))
    with pytest.raises(TranslateError, match="no such directory"):
        load_translator(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    with pytest.raises(TranslateError, match=f"--output={tmp_path / 'file' / 'out'}: cannot write there"):
        prepare_output_dir(str(tmp_path / "file" / "out"))


def test_translate_script_on_a_folder_with_a_corrupt_file(tiny_checkpoints, photos, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "translate.py"),
                             f"--model={tiny_checkpoints['both']}", f"--input={photos}", f"--output={tmp_path}",
                             "--target=Black_Hair,Young"], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "3 of 4 photos" in result.stdout
    assert f"{photos / 'corrupt.jpg'}: not a readable image" in result.stdout
    assert "4/4" in result.stdout  # the progress bar reached the end
    assert len([name for name in os.listdir(tmp_path) if name.endswith("_Black_Hair+Young.png")]) == 3


def clashing_photos(folder) -> list[str]:
    """a.jpg, a.png and a_jpg.bmp (each a different noise photo): names whose outputs once overwrote each other."""
    folder.mkdir()
    rng = np.random.default_rng(7)
    for name in ("a.jpg", "a.png", "a_jpg.bmp"):
        Image.fromarray(rng.integers(0, 256, [16, 16, 3], dtype=np.uint8)).save(folder / name)
    return list_photos(str(folder))


def test_photos_whose_names_clash_get_outputs_of_their_own(translators, tmp_path):
    translator = translators["saved_model"]
    paths = clashing_photos(tmp_path / "in")
    report = translate_photos(translator, paths, str(tmp_path / "out"), Targets.parse(translator.layout, target="Male"))
    stems = {"a.jpg": "a_jpg_2", "a.png": "a_png", "a_jpg.bmp": "a_jpg"}
    assert sorted(os.listdir(tmp_path / "out")) == sorted(f"{stem}_{suffix}.png" for stem in stems.values()
                                                          for suffix in ("Male", "grid"))
    assert sorted(report.written) == sorted(str(tmp_path / "out" / name) for name in os.listdir(tmp_path / "out"))
    for path in paths:
        grid = Image.open(tmp_path / "out" / f"{stems[os.path.basename(path)]}_grid.png")
        np.testing.assert_array_equal(grid_tiles(grid, 1, 2, 16, grouped=True)[0, 0],
                                      translator.model_input(read_photo(path)))


def test_a_fifo_in_the_input_folder_is_skipped_naming_it_and_the_others_translated(translators, tmp_path):
    translator = translators["saved_model"]
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros([16, 16, 3], np.uint8)).save(folder / "photo.png")
    os.mkfifo(folder / "pipe.jpg")
    with failing_after(20):
        report = translate_photos(translator, list_photos(str(folder)), str(tmp_path / "out"),
                                  Targets.parse(translator.layout, target="Male"))
    assert report.skipped == [(str(folder / "pipe.jpg"), f"{folder / 'pipe.jpg'}: a FIFO, not a regular file (never "
                                                         "opened)")]
    assert report.translated == [str(folder / "photo.png")]
    assert sorted(os.listdir(tmp_path / "out")) == ["photo_Male.png", "photo_grid.png"]


def test_16_bit_pngs_give_the_model_input_of_their_8_bit_version_as_training_decodes_them(translators, tmp_path):
    translator = translators["saved_model"]
    gradient = np.repeat(np.linspace(0, 255, 40).round().astype(np.uint8)[None], 30, axis=0)  # [30, 40]
    rgb = np.stack([gradient, gradient[:, ::-1], 255 - gradient], axis=-1)
    for name, pixels in (("gray", gradient), ("rgb", rgb)):
        Image.fromarray(pixels).save(tmp_path / f"{name}8.png")
        (tmp_path / f"{name}16.png").write_bytes(  # 65535 for 255
            tf.io.encode_png((pixels.astype(np.uint16) * 257).reshape(30, 40, -1)).numpy())
    assert Image.open(tmp_path / "gray16.png").mode == "I;16"  # which Pillow's convert("RGB") turned all white
    for name in ("gray", "rgb"):
        sixteen_bit = read_photo(str(tmp_path / f"{name}16.png"))
        np.testing.assert_array_equal(sixteen_bit, decode_image(tf.io.read_file(str(tmp_path / f"{name}16.png"))))
        np.testing.assert_array_equal(translator.model_input(sixteen_bit),
                                      translator.model_input(read_photo(str(tmp_path / f"{name}8.png"))))


def test_a_photo_over_max_pixels_is_skipped_naming_it_and_the_others_translated(translators, tmp_path):
    translator = translators["saved_model"]
    (tmp_path / "in").mkdir()
    Image.fromarray(np.zeros([16, 20, 3], np.uint8)).save(tmp_path / "in" / "small.png")
    Image.fromarray(np.zeros([30, 40, 3], np.uint8)).save(tmp_path / "in" / "large.png")
    report = translate_photos(translator, list_photos(str(tmp_path / "in")), str(tmp_path / "out"),
                              Targets.parse(translator.layout, target="Male"), PhotoOptions(max_pixels=16 * 20))
    assert report.skipped == [(str(tmp_path / "in" / "large.png"), f"{tmp_path / 'in' / 'large.png'}: 40x30 pixels "
                               "(0.0012 megapixels), more than the limit of 320 pixels (--max_pixels); not decoded")]
    assert report.translated == [str(tmp_path / "in" / "small.png")]


def test_a_full_disk_stops_translating_keeps_no_partial_file_and_reports_what_was_written(translators, tmp_path,
                                                                                          monkeypatch):
    translator = translators["saved_model"]
    (tmp_path / "in").mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.zeros([16, 16, 3], np.uint8)).save(tmp_path / "in" / name)
    out = tmp_path / "out"
    out.mkdir()
    (out / "b_grid.png").write_bytes(b"an earlier run's output")
    disk_full_after(monkeypatch, files=3)  # a_Male.png, a_grid.png, b_Male.png
    report = translate_photos(translator, list_photos(str(tmp_path / "in")), str(out),
                              Targets.parse(translator.layout, target="Male"))
    assert report.failure == f"cannot write {out / 'b_grid.png'}: No space left on device (ENOSPC); translating stopped"
    assert report.written == [str(out / name) for name in ("a_Male.png", "a_grid.png", "b_Male.png")]
    assert report.translated == [str(tmp_path / "in" / "a.png")]
    assert sorted(os.listdir(out)) == ["a_Male.png", "a_grid.png", "b_Male.png", "b_grid.png"]
    assert (out / "b_grid.png").read_bytes() == b"an earlier run's output"  # replaced whole or not at all


def test_checkpoint_picks_the_previous_checkpoint_when_the_newest_is_truncated(tiny_checkpoints, joint_saved_model,
                                                                                translators, tmp_path):
    directory = str(tmp_path / "models")
    shutil.copytree(tiny_checkpoints["both"], directory)
    for path in glob.glob(os.path.join(directory, "ckpt-1.*")):
        shutil.copy(path, path.replace("ckpt-1.", "ckpt-2."))
    with open(os.path.join(directory, "checkpoint"), "w") as f:  # the state file, recording both
        f.write('model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-1"\n'
                'all_model_checkpoint_paths: "ckpt-2"\n')
    (data,) = glob.glob(os.path.join(directory, "ckpt-2.data-*"))
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    with pytest.raises(ConfigError, match=f"^{re.escape(data)} .* is truncated or damaged: .*; pass "
                                          "--checkpoint=ckpt-1 to use the previous checkpoint$"):
        load_translator(directory)
    translator = load_translator(directory, checkpoint="ckpt-1")
    assert translator.description == f"checkpoint {directory}/ckpt-1"
    photo = np.zeros([16, 16, 3], np.uint8)
    target = vector([0, 1, 0, 1, 0], mask=[1, 0])
    np.testing.assert_array_equal(translator.translate(photo, target),
                                  translators["checkpoint"].translate(photo, target))
    with pytest.raises(TranslateError, match=f"--checkpoint=ckpt-1: only for a checkpoint directory; --model="
                                             f"{re.escape(joint_saved_model)} is a SavedModel"):
        load_translator(joint_saved_model, checkpoint="ckpt-1")


# stargan-translate with every write to a file failing (EFBIG, as ENOSPC on a full disk) once it has started: the
# limit is set after the imports, since quieting TensorFlow's start-up writes its output to a temporary file.
FULL_DISK_TRANSLATE = """import resource, signal, sys
from stargan_tf.commands.translate import run
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
run(["stargan-translate"] + sys.argv[1:])
"""


def test_translate_script_reports_skips_and_a_write_failure_then_exits_with_one_error_line(tiny_checkpoints, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    png_header(folder / "huge.png", 13000, 13000)
    os.mkfifo(folder / "pipe.jpg")
    Image.fromarray(np.zeros([16, 16, 3], np.uint8)).save(folder / "z.png")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", FULL_DISK_TRANSLATE, f"--model={tiny_checkpoints['both']}",
                             "--checkpoint=ckpt-1", f"--input={folder}", f"--output={out}", "--target=Male",
                             "--max_pixels=1000000"],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.splitlines()[-4:] == [
        f"wrote 0 files to {out} (0 of 3 photos, model: checkpoint {tiny_checkpoints['both']}/ckpt-1)",
        "2 file(s) skipped:",
        f"  {folder / 'huge.png'}: 13000x13000 pixels (169 megapixels), more than the limit of 1,000,000 pixels "
        "(--max_pixels); not decoded",
        f"  {folder / 'pipe.jpg'}: a FIFO, not a regular file (never opened)"]
    assert result.stderr.strip().splitlines()[-1] == (f"error: cannot write {out / 'z_Male.png'}: File too large "
                                                      "(EFBIG); translating stopped")
    assert os.listdir(out) == []

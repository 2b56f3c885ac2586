"""Bad data at the start of a run (or of a resume): a clear error before training, or a logged skip; never a lost
checkpoint."""
import dataclasses
import logging
import os
import shutil

import pytest
from PIL import Image

from conftest import tiny_config
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.core.trainer import train


def directory_bytes(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


def test_odd_images_train_and_unreadable_ones_are_skipped_by_name(tiny_data, tmp_path, caplog):
    rafd = tmp_path / "rafd"
    shutil.copytree(tiny_data.rafd_image_dir, rafd)
    Image.new("L", (40, 40), 120).save(rafd / "happy" / "gray.png")
    Image.new("RGBA", (40, 40), (10, 200, 10, 90)).save(rafd / "sad" / "rgba.png")
    (rafd / "angry" / "notes.jpg").write_text("not an image")
    config = tiny_config(tiny_data, tmp_path, dataset="rafd", rafd_image_dir=str(rafd), rafd_test_fraction=0.0,
                         num_iters=2)
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        model = train(config)
    assert int(model.step.numpy()) == 2
    assert "skipping rafd train image" in caplog.text and "notes.jpg" in caplog.text
    assert "gray.png" not in caplog.text and "rgba.png" not in caplog.text
    assert os.path.exists(os.path.join(config.model_save_dir, "ckpt-2.index"))


def missing_celeba_dir(tmp, data):
    return {"celeba_image_dir": str(tmp / "missing")}


def empty_rafd_dir(tmp, data):
    return {"rafd_image_dir": str(tmp)}


def rafd_without_sad_images(tmp, data):
    shutil.copytree(data.rafd_image_dir, tmp / "rafd")
    for path in (tmp / "rafd" / "sad").iterdir():
        path.unlink()
    return {"rafd_image_dir": str(tmp / "rafd")}


def rafd_of_text_files(tmp, data):
    shutil.copytree(data.rafd_image_dir, tmp / "rafd")
    for path in (tmp / "rafd").glob("*/*"):
        path.write_text("not an image")
    return {"rafd_image_dir": str(tmp / "rafd")}


def attribute_file(tmp, row):
    (tmp / "attrs.txt").write_text(f"1\nBlack_Hair Blond_Hair Brown_Hair Male Young\n{row}\n")
    return {"attr_path": str(tmp / "attrs.txt")}


BREAKAGES = {  # name: (flags for a broken dataset, the error expected)
    "missing CelebA directory": (missing_celeba_dir, "does not exist"),
    "empty RaFD directory": (empty_rafd_dir, "has no class folders"),
    "empty RaFD class": (rafd_without_sad_images, "sad has no images"),
    "no readable image": (rafd_of_text_files, "none of the .* is readable"),
    "attribute row with a wrong column count": (lambda tmp, data: attribute_file(tmp, "000001.jpg 1 -1 -1 1"),
                                                "line 3: expected a filename and 5 values, got 5 columns"),
    "attribute row for a missing file": (lambda tmp, data: attribute_file(tmp, "gone.jpg 1 -1 -1 1 1"),
                                         "missing from .*gone.jpg"),
}


def test_bad_data_on_resume_fails_before_training_and_keeps_the_checkpoints(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path / "run", num_iters=2)
    train(config)
    kept = directory_bytes(config.model_save_dir)
    for name, (breakage, message) in BREAKAGES.items():
        broken = tmp_path / name.replace(" ", "_")
        broken.mkdir()
        with pytest.raises((DataError, ConfigError), match=message):
            train(dataclasses.replace(config, num_iters=4, **breakage(broken, tiny_data)))
        assert directory_bytes(config.model_save_dir) == kept, name

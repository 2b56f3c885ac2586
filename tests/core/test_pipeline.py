"""The tf.data pipeline: batch contents, determinism and exact resume, odd image formats, corrupt files."""
import dataclasses
import logging

import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from stargan_tf.data import pipeline
from stargan_tf.data.files import DataError, LabeledFiles, drop_unreadable
from stargan_tf.families.stargan.data import load_run_data


def take(dataset, count):
    return [{key: value.numpy() for key, value in batch.items()} for batch in dataset.take(count)]


def test_batches_hold_images_labels_permuted_targets_and_alpha(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path)
    data = load_run_data(config)
    batches = take(data.training_dataset(config), 4)
    for index, batch in enumerate(batches):
        assert batch["image"].shape == (4, 16, 16, 3) and batch["image"].dtype == np.float32
        assert -1.0 <= batch["image"].min() and batch["image"].max() <= 1.0
        assert batch["label"].shape == (4, 15)
        assert sorted(map(tuple, batch["target_label"])) == sorted(map(tuple, batch["label"]))
        assert batch["alpha"].shape == (4, 1, 1, 1) and np.all((0 <= batch["alpha"]) & (batch["alpha"] <= 1))
        # Batches alternate CelebA, RaFD: the mask says which.
        np.testing.assert_array_equal(batch["label"][:, -2:], np.eye(2)[[index % 2] * 4])


def test_resuming_at_a_step_gives_the_same_batches_as_running_through(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path)
    data = load_run_data(config)
    through = take(data.training_dataset(config), 7)
    resumed = take(data.training_dataset(config, start_step=3), 4)
    for expected, actual in zip(through[3:], resumed):
        for key in expected:
            np.testing.assert_array_equal(expected[key], actual[key])


def test_different_seeds_give_different_batches(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba")
    data = load_run_data(config)
    first = take(data.training_dataset(config), 1)[0]
    other = take(data.training_dataset(dataclasses.replace(config, seed=7)), 1)[0]
    assert not np.array_equal(first["image"], other["image"])


@pytest.mark.parametrize("mode", ["RGBA", "L", "RGB"])
def test_any_mode_loads_as_rgb_in_range(tmp_path, mode):
    path = str(tmp_path / f"image-{mode}.png")
    Image.new(mode, (40, 30), color=200 if mode == "L" else (200, 10, 10, 128)[:len(mode)]).save(path)
    image = pipeline.load_image(path, crop_size=30, image_size=16).numpy()
    assert image.shape == (16, 16, 3)
    expected = [200 / 127.5 - 1] * 3 if mode == "L" else [200 / 127.5 - 1, 10 / 127.5 - 1, 10 / 127.5 - 1]
    np.testing.assert_allclose(image[8, 8], expected, atol=1e-5)


def test_corrupt_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    good = str(tmp_path / "good.jpg")
    Image.new("RGB", (20, 20), (1, 2, 3)).save(good)
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"this is not an image")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(open(good, "rb").read()[:-50])
    files = LabeledFiles((good, str(garbage), str(truncated)), np.zeros((3, 1), np.float32), ("a",))
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        kept = drop_unreadable(files, "celeba train")
    assert kept.paths == (good,)
    assert "garbage.jpg" in caplog.text and "truncated.jpg" in caplog.text
    with pytest.raises(DataError, match="none of the 2 images is readable"):
        drop_unreadable(files.subset([1, 2]), "celeba train")


def test_fixed_batches_spread_over_a_split_sorted_by_class(tmp_path):
    """Sample grids of a split sorted by class (RaFD's folders) show every class, and all of it when asked."""
    paths = []
    for index in range(12):
        path = tmp_path / f"{index:02d}.png"
        Image.fromarray(np.full((8, 8, 3), index * 20, np.uint8)).save(path)
        paths.append(str(path))
    labels = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 4 images of class 0, then 1, then 2
    files = LabeledFiles(tuple(paths), labels, ("a", "b", "c"))
    images, picked = pipeline.load_batch(files, 3, 8, 8)  # images 0, 6 and 11
    np.testing.assert_array_equal(picked, np.eye(3))
    np.testing.assert_allclose(images[:, 0, 0, 0], np.array([0, 120, 220]) / 127.5 - 1, atol=1e-6)
    _, everything = pipeline.load_batch(files, 50, 8, 8)
    np.testing.assert_array_equal(everything, labels)

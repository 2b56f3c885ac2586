"""Data files that used to hang or mislead a run: images TensorFlow cannot decode, attribute files in other
encodings or with conflicting duplicate rows, and FIFOs named *.jpg."""
import logging
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import failing_after, tiny_config
from stargan_tf.data import domains, files, pipeline
from stargan_tf.data.celeba import parse_attributes, read_celeba
from stargan_tf.data.domains import read_domain_data
from stargan_tf.data.files import DataError, LabeledFiles, drop_unreadable, unreadable_reason
from stargan_tf.data.rafd import read_rafd
from stargan_tf.families.stargan.data import load_run_data
from stargan_tf.data.synthetic import write_celeba


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets its own image-check cache."""
    monkeypatch.setenv("STARGAN_TF_CACHE", str(tmp_path / "cache"))


def save_as(path, image_format, mode="RGB", **options):
    Image.new(mode, (24, 20), (200, 10, 10, 128)[:len(mode)] if mode != "L" else 90).save(path, image_format,
                                                                                          **options)
    return str(path)


def odd_files(folder):
    """Files the training decoder accepts and files it rejects, whatever Pillow thinks of them."""
    jpeg = save_as(folder / "good.jpg", "JPEG")
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    (folder / "truncated.jpg").write_bytes(open(jpeg, "rb").read()[:-2])
    (folder / "text.jpg").write_text("not an image")
    (folder / "empty.png").write_bytes(b"")
    return [jpeg, save_as(folder / "gray.png", "PNG", "L"), save_as(folder / "rgba.png", "PNG", "RGBA"),
            save_as(folder / "image.bmp", "BMP"), save_as(folder / "image.webp", "WEBP"), str(folder / "animated.gif"),
            save_as(folder / "tiff.jpg", "TIFF"), save_as(folder / "tiff.png", "TIFF"), str(folder / "truncated.jpg"),
            str(folder / "text.jpg"), str(folder / "empty.png")]


def decodes(load, path) -> bool:
    try:
        load(path)
    except tf.errors.InvalidArgumentError:
        return False
    return True


def test_the_check_keeps_exactly_the_files_training_decodes(tmp_path, caplog):
    paths = odd_files(tmp_path)
    with Image.open(tmp_path / "tiff.jpg") as image:
        assert image.format == "TIFF"  # Pillow opens it: the old check kept it, and training spun on it.
    v1 = {path for path in paths if decodes(lambda p: pipeline.load_image(p, 16, 8), path)}
    v2 = {path for path in paths if decodes(lambda p: domains.load_image(p, 8), path)}
    assert v1 == v2 and str(tmp_path / "tiff.jpg") not in v1 and str(tmp_path / "good.jpg") in v1
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        kept = drop_unreadable(LabeledFiles(tuple(paths), np.zeros((len(paths), 1), np.float32), ("a",)), "train")
    assert set(kept.paths) == v1
    for path in set(paths) - v1:
        assert f"skipping train image {path}: TensorFlow cannot decode it" in caplog.text
    assert "Unknown image file format" in unreadable_reason(str(tmp_path / "tiff.jpg"))


def test_a_run_whose_images_all_fail_to_decode_stops_naming_them(tiny_data, tmp_path):
    image_dir, attr_path = write_celeba(tmp_path / "celeba", 12)
    for name in os.listdir(image_dir):
        with Image.open(os.path.join(image_dir, name)) as image:
            image.load()
            image.save(os.path.join(image_dir, name), "TIFF")
    config = tiny_config(tiny_data, tmp_path / "run", dataset="celeba", celeba_image_dir=image_dir,
                         attr_path=attr_path)
    with pytest.raises(DataError, match=r"celeba train: none of the 11 images is readable, e\.g\. .*/0000\d\d\.jpg: "
                                        r"TensorFlow cannot decode it \(Unknown image file format"):
        load_run_data(config)


def test_the_verdict_is_cached_per_file_list_sizes_and_times(tmp_path, monkeypatch):
    folder = tmp_path / "images"
    folder.mkdir()
    paths = odd_files(folder)
    listing = LabeledFiles(tuple(paths), np.zeros((len(paths), 1), np.float32), ("a",))
    decoded = []
    real_undecodable = files._undecodable
    monkeypatch.setattr(files, "_undecodable", lambda some: decoded.append(len(some)) or real_undecodable(some))
    first = drop_unreadable(listing, "train")
    assert decoded == [len(paths)]  # Every file is decoded once, and not again on a cache hit.
    assert drop_unreadable(listing, "train").paths == first.paths and decoded == [len(paths)]
    assert len(os.listdir(tmp_path / "cache" / "file_check")) == 1
    save_as(folder / "tiff.jpg", "JPEG")  # A file fixed (new size and time): the list is checked again.
    again = drop_unreadable(listing, "train")
    assert len(decoded) == 2 and str(folder / "tiff.jpg") in again.paths
    assert drop_unreadable(listing.subset(range(3)), "train").paths == listing.paths[:3] and len(decoded) == 3


def test_an_unwritable_cache_only_costs_a_warning(tmp_path, monkeypatch, caplog):
    (tmp_path / "not_a_folder").write_text("")
    monkeypatch.setenv("STARGAN_TF_CACHE", str(tmp_path / "not_a_folder"))
    paths = odd_files(tmp_path)
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        kept = drop_unreadable(LabeledFiles(tuple(paths), np.zeros((len(paths), 1), np.float32), ("a",)), "train")
    assert str(tmp_path / "good.jpg") in kept.paths and "cannot cache the image check" in caplog.text


def write_attributes(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return str(path)


ATTRIBUTES = "2\nMale Young\n1.jpg 1 -1\n2.jpg -1 1\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_attribute_files_with_a_byte_order_mark_are_read(tmp_path, encoding):
    text = ATTRIBUTES if encoding != "utf-16-be" else "\ufeff" + ATTRIBUTES  # utf-16-be writes no mark itself
    filenames, names, values = parse_attributes(write_attributes(tmp_path / "attrs.txt", text, encoding))
    assert filenames == ["1.jpg", "2.jpg"] and names == ["Male", "Young"]
    np.testing.assert_array_equal(values, [[1, -1], [-1, 1]])


@pytest.mark.parametrize("data, message", [
    ("2\nMale Young\n1.jpg 1 -1\ncafé.jpg -1 1\n".encode("latin-1"),
     r"attrs.txt line 4: byte 0xe9 at offset 27 is not UTF-8 text \(latin-1 or another encoding\?\): save the "
     r"file as UTF-8"),
    (ATTRIBUTES.encode("utf-16-le"), r"attrs.txt: holds NUL characters \(UTF-16 or UTF-32 without a byte-order "
                                     r"mark\?\)"),
    ("2\nMale\n1.jpg 1\n".encode("utf-16") + b"\n", r"attrs.txt: byte 0x0a at offset 32 is not UTF-16 text"),
], ids=["latin-1", "UTF-16 without a mark", "UTF-16 of an odd length"])
def test_attribute_files_in_other_encodings_are_a_clear_error(tmp_path, data, message):
    path = tmp_path / "attrs.txt"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message):
        parse_attributes(str(path))


def test_conflicting_duplicate_rows_are_named_by_line(tmp_path, caplog):
    text = "4\nMale Young\n1.jpg 1 -1\n\n2.jpg -1 1\n1.jpg -1 -1\n2.jpg -1 1\n"
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        filenames, _, _ = parse_attributes(write_attributes(tmp_path / "attrs.txt", text, "utf-8"))
    assert filenames == ["1.jpg", "2.jpg", "1.jpg", "2.jpg"]
    assert "1 file name(s) listed more than once with different labels" in caplog.text
    assert "1.jpg on lines 3, 6" in caplog.text and "2.jpg" not in caplog.text


def test_unreadable_reason_names_a_fifo_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    with failing_after(20):
        assert unreadable_reason(str(tmp_path / "pipe.jpg")) == "a FIFO, not a regular file (never opened)"


def test_fifos_in_class_folders_are_skipped_with_a_message(tiny_data, tmp_path, caplog):
    for domain in ("happy", "sad"):
        os.makedirs(tmp_path / "train" / domain)
        save_as(tmp_path / "train" / domain / "a.jpg", "JPEG")
    os.mkfifo(tmp_path / "train" / "sad" / "pipe.jpg")
    os.mkdir(tmp_path / "train" / "sad" / "folder.png")
    with failing_after(20), caplog.at_level(logging.WARNING, logger="stargan_tf"):
        train, _ = read_rafd(str(tmp_path / "train"), test_fraction=0.0)
        data = read_domain_data(str(tmp_path / "train"))
    assert len(train) == len(data.train) == 2 and not any("pipe" in path for path in data.train.paths)
    assert f"skipping RaFD image directory file {tmp_path}/train/sad/pipe.jpg: a FIFO, not a regular" in caplog.text
    assert f"{tmp_path}/train/sad/folder.png: a directory, not a regular file" in caplog.text
    os.remove(tmp_path / "train" / "sad" / "a.jpg")
    with failing_after(20), pytest.raises(DataError, match="class folder .*/sad has no images"):
        read_rafd(str(tmp_path / "train"))


def test_a_fifo_listed_in_the_attribute_file_is_skipped_even_unchecked(tiny_data, tmp_path, caplog):
    image_dir, attr_path = write_celeba(tmp_path / "celeba", 4)
    os.remove(os.path.join(image_dir, "000002.jpg"))
    os.mkfifo(os.path.join(image_dir, "000002.jpg"))
    config = tiny_config(tiny_data, tmp_path / "run", dataset="celeba", celeba_image_dir=image_dir,
                         attr_path=attr_path, celeba_test_size=1, batch_size=1)
    with failing_after(20), caplog.at_level(logging.WARNING, logger="stargan_tf"):
        train, test = read_celeba(image_dir, attr_path, config.selected_attrs, test_size=1)
        data = load_run_data(config, verify_images=False)
    assert len(train) + len(test) == 3 and "000002.jpg" not in str(data.splits["celeba"].train.paths)
    assert f"{image_dir}/000002.jpg: a FIFO, not a regular file" in caplog.text

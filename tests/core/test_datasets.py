"""CelebA attribute parsing (good and bad files), the official split, and RaFD folder loading."""
import os

import numpy as np
import pytest

from stargan_tf.data.celeba import parse_attributes, read_celeba
from stargan_tf.data.files import DataError
from stargan_tf.data.rafd import read_rafd


def write_attr_file(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return str(path)


def test_parse_attributes_reads_names_and_values(tmp_path):
    path = write_attr_file(tmp_path / "attrs.txt", ["2", "A B C", "1.jpg  1 -1 1", "2.jpg -1 -1 1"])
    filenames, names, values = parse_attributes(path)
    assert filenames == ["1.jpg", "2.jpg"] and names == ["A", "B", "C"]
    np.testing.assert_array_equal(values, [[1, -1, 1], [-1, -1, 1]])


@pytest.mark.parametrize("lines, message", [
    (["x", "A B", "1.jpg 1 1"], "line 1: expected the number of images"),
    (["2", "A B", "1.jpg 1 1"], "line 1 says 2 images but 1 rows follow"),
    (["1", "A B", "1.jpg 1"], "line 3: expected a filename and 2 values, got 2 columns"),
    (["1", "A B", "1.jpg 1 0"], "line 3: attribute values must be 1 or -1"),
    (["1"], "expected a count line"),
])
def test_bad_attribute_files_name_file_and_line(tmp_path, lines, message):
    path = write_attr_file(tmp_path / "attrs.txt", lines)
    with pytest.raises(DataError, match=message) as error:
        parse_attributes(path)
    assert str(path) in str(error.value)


def test_missing_attribute_file_is_named(tmp_path):
    with pytest.raises(DataError, match="attrs.txt does not exist"):
        parse_attributes(str(tmp_path / "attrs.txt"))


def test_unknown_selected_attribute_lists_available(tiny_data):
    with pytest.raises(DataError, match="unknown attribute.*Blue_Hair.*available:.*Black_Hair"):
        read_celeba(tiny_data.celeba_image_dir, tiny_data.attr_path, ["Blue_Hair"])


def test_row_for_missing_image_is_an_error(tmp_path, tiny_data):
    path = write_attr_file(tmp_path / "attrs.txt", ["1", "Male", "nothere.jpg 1"])
    with pytest.raises(DataError, match="missing from .*nothere.jpg"):
        read_celeba(tiny_data.celeba_image_dir, path, ["Male"])


def test_celeba_split_is_deterministic_and_disjoint(tiny_data):
    attrs = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
    train, test = read_celeba(tiny_data.celeba_image_dir, tiny_data.attr_path, attrs, test_size=2000)
    again_train, again_test = read_celeba(tiny_data.celeba_image_dir, tiny_data.attr_path, attrs, test_size=2000)
    assert (len(train), len(test)) == (44, 4)  # a small set holds out a tenth
    assert train.paths == again_train.paths and test.paths == again_test.paths
    assert not set(train.paths) & set(test.paths)
    assert train.labels.shape == (44, 5) and set(np.unique(train.labels)) <= {0.0, 1.0}
    _, small_test = read_celeba(tiny_data.celeba_image_dir, tiny_data.attr_path, attrs, test_size=2)
    assert len(small_test) == 2


def test_rafd_classes_are_sorted_folders_with_one_hot_labels(tiny_data):
    train, test = read_rafd(tiny_data.rafd_image_dir, test_fraction=0.25)
    assert train.names == ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")
    assert (len(train), len(test)) == (24, 8)
    np.testing.assert_array_equal(train.labels.sum(axis=1), 1.0)
    for path, label in zip(train.paths, train.labels):
        assert os.path.basename(os.path.dirname(path)) == train.names[int(label.argmax())]


def test_rafd_errors_name_the_directory(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_rafd(str(tmp_path / "none"))
    with pytest.raises(DataError, match="has no class folders"):
        read_rafd(str(tmp_path))
    (tmp_path / "happy").mkdir()
    with pytest.raises(DataError, match="happy has no images"):
        read_rafd(str(tmp_path))

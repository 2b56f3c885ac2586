"""AffectNet: the CSV reader (good and bad files), the re-packaged folders, landmark alignment and its cache,
class-balanced sampling, and --dataset=affectnet's run data."""
import csv
import logging
import os

import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from stargan_tf.core import faces
from stargan_tf.data import affectnet_faces, pipeline
from stargan_tf.data.affectnet import EXPRESSIONS, parse_annotations, read_affectnet_folders
from stargan_tf.data.affectnet_faces import aligned_files, five_points
from stargan_tf.data.files import DataError
from stargan_tf.families.stargan.data import load_run_data

HEADER = ["subDirectory_filePath", "face_x", "face_y", "face_width", "face_height", "facial_landmarks",
          "expression", "valence", "arousal"]
# Photo -> template is the inverse of this: the face at half the template's scale, turned 10 degrees, shifted.
ANGLE = np.radians(10)
PHOTO_FROM_TEMPLATE = np.array([[0.5 * np.cos(ANGLE), -0.5 * np.sin(ANGLE), 3.0],
                                [0.5 * np.sin(ANGLE), 0.5 * np.cos(ANGLE), 2.0]])


def template_landmarks() -> np.ndarray:
    """68 points [68, 2] in photo coordinates whose eye means and mouth corners map to the CelebA template."""
    left_eye, right_eye, mouth = faces.CELEBA_TEMPLATE.coordinates
    points = np.tile(mouth, (68, 1))
    points[36:42], points[42:48] = left_eye, right_eye
    points[48], points[54] = mouth - [15, 0], mouth + [15, 0]
    return faces.transform_points(PHOTO_FROM_TEMPLATE, points)


def landmark_text(points) -> str:
    return ";".join(f"{value:.3f}" for value in np.asarray(points).ravel())


def write_photo(path, size=(120, 128)):
    """A small gradient photo (width, height)."""
    width, height = size
    ramp = np.linspace(0, 255, width * height * 3).reshape(height, width, 3).astype(np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(ramp).save(path, quality=95)


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def good_rows(image_dir, codes, prefix=""):
    """One row per code; photo i has landmarks unless i % 3 == 2 (then its box places it)."""
    rows = []
    for i, code in enumerate(codes):
        name = f"{prefix}{i % 2}/{i:03d}.jpg"
        write_photo(os.path.join(image_dir, name))
        points = "" if i % 3 == 2 else landmark_text(template_landmarks())
        rows.append([name, 20, 30, 60, 64, points, code, 0.1, -0.2])
    return rows


@pytest.fixture
def affectnet_csvs(tmp_path):
    """(image_dir, training.csv, validation.csv): 15 + 8 faces of every expression plus rows coded 8, 9, 10."""
    image_dir = str(tmp_path / "Manually_Annotated_Images")
    codes = [0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 1, 0, 2]
    train = write_csv(tmp_path / "training.csv", good_rows(image_dir, codes))
    val = write_csv(tmp_path / "validation.csv", good_rows(image_dir, range(8), prefix="val/"))
    return image_dir, train, val


def test_csv_rows_coded_8_to_10_are_counted_and_skipped(affectnet_csvs):
    image_dir, train, _ = affectnet_csvs
    annotations = parse_annotations(train, image_dir)
    assert len(annotations) == 15
    assert annotations.skipped == {"None": 1, "Uncertain": 1, "Non-Face": 2}
    np.testing.assert_array_equal(annotations.codes[:6], [0, 1, 1, 1, 1, 1])
    assert annotations.paths[0] == os.path.join(image_dir, "0/000.jpg")
    np.testing.assert_array_equal(annotations.boxes[0], [20, 30, 60, 64])
    np.testing.assert_allclose(annotations.landmarks[0], template_landmarks(), atol=1e-3)
    assert np.isnan(annotations.landmarks[2]).all() and not np.isnan(annotations.landmarks[3]).any()


@pytest.mark.parametrize("row, message", [
    (["a.jpg", 1, 2, 3, 4, "", 11, 0, 0], "line 3: expression must be a code from 0 to 10, got '11'"),
    (["a.jpg", 1, 2, 3, 4, "", "happy", 0, 0], "line 3: expression must be a code"),
    (["a.jpg", 1, 2, 3, 4, "1;2;3", 1, 0, 0], "line 3: facial_landmarks holds 3 numbers, expected 136"),
    (["a.jpg", 1, 2, 3, 4, "1;x", 1, 0, 0], "line 3: facial_landmarks must be numbers separated by ';'"),
    (["a.jpg", "", 2, 3, 4, "", 1, 0, 0], "line 3: face_x, face_y, face_width, face_height must be numbers"),
    (["a.jpg", 1, 2, 0, 4, "", 1, 0, 0], "line 3: face_width and face_height must be positive"),
    (["a.jpg", 1, 2], "line 3: expected 9 columns, got fewer"),
    (["b.jpg", 1, 2, 3, 4, "", 1, 0, 0], "lists 1 image.s. missing from .*b.jpg"),
])
def test_bad_csv_rows_name_the_file_and_line(tmp_path, row, message):
    write_photo(str(tmp_path / "a.jpg"))
    path = write_csv(tmp_path / "training.csv", [["a.jpg", 1, 2, 3, 4, "", 0, 0, 0], row])
    with pytest.raises(DataError, match=message) as error:
        parse_annotations(path, str(tmp_path))
    assert path in str(error.value)


def test_csv_without_the_columns_names_them(tmp_path):
    path = tmp_path / "training.csv"
    path.write_text("file,expression\na.jpg,1\n")
    with pytest.raises(DataError, match="line 1: expected a header .* missing subDirectory_filePath, face_x"):
        parse_annotations(str(path), str(tmp_path))


def test_repackaged_folders_named_by_code_get_expression_names(tmp_path):
    for split in ("train", "val"):
        for code in ("0", "3", "7"):
            write_photo(str(tmp_path / split / code / "1.jpg"), (24, 24))
    train, test = read_affectnet_folders(str(tmp_path))
    assert train.names == test.names == ("Neutral", "Surprise", "Contempt")
    np.testing.assert_array_equal(train.labels, np.eye(3))


def test_five_points_are_eye_centres_nose_tip_and_mouth_corners():
    landmarks = np.arange(136, dtype=float).reshape(68, 2)
    np.testing.assert_allclose(five_points(landmarks), [[77, 78], [89, 90], [60, 61], [96, 97], [108, 109]])


def test_own_landmarks_align_the_face_onto_the_template():
    face = affectnet_faces.face_of([0, 0, 10, 10], template_landmarks())
    expected = faces.invert(PHOTO_FROM_TEMPLATE)
    np.testing.assert_allclose(faces.alignment_matrix(face), expected, atol=1e-9)


def test_without_landmarks_the_box_centre_and_grown_side_place_the_face():
    box = [20, 30, 60, 40]  # centre (50, 50); longer side 60, grown by half of it on each side: 120 pixels
    face = affectnet_faces.face_of(box, np.full((68, 2), np.nan))
    anchor = [((70.245 + 107.737) / 2 + 88.932) / 2, (111.5 + 153.014) / 2]  # midway: eyes' centre and mouth
    points = faces.transform_points(faces.alignment_matrix(face), [[50, 50], [110, 50]])
    np.testing.assert_allclose(points, [anchor, [anchor[0] + 178 / 2, anchor[1]]], atol=1e-9)


def test_aligned_crops_are_made_once_and_labelled(affectnet_csvs, tmp_path, monkeypatch):
    image_dir, train, _ = affectnet_csvs
    annotations = parse_annotations(train, image_dir)
    files = aligned_files(annotations, str(tmp_path / "cache"))
    assert len(files) == 15 and files.names == EXPRESSIONS
    np.testing.assert_array_equal(files.labels.argmax(1), annotations.codes)
    with Image.open(files.paths[0]) as image:
        assert image.size == (178, 218)
    monkeypatch.setattr(affectnet_faces, "write_aligned", lambda *args: pytest.fail("aligned again"))
    assert aligned_files(annotations, str(tmp_path / "cache")).paths == files.paths


def test_unreadable_photos_are_skipped_by_name(affectnet_csvs, tmp_path, caplog):
    image_dir, train, _ = affectnet_csvs
    broken = os.path.join(image_dir, "1/001.jpg")
    with open(broken, "w") as f:
        f.write("not an image")
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        files = aligned_files(parse_annotations(train, image_dir), str(tmp_path / "cache"))
    assert len(files) == 14 and broken in caplog.text


def test_balanced_order_draws_every_class_equally_often():
    class_ids = np.array([0] * 90 + [1] * 8 + [2] * 2)
    order = list(pipeline.balanced_order(class_ids, seed=3).take(1500).as_numpy_iterator())
    counts = np.bincount(class_ids[order], minlength=3)
    assert np.all(np.abs(counts / 1500 - 1 / 3) < 0.05), counts
    assert order == list(pipeline.balanced_order(class_ids, seed=3).take(1500).as_numpy_iterator())


def test_square_crop_takes_the_largest_centred_square(tmp_path):
    image = np.zeros((30, 20, 3), np.uint8)
    image[5:25] = 255  # the centred 20x20 square is white, the 5-row bands above and below black
    Image.fromarray(image).save(tmp_path / "a.png")
    loaded = pipeline.load_image(str(tmp_path / "a.png"), pipeline.SQUARE, 4).numpy()
    np.testing.assert_allclose(loaded, 1.0, atol=1e-5)


def test_affectnet_run_data_layout_counts_and_balanced_batches(affectnet_csvs, tiny_data, tmp_path):
    image_dir, train, val = affectnet_csvs
    config = tiny_config(tiny_data, tmp_path, dataset="affectnet", affectnet_image_dir=image_dir,
                         affectnet_train_csv=train, affectnet_val_csv=val, synthetic_cache_dir=str(tmp_path / "c"))
    data = load_run_data(config)
    assert data.layout.names == list(EXPRESSIONS) and data.layout.logit_dim == 8
    assert (len(data.splits["affectnet"].train), len(data.splits["affectnet"].test)) == (15, 8)
    assert data.summary()[1] == ("affectnet training images per class (drawn class-balanced): Neutral 2, Happy 6, "
                                 "Sad 2, Surprise 1, Fear 1, Disgust 1, Anger 1, Contempt 1")
    batch = next(iter(data.training_dataset(config)))
    assert batch["image"].shape == (4, 16, 16, 3) and batch["label"].shape == (4, 8)


def test_boxes_and_landmarks_are_in_stored_pixels_and_16_bit_photos_are_scaled(tmp_path):
    """An EXIF orientation tag does not turn the photo under its annotations; a 16-bit PNG is not clipped white."""
    ramp = np.linspace(0, 255, 120 * 128 * 3).reshape(128, 120, 3).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to display.
    Image.fromarray(ramp).save(tmp_path / "plain.jpg", quality=95)
    Image.fromarray(ramp).save(tmp_path / "tagged.jpg", quality=95, exif=exif.tobytes())
    gray = ramp[..., 0]
    Image.fromarray(gray).save(tmp_path / "gray8.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "gray16.png")
    box, landmarks = [20, 30, 60, 64], template_landmarks()
    crop = {name: affectnet_faces.align_photo(str(tmp_path / name), box, landmarks)
            for name in ("plain.jpg", "tagged.jpg", "gray8.png", "gray16.png")}
    np.testing.assert_array_equal(crop["tagged.jpg"], crop["plain.jpg"])
    np.testing.assert_array_equal(crop["gray16.png"], crop["gray8.png"])
    assert crop["gray16.png"].std() > 10

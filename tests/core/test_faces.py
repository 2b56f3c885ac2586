"""Face detection, CelebA alignment and paste-back (stargan_tf.core.faces).

The geometry tests need only numpy and PIL; the detection tests use mtcnn on scikit-image's bundled photos
(astronaut: one face; coffee: none) and are skipped when either package is missing.
"""
import json

import numpy as np
import pytest
from PIL import Image

from stargan_tf.core import faces
from stargan_tf.core.faces import CELEBA_TEMPLATE, SQUARE, Face

ASTRONAUT_BOX = (182, 64, 83, 107)  # mtcnn's box on skimage's astronaut (x, y, width, height)
FEATHER = 0.1


def synthetic_face(shift=(0.0, 0.0)) -> Face:
    """A face whose CelebA template points are the template's own, shifted: it aligns by a pure translation."""
    left_eye, right_eye, mouth = CELEBA_TEMPLATE.coordinates + shift
    landmarks = np.stack([left_eye, right_eye, (left_eye + right_eye) / 2 + (0, 20), mouth - (16, 0), mouth + (16, 0)])
    return Face((left_eye[0] - 20, left_eye[1] - 40, 80.0, 100.0), 0.99, landmarks)


def random_photo(height, width, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def square_edge_distance(shape, matrix, size) -> np.ndarray:
    """Per photo pixel, how far inside the model's S x S square its centre maps (negative: outside)."""
    rows, columns = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    points = faces.transform_points(matrix, np.stack([columns.ravel(), rows.ravel()], 1))
    return np.minimum(points, size - points).min(1).reshape(shape[:2])


def invert_colours(image: np.ndarray) -> np.ndarray:
    return 255 - image


def box_iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    width = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    height = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return width * height / (aw * ah + bw * bh - width * height)


# Geometry: numpy and PIL only.

def test_estimate_similarity_recovers_a_known_transform():
    angle, scale, shift = np.radians(23.0), 1.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = np.random.default_rng(1).uniform(0, 200, (5, 2))
    matrix = faces.estimate_similarity(src, src @ rotation.T + shift)
    np.testing.assert_allclose(matrix, np.concatenate([rotation, shift[:, None]], 1), atol=1e-10)


def test_estimate_similarity_needs_distinct_points():
    with pytest.raises(ValueError, match="coincide"):
        faces.estimate_similarity([[3, 4], [3, 4]], [[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="matching"):
        faces.estimate_similarity([[0, 0], [1, 1]], [[0, 0], [1, 1], [2, 2]])


def test_alignment_by_whole_pixels_moves_pixels_exactly_and_repeats_edges():
    photo = random_photo(240, 200)
    aligned, matrix = faces.align_face(photo, synthetic_face(shift=(5, 7)))
    assert aligned.shape == (218, 178, 3)
    np.testing.assert_allclose(matrix, [[1, 0, -5], [0, 1, -7]], atol=1e-9)
    np.testing.assert_array_equal(aligned, photo[7:225, 5:183])
    # Shifted the other way, the frame starts above and left of the photo: its first rows and columns repeat.
    aligned, _ = faces.align_face(photo, synthetic_face(shift=(-3, -4)))
    np.testing.assert_array_equal(aligned[4:, 3:], photo[:214, :175])
    np.testing.assert_array_equal(aligned[:4, 3:], np.repeat(photo[:1, :175], 4, axis=0))
    np.testing.assert_array_equal(aligned[4:, :3], np.repeat(photo[:214, :1], 3, axis=1))


def test_model_crop_box_is_the_training_crop():
    assert faces.model_crop_box((178, 218), 178) == (0, 20, 178, 198)
    assert faces.model_crop_box((178, 218), SQUARE) == (0, 20, 178, 198)
    assert faces.model_crop_box((178, 218), 100) == (39, 59, 139, 159)
    assert faces.model_crop_box((178, 218), 200) == (-11, 9, 189, 209)  # Padded across the width.


def test_a_client_aligns_like_prepare_face_from_the_exported_description_alone():
    """What exports store (alignment_description as JSON) is enough to rebuild the model input with numpy and PIL."""
    description = json.loads(json.dumps(faces.alignment_description(64, SQUARE)))
    rows, columns = np.mgrid[0:400, 0:400] / 400.0  # a smooth photo: interpolation methods agree on it
    photo = np.stack([np.sin(40 * rows) * 100 + 128, np.cos(35 * columns) * 100 + 128, (rows + columns) * 120],
                     -1).astype(np.uint8)
    angle, scale, shift = np.deg2rad(12.0), 0.8, np.array([130.0, 90.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    face = synthetic_face()
    face = Face(face.box, face.confidence, face.landmarks @ rotation.T + shift)
    expected = faces.prepare_face(photo, face, 64, SQUARE).model_input

    # The client: named points (means where the description says so), a complex least-squares similarity
    # w = a z + b from the photo's points to the template's, the crop box, then the resize.
    named = dict(zip(faces.LANDMARKS, face.landmarks))
    points = np.array([np.mean([named[part] for part in description["points_as_means"].get(name, [name])], 0)
                       for name in description["points"]])
    z, w = points @ [1, 1j], np.array(description["template_points"]) @ [1, 1j]
    (a, b), *_ = np.linalg.lstsq(np.stack([z, np.ones_like(z)], 1), w, rcond=None)
    left, top, right, bottom = description["crop_box"]
    inverse_a, inverse_b = 1 / a, -b / a  # model crop pixel (x + left, y + top) -> photo
    offset = inverse_a * complex(left, top) + inverse_b
    coefficients = (inverse_a.real, -inverse_a.imag, offset.real, inverse_a.imag, inverse_a.real, offset.imag)
    crop = Image.fromarray(photo).transform((right - left, bottom - top), Image.AFFINE, coefficients, Image.BICUBIC)
    client = np.asarray(crop.resize((description["image_size"],) * 2, Image.BILINEAR))
    assert np.abs(client.astype(int) - expected).mean() < 1.0


def test_model_input_matrix_is_the_whole_chain():
    photo = random_photo(300, 260)
    aligned = faces.prepare_face(photo, synthetic_face(shift=(30, 40)), image_size=64, crop_size=178)
    assert aligned.model_input.shape == (64, 64, 3) and aligned.model_input.dtype == np.uint8
    # photo -> aligned frame (shift) -> crop from row 20 -> scale 64/178.
    expected = (CELEBA_TEMPLATE.coordinates - (0, 20)) * 64 / 178
    points = faces.transform_points(aligned.matrix, synthetic_face(shift=(30, 40)).landmarks[[0, 1]])
    np.testing.assert_allclose(points, expected[:2], atol=1e-9)
    # The input is the crop of the aligned frame, resized: compare with doing those steps one by one.
    frame, _ = faces.align_face(photo, synthetic_face(shift=(30, 40)))
    by_steps = np.asarray(Image.fromarray(frame[20:198]).resize((64, 64), Image.BILINEAR))
    np.testing.assert_array_equal(aligned.model_input, by_steps)


def test_paste_back_changes_only_the_model_square():
    photo = random_photo(320, 300)
    aligned = faces.prepare_face(photo, synthetic_face(shift=(60, 50)), image_size=64, crop_size=178)
    # Also placed turned by 30 degrees and enlarged 1.5x about the photo's centre, as a real face may be.
    turn, scale, centre = np.radians(30), 1 / 1.5, np.array([150.0, 160.0])
    rotation = scale * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    about_centre = np.concatenate([rotation, (centre - rotation @ centre)[:, None]], 1)
    for matrix in (aligned.matrix, faces.compose(aligned.matrix, about_centre)):
        output = faces.paste_back(photo, invert_colours(aligned.model_input), matrix, feather=FEATHER)
        assert output.shape == photo.shape and output.dtype == np.uint8
        distance = square_edge_distance(photo.shape, matrix, 64)
        np.testing.assert_array_equal(output[distance <= 0], photo[distance <= 0])
        changed = (output != photo).any(-1)
        assert changed[distance > FEATHER * 64].mean() > 0.95


def test_translate_faces_keeps_the_largest_faces_of_sufficient_size():
    class Detector:  # mtcnn's numpy rows: index, x, y, width, height, confidence, 5 xs, 5 ys.
        def detect_faces(self, photo, output_type, min_face_size):
            assert output_type == "numpy" and min_face_size <= 20
            rows = []
            for x, y, size in [(10, 10, 30), (200, 20, 90), (20, 200, 60), (300, 300, 39)]:
                xs, ys = x + size * np.array([.3, .7, .5, .35, .65]), y + size * np.array([.4, .4, .6, .8, .8])
                rows.append([0, x, y, size, size * 1.2, 0.99, *xs, *ys])
            return np.array(rows)

    photo = random_photo(400, 400)
    found = faces.detect_faces(photo, min_face_size=40, max_faces=2, detector=Detector())
    assert [face.box[:2] for face in found] == [(200, 20), (20, 200)]
    np.testing.assert_allclose(found[0].landmarks[0], (200 + 27, 20 + 36))
    # The 39-pixel face's square reaches beyond the photo's corner.
    output, aligned = faces.translate_faces(photo, invert_colours, 32, 178, min_face_size=35, detector=Detector())
    assert len(aligned) == 3 and all(item.model_input.shape == (32, 32, 3) for item in aligned)
    outside = np.all([square_edge_distance(photo.shape, item.matrix, 32) <= 0 for item in aligned], axis=0)
    np.testing.assert_array_equal(output[outside], photo[outside])
    with pytest.raises(ValueError, match="translate_fn returned shape"):
        faces.translate_faces(photo, lambda image: image[:16], 32, 178, detector=Detector())


@pytest.mark.parametrize("photo", [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 4), np.uint8),
                                   np.zeros((64, 64, 3), np.float32)], ids=["grayscale", "rgba", "float"])
def test_photos_must_be_rgb_uint8(photo):
    with pytest.raises(ValueError, match=r"RGB uint8 array \[H, W, 3\]"):
        faces.detect_faces(photo)  # Refused before any detector is made.
    with pytest.raises(ValueError, match="photo must be"):
        faces.prepare_face(photo, synthetic_face(), 64, 178)
    with pytest.raises(ValueError, match="translated must be"):
        faces.paste_back(random_photo(64, 64), photo, np.eye(3)[:2])


# Detection: mtcnn on real photos.

@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("mtcnn", reason="face detection needs mtcnn (pip install -e '.[faces]')")
    return faces.default_detector()


@pytest.fixture(scope="module")
def skimage_data():
    return pytest.importorskip("skimage.data", reason="the real photos come from scikit-image")


def test_finds_the_astronaut_face(detector, skimage_data):
    found = faces.detect_faces(skimage_data.astronaut(), detector=detector)
    assert len(found) == 1
    assert box_iou(found[0].box, ASTRONAUT_BOX) > 0.8
    # Image-left convention: left_eye has the smaller x; mouth corners below the nose below the eyes.
    left_eye, right_eye, nose, mouth_left, mouth_right = found[0].landmarks
    assert left_eye[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


@pytest.mark.parametrize("degrees", [0, 15])
def test_aligned_face_has_level_eyes_where_celeba_has_them(detector, skimage_data, degrees):
    photo = np.asarray(Image.fromarray(skimage_data.astronaut()).rotate(degrees, Image.BICUBIC, expand=True))
    (face,) = faces.detect_faces(photo, detector=detector)
    # PIL turns the photo counter-clockwise: the eye line tilts by -degrees (the astronaut's own is about +3).
    assert abs(faces.eye_line_angle(face.landmarks) + degrees - 3) < 2
    aligned, _ = faces.align_face(photo, face)
    (again,) = faces.detect_faces(aligned, min_face_size=20, detector=detector)
    assert abs(faces.eye_line_angle(again.landmarks)) < 2
    # CelebA's eye distance is 37.5 px: the re-detected eyes are within 5 px of the template's.
    np.testing.assert_array_less(np.abs(again.landmarks[:2] - CELEBA_TEMPLATE.coordinates[:2]), 5)


def test_two_faces_are_both_translated_and_nothing_else(detector, skimage_data):
    photo = np.concatenate([skimage_data.astronaut()] * 2, axis=1)
    output, aligned = faces.translate_faces(photo, invert_colours, 128, 178, detector=detector)
    assert output.shape == photo.shape
    assert sorted(round(item.face.box[0] / 512) for item in aligned) == [0, 1]  # One face in each half.
    distances = [square_edge_distance(photo.shape, item.matrix, 128) for item in aligned]
    outside = np.all([distance <= 0 for distance in distances], axis=0)
    np.testing.assert_array_equal(output[outside], photo[outside])
    changed = (output != photo).any(-1)
    for distance in distances:
        assert changed[distance > FEATHER * 128].mean() > 0.95


def test_no_face_in_coffee(detector, skimage_data):
    assert faces.detect_faces(skimage_data.coffee(), detector=detector) == []
    output, aligned = faces.translate_faces(skimage_data.coffee(), invert_colours, 128, 178, detector=detector)
    assert aligned == [] and np.array_equal(output, skimage_data.coffee())

"""The embedded AffectNet-format synthetic set: deterministic, imbalanced, codes 8-10, and landmarks that are
where the faces are drawn."""
import numpy as np

from stargan_tf.core import faces
from stargan_tf.data.affectnet import parse_annotations
from stargan_tf.data.affectnet_faces import face_of, five_points
from stargan_tf.data.synthetic_affectnet import draw_photo, write_affectnet


def test_synthetic_set_is_deterministic_imbalanced_and_has_codes_8_to_10(tmp_path):
    image_dir, train, val = write_affectnet(tmp_path / "a", 40, 2, seed=0, size=(96, 80))
    _, again, _ = write_affectnet(tmp_path / "b", 40, 2, seed=0, size=(96, 80))
    with open(train) as first, open(again) as second:
        assert first.read() == second.read()
    annotations = parse_annotations(train, image_dir)
    counts = np.bincount(annotations.codes, minlength=8)
    assert counts.min() >= 1 and counts.argmax() == 1 and counts[1] >= 4 * counts[7], counts
    assert all(count > 0 for count in annotations.skipped.values()), annotations.skipped
    assert np.isnan(annotations.landmarks).all(axis=(1, 2)).any()  # some faces are placed by their box
    validation = parse_annotations(val, image_dir)
    np.testing.assert_array_equal(np.bincount(validation.codes, minlength=8), [2] * 8)
    assert sum(validation.skipped.values()) == 0


def test_landmarks_put_the_drawn_irises_on_the_template_eyes():
    rng = np.random.default_rng(1)
    for code in range(8):
        photo, box, landmarks = draw_photo(rng, code)
        aligned, _ = faces.align_face(np.asarray(photo), face_of(box, landmarks))
        brightness = aligned.astype(float).mean(axis=2)
        (left_x, y), (right_x, _) = np.rint(faces.CELEBA_TEMPLATE.coordinates[:2]).astype(int)
        eyes = np.mean([brightness[y - 1:y + 2, x - 1:x + 2].mean() for x in (left_x, right_x)])
        bridge = brightness[y - 1:y + 2, (left_x + right_x) // 2 - 1:(left_x + right_x) // 2 + 2].mean()
        assert eyes < bridge - 30, (code, eyes, bridge)


def test_box_places_a_synthetic_face_near_where_its_landmarks_do():
    rng = np.random.default_rng(2)
    for code in range(8):
        _, box, landmarks = draw_photo(rng, code, (96, 80))
        eyes = five_points(landmarks)[:2]
        by_landmarks = faces.transform_points(faces.alignment_matrix(face_of(box, landmarks)), eyes)
        by_box = faces.transform_points(faces.alignment_matrix(face_of(box, np.full((68, 2), np.nan))), eyes)
        np.testing.assert_allclose(by_box, by_landmarks, atol=12)

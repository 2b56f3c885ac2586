"""Faces framed as CelebA-HQ (the official align_faces): FAN landmarks as the official get_landmark finds them, the
official landmarks2mat transform, the photo -> model input chain, and an imported run that frames faces so
wherever it is used (checkpoint directory, SavedModel)."""
import json

import numpy as np
import pytest
import torch

from stargan_tf import families
from stargan_tf.core import faces
from stargan_tf.core.export import export_saved_model
from stargan_tf.families.stargan_v2 import fan, landmark_alignment
from stargan_tf.families.stargan_v2.official import import_official_v2
from stargan_tf.interop import torch_reference_fan as reference_fan
from stargan_tf.interop import torch_reference_v2 as reference
from stargan_tf.interop.torch_checkpoint import CheckpointError

SIZE, STYLE, LATENT, DOMAINS = 32, 8, 4, ("female", "male")


def _template(seed: int = 0) -> np.ndarray:
    """98 points spread like a face in a 256 px frame, with eyes level above the mouth (official index roles)."""
    points = np.random.default_rng(seed).uniform(70, 186, (98, 2))
    points[60:68], points[96] = points[60:68] * 0.1 + [90, 110], [99, 112]
    points[68:76], points[97] = points[68:76] * 0.1 + [145, 110], [157, 112]
    points[76], points[82], points[54] = [105, 175], [151, 175], [128, 145]
    return points


def _similarity(angle: float, scale: float, shift) -> np.ndarray:
    cos, sin = scale * np.cos(np.radians(angle)), scale * np.sin(np.radians(angle))
    return np.array([[cos, -sin, shift[0]], [sin, cos, shift[1]]])


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    theirs = reference_fan.randomize(reference_fan.FAN(), seed=7)
    path = tmp_path_factory.mktemp("wing") / "wing.ckpt"
    torch.save({"state_dict": theirs.state_dict()}, path)
    return fan.load_fan(str(path)), theirs, str(path)


def test_landmarks_are_the_official_get_landmark_at_256_and_at_128(networks):
    ours, theirs, _ = networks
    rng = np.random.default_rng(2)
    for size in (256, 128):
        images = rng.uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
        expected = reference_fan.get_landmark(theirs, torch.from_numpy(images.transpose(0, 3, 1, 2).copy())).numpy()
        found = fan.landmarks(ours, images).numpy()
        assert found.shape == (2, 98, 2) and np.ptp(expected) > 20  # spread over the image, not one corner
        # Official pixel centres are at integers, ours at +0.5; the official scales its 256 px landmarks to other
        # sizes as if centres sat at 0, ours scale the 256 px frame's coordinates.
        in_256_frame = expected * 256 / size
        np.testing.assert_allclose(found, (in_256_frame + 0.5) * size / 256, atol=1e-4)


def test_the_matrix_is_the_official_landmarks2mat_and_undoes_a_similarity():
    template = _template()
    moved = faces.transform_points(_similarity(-17.0, 1.7, (40.0, -25.0)), template)
    np.testing.assert_allclose(faces.transform_points(landmark_alignment.landmark_matrix(moved, template), moved),
                               template, atol=1e-9)
    noisy = moved + np.random.default_rng(1).normal(0, 3, moved.shape)
    ours = landmark_alignment.landmark_matrix(noisy, template)
    official = reference_fan.landmarks2mat(noisy - 0.5, template - 0.5)  # official pixel centres at integers
    expected = faces.compose(faces.scale_shift(1.0, 0.5, 0.5), official[:2], faces.scale_shift(1.0, -0.5, -0.5))
    np.testing.assert_allclose(ours, expected, atol=1e-9)


def test_a_face_reaches_the_model_where_its_landmarks_meet_the_template():
    """A photo whose face lies at a known similarity of the template: the 5 detector points frame it, the landmarks
    found in that frame lead to the matrix that undoes the similarity, and the model input is the photo warped by
    it (so paste_back puts translations where the face was)."""
    template, image_size = _template(), 64
    placed = _similarity(12.0, 2.3, (90.0, 40.0))
    photo = np.random.default_rng(3).integers(0, 256, (700, 800, 3), dtype=np.uint8)
    face = faces.Face((0, 0, 1, 1), 1.0, faces.transform_points(placed, template[list(landmark_alignment.FIVE_POINTS)]))
    frames = []

    def landmarks_fn(framed):
        frames.append(framed)
        frame = faces.estimate_similarity(face.landmarks, template[list(landmark_alignment.FIVE_POINTS)])
        return faces.transform_points(faces.compose(frame, placed), template)

    aligned = landmark_alignment.prepare_face(photo, face, image_size, template, landmarks_fn)
    expected = faces.compose(faces.scale_shift(image_size / 256), faces.invert(placed))
    np.testing.assert_allclose(aligned.matrix, expected, atol=1e-9)
    assert frames[0].shape == (256, 256, 3) and aligned.model_input.shape == (image_size, image_size, 3)
    np.testing.assert_array_equal(aligned.model_input, faces.warp(photo, expected, (image_size, image_size)))


def test_landmarks_the_detector_contradicts_fall_back_to_its_five_point_frame(caplog):
    template, photo = _template(), np.zeros((400, 400, 3), np.uint8)
    face = faces.Face((10, 20, 200, 220), 1.0, template[list(landmark_alignment.FIVE_POINTS)] + 30.0)
    frame = faces.estimate_similarity(face.landmarks, template[list(landmark_alignment.FIVE_POINTS)])
    for wrong in (template * 0.2, template[:, ::-1], template + 90.0):
        with caplog.at_level("WARNING", logger="stargan_tf"):
            aligned = landmark_alignment.prepare_face(photo, face, 256, template, lambda framed, wrong=wrong: wrong)
        np.testing.assert_allclose(aligned.matrix, frame, atol=1e-9)
        assert "disagree with the detector" in caplog.text
        caplog.clear()
    close = faces.transform_points(_similarity(5.0, 1.1, (4.0, -3.0)), template)  # a plausible reading: kept
    aligned = landmark_alignment.prepare_face(photo, face, 256, template, lambda framed: close)
    assert np.abs(aligned.matrix - frame).max() > 1e-3 and not caplog.text


def test_an_import_with_the_mean_landmarks_frames_faces_as_celeba_hq_in_checkpoints_and_savedmodels(tmp_path,
                                                                                                       networks):
    _, _, wing = networks
    nets = {"generator": reference.Generator(SIZE, STYLE, 16, 8, w_hpf=1.0),
            "mapping_network": reference.MappingNetwork(len(DOMAINS), LATENT, STYLE, 16),
            "style_encoder": reference.StyleEncoder(len(DOMAINS), SIZE, STYLE, 16, 8)}
    nets = {name: reference.randomize(net, 80 + index) for index, (name, net) in enumerate(nets.items())}
    ema = tmp_path / "100000_nets_ema.ckpt"
    torch.save({name: net.state_dict() for name, net in nets.items()}, ema)
    template = _template()
    np.savez(tmp_path / "celeba_lm_mean.npz", mean=template - 0.5)
    np.savez(tmp_path / "wrong.npz", landmarks=template)
    with pytest.raises(landmark_alignment.TemplateError, match=r"wrong\.npz: expected .*'mean'.* holds landmarks"):
        import_official_v2(str(ema), str(tmp_path / "bad"), DOMAINS, wing_path=wing,
                           lm_path=str(tmp_path / "wrong.npz"))
    afhq = tmp_path / "afhq_nets_ema.ckpt"
    torch.save({**{name: net.state_dict() for name, net in nets.items()},
                "generator": reference.randomize(reference.Generator(SIZE, STYLE, 16, 8), 90).state_dict()}, afhq)
    with pytest.raises(CheckpointError, match="--lm_path=.*face-landmark network"):
        import_official_v2(str(afhq), str(tmp_path / "bad"), DOMAINS, lm_path=str(tmp_path / "celeba_lm_mean.npz"))

    run = tmp_path / "celeba_hq"
    import_official_v2(str(ema), str(run), DOMAINS, wing_path=wing, lm_path=str(tmp_path / "celeba_lm_mean.npz"))
    assert "lm_path" in json.loads((run / "import.json").read_text())
    alignment = json.loads((run / "run.json").read_text())["alignment"]
    assert alignment["method"] == "landmarks"
    np.testing.assert_allclose(alignment["template_landmarks"], template)
    translator = families.load_translator(str(run))
    np.testing.assert_allclose(translator.landmark_template, template)
    photo = np.random.default_rng(4).integers(0, 256, (300, 280, 3), dtype=np.uint8)
    face = faces.Face((0, 0, 1, 1), 1.0, template[list(landmark_alignment.FIVE_POINTS)] + [10.0, 20.0])
    aligned = translator.prepare_face(photo, face)
    assert aligned.model_input.shape == (SIZE, SIZE, 3)
    model = families.get("stargan_v2").load_model(str(run))[0]
    framed = faces.warp(photo, faces.estimate_similarity(face.landmarks, template[list(landmark_alignment.FIVE_POINTS)]),
                        (256, 256))
    found = fan.landmarks(model.fan, framed[None]).numpy()[0]
    np.testing.assert_allclose(translator.landmarks(framed), found, atol=1e-4)

    served = families.get("stargan_v2").serving_model(str(run), 0, {})
    saved = families.load_translator(export_saved_model(served, str(tmp_path / "exported"), warmup=False))
    np.testing.assert_allclose(saved.landmark_template, template)
    np.testing.assert_allclose(saved.landmarks(framed), found, atol=1e-4)
    np.testing.assert_array_equal(saved.prepare_face(photo, face).model_input, aligned.model_input)

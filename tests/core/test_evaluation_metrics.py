"""Translation metrics on hand-made inputs: perfect and constant translators, preservation, the Fréchet distance."""
import numpy as np
import pytest
from PIL import Image

from stargan_tf.data.files import LabeledFiles
from stargan_tf.families.stargan.data import RunData, Split
from stargan_tf.evaluation import metrics
from stargan_tf.families.stargan.evaluate import evaluate_generator
from stargan_tf.data.labels import make_layout

ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
CLASSES = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")
LAYOUT = make_layout(("celeba", "rafd"), ATTRS, CLASSES)  # 5 + 8 logits, then the 2 mask entries
# 10 CelebA test images: hair black x5, blond x3, brown x2; Male and Young alternate.
CELEBA_LABELS = np.array([[1, 0, 0, 1, 0], [1, 0, 0, 0, 1], [1, 0, 0, 1, 0], [1, 0, 0, 0, 1], [1, 0, 0, 1, 0],
                          [0, 1, 0, 0, 1], [0, 1, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0], [0, 0, 1, 0, 1]],
                         np.float32)
RAFD_CLASSES = [0, 0, 1, 2, 3, 4, 5, 6]  # 8 RaFD test images: two angry, none surprised


def test_predicted_labels_threshold_multilabel_and_argmax_onehot():
    logits = np.zeros((1, LAYOUT.logit_dim), np.float32)
    logits[0, :5] = [2.0, -1.0, 0.5, -3.0, 0.1]
    logits[0, 5:] = [0.1, 0.2, 3.0, -1.0, 0.0, 0.0, 0.0, 2.9]
    np.testing.assert_array_equal(metrics.predicted_labels(logits, LAYOUT)[0],
                                  [1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0])


def logits_of(labels):
    """Confident logits that classify as `labels` (full layout, mask dropped)."""
    return (2.0 * np.asarray(labels)[:, :LAYOUT.logit_dim] - 1.0) * 5.0


def test_score_target_hair_colour_asks_for_every_hair_colour_and_preserves_the_rest():
    original = LAYOUT.embed("celeba", CELEBA_LABELS[:2])  # black-haired
    target = original.copy()
    target[:, 0:3] = [0, 1, 0]  # to blond
    predicted = target.copy()
    predicted[0, 0] = 1  # image 0 still also black: target missed
    predicted[1, 3] = 1 - predicted[1, 3]  # image 1 blond but its Male attribute flipped: 1 of 2 others lost
    score = metrics.score_target(LAYOUT, "Blond_Hair", original, target, logits_of(predicted))
    assert score == {"target": "Blond_Hair", "dataset": "celeba", "accuracy": 0.5, "preservation": 0.75}


def test_score_target_across_datasets_uses_only_the_target_head():
    original = LAYOUT.embed("celeba", CELEBA_LABELS[:2])
    target = LAYOUT.embed("rafd", np.eye(8, dtype=np.float32)[[4, 4]])  # to happy
    predicted = target.copy()
    predicted[:, :5] = 1 - original[:, :5]  # every CelebA attribute changed: not judged across datasets
    score = metrics.score_target(LAYOUT, "happy", original, target, logits_of(predicted))
    assert score == {"target": "happy", "dataset": "rafd", "accuracy": 1.0}


def test_domain_names_name_the_set_label_or_the_cleared_one():
    segment = LAYOUT.segment("celeba")
    assert metrics.domain_names(segment, [0, 1, 2], [[0, 1, 0], [1, 0, 0]]) == ["Blond_Hair", "Black_Hair"]
    assert metrics.domain_names(segment, [3], [[1], [0]]) == ["Male", "not Male"]


def write_label_images(directory, dataset, labels):
    """4x4 PNGs whose first pixel values spell the image's full-layout label (255 for 1, 0 for 0)."""
    paths = []
    for i, label in enumerate(LAYOUT.embed(dataset, labels)):
        values = np.zeros(48, np.uint8)
        values[:LAYOUT.label_dim] = label * 255
        path = str(directory / f"{dataset}{i}.png")
        Image.fromarray(values.reshape(4, 4, 3)).save(path)
        paths.append(path)
    return LabeledFiles(tuple(paths), np.asarray(labels, np.float32), ATTRS if dataset == "celeba" else CLASSES)


@pytest.fixture(scope="module")
def label_image_data(tmp_path_factory):
    """Run data whose images carry their labels, so a label-reading 'classifier' is exact."""
    directory = tmp_path_factory.mktemp("label_images")
    celeba = write_label_images(directory, "celeba", CELEBA_LABELS)
    rafd = write_label_images(directory, "rafd", np.eye(8, dtype=np.float32)[RAFD_CLASSES])
    return RunData(LAYOUT, {"celeba": Split(celeba, celeba, 4), "rafd": Split(rafd, rafd, 4)})


def read_labels(images):
    """The exact classifier of label images: logits +-10 from the label pixels."""
    return np.asarray(images).reshape(len(images), -1)[:, :LAYOUT.logit_dim] * 10.0


def paint_labels(images, labels):
    """The perfect translator of label images: writes the target label into the label pixels."""
    flat = np.array(images).reshape(len(images), -1)
    flat[:, :LAYOUT.label_dim] = 2.0 * np.asarray(labels) - 1.0
    return flat.reshape(np.shape(images))


def flat_pixels(images):
    return np.asarray(images).reshape(len(images), -1)


def test_perfect_translator_scores_zero_error_full_preservation_and_exact_reconstruction(label_image_data):
    report = evaluate_generator(paint_labels, read_labels, flat_pixels, label_image_data, image_size=4)
    for dataset in ("celeba", "rafd"):
        assert report["real"][dataset]["accuracy"] == 1.0
        translation = report["translation"][dataset]
        assert len(translation["targets"]) == 13
        assert all(score["accuracy"] == 1.0 for score in translation["targets"])
        assert translation["reconstruction_l1"] == pytest.approx(0.0, abs=1e-6)
        for summary in translation["by_target_dataset"].values():
            assert summary["error"] == 0.0
    assert report["translation"]["celeba"]["by_target_dataset"]["celeba"]["preservation"] == 1.0


def test_constant_translator_scores_the_base_rate(label_image_data):
    report = evaluate_generator(lambda images, labels: images, read_labels, flat_pixels, label_image_data, 4)
    celeba = {score["target"]: score["accuracy"] for score in report["translation"]["celeba"]["targets"]}
    # Hair colours: the share of inputs that already have it; toggled attributes: never right.
    assert [celeba[name] for name in ATTRS] == [0.5, 0.3, 0.2, 0.0, 0.0]
    # A CelebA image's RaFD logits are all equal: argmax says angry, the first class.
    assert [celeba[name] for name in CLASSES] == [1.0] + [0.0] * 7
    rafd = {score["target"]: score["accuracy"] for score in report["translation"]["rafd"]["targets"]}
    assert [rafd[name] for name in CLASSES] == [0.25] + [0.125] * 6 + [0.0]
    summary = report["translation"]["rafd"]["by_target_dataset"]["rafd"]
    assert summary["error"] == pytest.approx(1.0 - 1.0 / 8)
    assert report["translation"]["celeba"]["by_target_dataset"]["celeba"] == pytest.approx(
        {"accuracy": 0.2, "error": 0.8, "preservation": 1.0})
    assert report["translation"]["celeba"]["reconstruction_l1"] == 0.0


def test_frechet_distance_matches_the_closed_form_of_gaussians():
    rng = np.random.default_rng(0)
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    sigma1, sigma2 = rotation @ np.diag(a) @ rotation.T, rotation @ np.diag(b) @ rotation.T
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    # Commuting covariances: tr((S1 S2)^1/2) = sum sqrt(a b), so 14 + 5.25 - 2 (2 + 2 + 1.5) = 8.25; |mu|^2 = 5.
    assert metrics.frechet_distance_from_moments(mu1, sigma1, mu2, sigma2) == pytest.approx(13.25)
    # One dimension: (mu1 - mu2)^2 + (sqrt(s1) - sqrt(s2))^2.
    assert metrics.frechet_distance_from_moments([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9.0 + 1.0)
    samples1 = rng.multivariate_normal(mu1, sigma1, size=200000)
    samples2 = rng.multivariate_normal(mu2, sigma2, size=200000)
    assert metrics.frechet_distance(samples1, samples2) == pytest.approx(13.25, abs=0.1)
    assert metrics.frechet_distance(samples1, samples1) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_non_commuting_covariances_equals_the_symmetric_root_form():
    sigma1 = np.array([[2.0, 1.0], [1.0, 2.0]])
    sigma2 = np.array([[1.0, 0.0], [0.0, 3.0]])
    # (S1 S2)^1/2 has trace sqrt(tr(S1 S2) + 2 sqrt(det(S1 S2))) for 2x2 matrices with positive eigenvalues.
    trace_root = np.sqrt(np.trace(sigma1 @ sigma2) + 2.0 * np.sqrt(np.linalg.det(sigma1 @ sigma2)))
    expected = np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root
    assert metrics.frechet_distance_from_moments([0, 0], sigma1, [0, 0], sigma2) == pytest.approx(expected)


def test_frechet_distance_names_a_bad_feature_shape():
    with pytest.raises(ValueError, match=r"features2 must be \[N >= 2, D\], got shape \[1, 3\]"):
        metrics.frechet_distance(np.zeros((4, 3)), np.zeros((1, 3)))


def test_speckle_measures_pixel_noise_where_the_source_is_flat():
    # Two flat halves and a linear gradient: no speckle, though the edge between the halves has a large deviation.
    source = np.full((2, 8, 8, 3), -0.5)
    source[:, :, 4:] = 0.5
    source[1] = np.linspace(-1.0, 1.0, 8)[None, :, None]
    flat = metrics.flat_pixels(source)
    assert metrics.speckle(source, flat) == pytest.approx(0.0, abs=1e-6)
    assert metrics.local_deviation(source)[0, :, 3:5].min() > 0.1
    # Noise on the translation is measured on the source's flat pixels only: an edge moved into them counts too.
    noisy = source + np.random.default_rng(0).normal(0.0, 0.1, source.shape)
    assert 0.02 < metrics.speckle(noisy, flat) < 0.05
    assert metrics.speckle(noisy, flat) > 10 * metrics.speckle(source + 0.01 * (noisy - source), flat)
    checkerboard = np.indices((8, 8)).sum(axis=0) % 2 * 2.0 - 1.0
    with pytest.raises(ValueError, match="no pixel of the 1 source images is flat"):
        metrics.flat_pixels(checkerboard[None, :, :, None])


def test_local_deviation_is_the_same_in_chunks():
    images = np.random.default_rng(1).uniform(-1.0, 1.0, (5, 6, 7, 3))
    np.testing.assert_allclose(metrics.local_deviation(images, chunk=2), metrics.local_deviation(images, chunk=64),
                               rtol=0, atol=0)
    assert metrics.local_deviation(images, chunk=2).shape == (5, 6, 7)

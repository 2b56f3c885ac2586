"""Translation metrics as plain numpy functions: classification accuracy of real and translated images,
attribute preservation, pixel speckle, the Fréchet distance between feature sets, and the diversity of several
outputs.

A target domain is one column of the paper's figures (`labels.sample_targets`): a CelebA attribute (a hair
colour set exclusively, any other attribute toggled) or a RaFD expression. Translated images are judged
only on their target dataset's segment of the classifier's logits: for a joint model translating a CelebA
face to a RaFD expression, the RaFD head says whether the expression is there, and the CelebA head is not
asked (nothing says which hair colour a RaFD face should keep), so preservation is only measured within a
dataset.
"""
from __future__ import annotations

import itertools

import numpy as np

from stargan_tf.data.labels import MULTILABEL, LabelLayout, Segment, hair_color_indices


def predicted_labels(logits, layout: LabelLayout) -> np.ndarray:
    """Classifier logits [N, logit_dim] -> 0/1 labels: sigmoid > 0.5 for multi-label segments, argmax for one-hot."""
    logits = np.asarray(logits, np.float32)
    labels = np.zeros_like(logits)
    for segment in layout.segments:
        part = logits[:, segment.offset:segment.stop]
        if segment.kind == MULTILABEL:
            labels[:, segment.offset:segment.stop] = part > 0
        else:
            labels[np.arange(len(part)), segment.offset + np.argmax(part, axis=1)] = 1.0
    return labels


def real_accuracy(logits, labels, layout: LabelLayout, dataset: str) -> dict:
    """Classifier accuracy on real images of one dataset: per attribute (multi-label) or per class (recall).

    "accuracy" is the mean over attributes for multi-label data, the fraction of images classified right for
    one-hot data.
    """
    segment = layout.segment(dataset)
    predicted = predicted_labels(logits, layout)[:, segment.offset:segment.stop]
    truth = np.asarray(labels, np.float32)[:, segment.offset:segment.stop]
    if segment.kind == MULTILABEL:
        per_label = (predicted == truth).mean(axis=0)
        return {"per_label": dict(zip(segment.names, per_label.tolist())), "accuracy": float(per_label.mean())}
    correct = np.all(predicted == truth, axis=1)
    classes = np.argmax(truth, axis=1)
    per_label = {name: float(correct[classes == k].mean()) for k, name in enumerate(segment.names)
                 if np.any(classes == k)}
    return {"per_label": per_label, "accuracy": float(correct.mean())}


def target_segment(layout: LabelLayout, target) -> Segment:
    """The dataset segment a batch of target labels (one target domain) asks for, read from its mask."""
    if not layout.with_mask:
        return layout.segments[0]
    return layout.segments[int(np.argmax(np.asarray(target)[0, layout.logit_dim:]))]


def asked_positions(segment: Segment, name: str) -> list[int]:
    """Label positions a target domain sets: every hair colour for a hair colour (they exclude each other),
    the attribute itself for another attribute, the whole one-hot segment for a class."""
    if segment.kind != MULTILABEL:
        return list(range(segment.offset, segment.stop))
    hair = hair_color_indices(segment.names)
    index = segment.names.index(name)
    local = hair if index in hair else [index]
    return [segment.offset + i for i in local]


def domain_names(segment: Segment, positions, values) -> list[str]:
    """Name of the domain each row of `values` (labels at `positions`) is in: the names set to 1, else
    'not <name>' (a toggled-off attribute)."""
    names = [segment.names[p - segment.offset] for p in positions]
    result = []
    for row in np.asarray(values):
        on = [name for name, value in zip(names, row) if value > 0.5]
        result.append("+".join(on) if on else "not " + "+".join(names))
    return result


def score_target(layout: LabelLayout, name: str, original, target, logits) -> dict:
    """How a batch translated to one target domain is classified.

    accuracy: fraction of images whose predicted labels equal the target at the positions the domain sets.
    preservation (multi-label targets within the source's own dataset): fraction of the other attributes'
    predictions equal to the source image's original labels.
    """
    original, target = np.asarray(original, np.float32), np.asarray(target, np.float32)
    segment = target_segment(layout, target)
    asked = asked_positions(segment, name)
    predicted = predicted_labels(logits, layout)
    score = {"target": name, "dataset": segment.dataset,
             "accuracy": float(np.all(predicted[:, asked] == target[:, asked], axis=1).mean())}
    same_dataset = not layout.with_mask or np.array_equal(original[:, layout.logit_dim:], target[:, layout.logit_dim:])
    kept = [p for p in range(segment.offset, segment.stop) if p not in asked]
    if segment.kind == MULTILABEL and same_dataset and kept:
        score["preservation"] = float((predicted[:, kept] == original[:, kept]).mean())
    return score


def local_deviation(images, chunk: int = 64) -> np.ndarray:
    """Per pixel [N, H, W], the mean over channels of |image - its 3x3 box blur| in [0, 1] pixel units (images in
    [-1, 1], borders repeated): about 0 on flat colour and linear gradients, large on edges and pixel noise.
    Computed `chunk` images at a time, so a large held-out set needs no full-size temporaries."""
    images = np.asarray(images)
    height, width = images.shape[1:3]
    deviation = np.empty(images.shape[:3], np.float32)
    for start in range(0, len(images), chunk):
        part = images[start:start + chunk].astype(np.float32)
        padded = np.pad(part, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        blurred = sum(padded[:, i:i + height, j:j + width] for i in range(3) for j in range(3)) / 9.0
        deviation[start:start + chunk] = np.abs(part - blurred).mean(axis=3) / 2.0
    return deviation


def flat_pixels(sources, flat: float = 0.01) -> np.ndarray:
    """[N, H, W] mask of the pixels where `sources` are flat (local deviation < `flat`: backgrounds, skin, the inside
    of hair), where a clean translation of them stays flat too."""
    mask = local_deviation(sources) < flat
    if not mask.any():
        raise ValueError(f"speckle: no pixel of the {len(mask)} source images is flat (local deviation < {flat})")
    return mask


def speckle(images, flat_mask) -> float:
    """Pixel noise of translations: the mean local deviation of `images` over their sources' `flat_pixels`, in
    [0, 1] pixel units; `speckle(sources, flat_pixels(sources))` is the real images' own level."""
    return float(local_deviation(images)[flat_mask].mean())


def psd_sqrt(matrix) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues from rounding -> 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance_from_moments(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), the Fréchet distance of two Gaussians.

    tr((S1 S2)^(1/2)) is computed as the trace of the symmetric root of S1^(1/2) S2 S1^(1/2) (same eigenvalues),
    which stays real and needs only numpy.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    root1 = psd_sqrt(sigma1)
    product_eigenvalues = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_root = np.sqrt(np.clip(product_eigenvalues, 0.0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root)


def frechet_distance(features1, features2) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets [N, D] (FID when they are Inception features)."""
    features1, features2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    for name, features in (("features1", features1), ("features2", features2)):
        if features.ndim != 2 or len(features) < 2:
            raise ValueError(f"frechet_distance: {name} must be [N >= 2, D], got shape {list(features.shape)}")
    return frechet_distance_from_moments(features1.mean(0), np.cov(features1, rowvar=False),
                                         features2.mean(0), np.cov(features2, rowvar=False))


def mean_pairwise_distance(outputs, distance) -> np.ndarray:
    """Per image, the mean of distance(outputs[i], outputs[j]) over the M(M-1)/2 pairs i < j of its M outputs:
    the official StarGAN v2 diversity (there with LPIPS as the distance). outputs: a sequence of M per-output
    batches (arrays [N, ...] or whatever `distance` takes); distance(a, b) -> [N]."""
    if len(outputs) < 2:
        raise ValueError(f"mean_pairwise_distance: needs at least 2 outputs per image, got {len(outputs)}")
    pairs = [np.asarray(distance(outputs[i], outputs[j]), np.float64)
             for i, j in itertools.combinations(range(len(outputs)), 2)]
    return np.mean(pairs, axis=0)


def pixel_l1_distance(images1, images2) -> np.ndarray:
    """Mean absolute pixel difference per image [N], in [0, 1] pixel units (images in [-1, 1])."""
    difference = np.abs(np.asarray(images1, np.float64) - np.asarray(images2, np.float64))
    return difference.reshape(len(difference), -1).mean(axis=1) / 2.0


def feature_distance(features1, features2) -> np.ndarray:
    """Euclidean distance per row [N] between unit-normalised feature vectors [N, D] (in [0, 2]; 0 when one is a
    positive multiple of the other)."""
    def unit(features):
        features = np.asarray(features, np.float64)
        return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)

    return np.linalg.norm(unit(features1) - unit(features2), axis=1)

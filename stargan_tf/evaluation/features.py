"""Image features and batching for the evaluation of any family: InceptionV3 pool features (FID) or the domain
classifier's penultimate layer, and running a network over a large set in bounded memory."""
from __future__ import annotations

import os

import numpy as np

from stargan_tf.core.config import ConfigError
from stargan_tf.evaluation import classifier as classifier_lib


def batched(fn, *arrays, batch_size: int = 64) -> np.ndarray:
    """fn applied to consecutive slices of the arrays, outputs concatenated (bounded memory on large test sets)."""
    outputs = [np.asarray(fn(*(a[i:i + batch_size] for a in arrays))) for i in range(0, len(arrays[0]), batch_size)]
    return np.concatenate(outputs)


def inception_features(weights_path: str):
    """Pool features (2048) of InceptionV3 loaded from a local weights file (no download): images in [-1, 1]."""
    import keras
    import tensorflow as tf

    if not os.path.isfile(weights_path):
        raise ConfigError(f"--inception_weights={weights_path}: no such file (InceptionV3 no-top ImageNet weights)")
    network = keras.applications.InceptionV3(include_top=False, weights=weights_path, pooling="avg",
                                             input_shape=(299, 299, 3))
    # InceptionV3 expects [-1, 1] inputs, the range our images already have; only the size changes.
    return lambda images: network(tf.image.resize(images, [299, 299], antialias=True), training=False)


def frechet_features(classifier, inception_weights: str = "") -> tuple:
    """(features(images) -> [N, D], the distance's name, what the features are): InceptionV3 pool features
    ("FID") given a local weights file, else the domain classifier's penultimate layer ("FD-classifier")."""
    if inception_weights:
        return inception_features(inception_weights), "FID", f"InceptionV3 pool ({inception_weights})"
    return classifier_lib.feature_model(classifier), "FD-classifier", "domain classifier penultimate layer"

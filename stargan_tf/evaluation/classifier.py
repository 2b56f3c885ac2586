"""The domain classifier that judges translations: a small CNN trained on real images with the run's label layout.

Its logits are laid out like D's (one segment per dataset: sigmoid attributes for CelebA, softmax classes for
RaFD) and it is trained with the same mask-aware loss, so in a joint run each image only teaches its own
dataset's head. Its penultimate layer ("features") serves the Fréchet distance when no Inception weights are
given. Saved as a Keras model plus a JSON file naming the layout and image size it was trained for.
"""
from __future__ import annotations

import json
import logging
import os

import keras
import numpy as np

from stargan_tf.core.config import ConfigError
from stargan_tf.data.labels import LabelLayout
from stargan_tf.families.stargan import losses

logger = logging.getLogger("stargan_tf")

MODEL_FILE, INFO_FILE = "classifier.keras", "classifier.json"
FEATURES_LAYER = "features"
DEFAULT_CLASSIFIER_STEPS = 2000  # training batches of a classifier trained for an evaluation


def build_classifier(image_size: int, logit_dim: int, width: int = 32, feature_dim: int = 128) -> keras.Model:
    """Images [N, S, S, 3] in [-1, 1] -> logits [N, logit_dim]: a full-resolution conv, stride-2 conv blocks down
    to 4x4, global average pooling, a dense "features" layer and the logits."""
    images = keras.Input((image_size, image_size, 3), name="images")
    h = images
    # The first block keeps full resolution: thin cues (wrinkles, beard strokes) survive to the next layer.
    for i in range(int(np.log2(image_size)) - 1):
        h = keras.layers.Conv2D(min(width * 2 ** i, 256), 3, strides=1 if i == 0 else 2, padding="same",
                                use_bias=False, name=f"conv{i}")(h)
        h = keras.layers.BatchNormalization(name=f"norm{i}")(h)
        h = keras.layers.ReLU()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURES_LAYER)(h)
    logits = keras.layers.Dense(logit_dim, name="logits")(features)
    return keras.Model(images, logits, name="domain_classifier")


def feature_model(classifier: keras.Model) -> keras.Model:
    """The classifier up to its penultimate ("features") layer."""
    return keras.Model(classifier.input, classifier.get_layer(FEATURES_LAYER).output)


def fit_classifier(batches, layout: LabelLayout, image_size: int, steps: int, seed: int,
                   learning_rate: float = 1e-3) -> keras.Model:
    """A new classifier (initial weights from `seed`) fitted to `steps` (images, labels in `layout`) batches."""
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(image_size, layout.logit_dim)
    classifier.compile(optimizer=keras.optimizers.Adam(learning_rate),
                       loss=lambda labels, logits: losses.domain_classification(logits, labels, layout))
    history = classifier.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    logger.info("classifier trained for %d batches, final loss %.4f", steps, history.history["loss"][-1])
    return classifier


def save_classifier(classifier: keras.Model, directory: str, layout: LabelLayout, extra: dict | None = None) -> None:
    """Writes the Keras model and the JSON describing its layout and image size (plus `extra`, e.g. accuracy)."""
    os.makedirs(directory, exist_ok=True)
    # An uncompiled copy: the training loss closes over the layout and cannot be serialized.
    uncompiled = keras.Model.from_config(classifier.get_config())
    uncompiled.set_weights(classifier.get_weights())
    uncompiled.save(os.path.join(directory, MODEL_FILE))
    info = {"layout": layout.to_json(), "image_size": int(classifier.input_shape[1]), **(extra or {})}
    path = os.path.join(directory, INFO_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def has_classifier(directory: str) -> bool:
    return all(os.path.isfile(os.path.join(directory, name)) for name in (MODEL_FILE, INFO_FILE))


def load_classifier(directory: str, layout: LabelLayout, image_size: int) -> keras.Model:
    """Loads a saved classifier, refusing one trained for another label layout or image size."""
    if not has_classifier(directory):
        raise ConfigError(f"--classifier_dir={directory} holds no {MODEL_FILE} and {INFO_FILE}: "
                          "train one with scripts/train_classifier.py")
    with open(os.path.join(directory, INFO_FILE)) as f:
        info = json.load(f)
    expected = json.loads(json.dumps(layout.to_json()))
    if info["layout"] != expected or info["image_size"] != image_size:
        raise ConfigError(f"{os.path.join(directory, INFO_FILE)}: the classifier was trained for labels "
                          f"{_label_names(info['layout'])} at {info['image_size']}px, the model uses "
                          f"{_label_names(expected)} at {image_size}px")
    return keras.models.load_model(os.path.join(directory, MODEL_FILE), compile=False)


def _label_names(layout_json: dict) -> list[str]:
    return [name for segment in layout_json["segments"] for name in segment["names"]]


def ensure_classifier(directory: str, layout: LabelLayout, image_size: int, train):
    """The classifier saved in `directory`, trained there first by train() -> keras.Model when there is none."""
    if not has_classifier(directory):
        logger.info("no classifier in %s: training one on the run's real training images", directory)
        save_classifier(train(), directory, layout)
    return load_classifier(directory, layout, image_size)

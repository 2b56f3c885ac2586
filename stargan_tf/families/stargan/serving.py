"""Serving a StarGAN: its SavedModel signatures (translate, labels, classify), TFLite signature and parity inputs.

The SavedModel writing, TFLite conversion and parity checks are stargan_tf.core.export's; this module says what
is StarGAN's: G behind label-vector signatures, the label description a client reads, the inputs to compare on.
"""
from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.core import faces
from stargan_tf.core.export import (SQUARE, constants, encoded_photos, png_bytes, require_same_batch, require_shape,
                                    run_per_example, served_images, served_photo_bytes, served_photos,
                                    tflite_signature, to_uint8)
from stargan_tf.data.labels import LabelLayout, sample_targets
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.families.stargan.data import load_run_data
from stargan_tf.families.stargan.label_checks import check_labels, require_valid_labels

TFLITE_SIGNATURE = "translate"


def label_description(layout: LabelLayout, image_size: int, crop_size: int) -> dict:
    """What a client needs to build label vectors without our code: every position's name, dataset and kind.

    kind is 'multilabel' (independent 0/1 attributes), 'onehot' (exactly one of the dataset's classes) or
    'mask' (joint models: one-hot, set at the position of the dataset whose labels are given). alignment (JSON)
    says how to align a photo's face before cropping (faces.alignment_description).
    """
    datasets, kinds = [], []
    for segment in layout.segments:
        datasets += [segment.dataset] * segment.size
        kinds += [segment.kind] * segment.size
    if layout.with_mask:
        datasets += [segment.dataset for segment in layout.segments]
        kinds += ["mask"] * len(layout.segments)
    return {"names": layout.names, "datasets": datasets, "kinds": kinds, "layout": json.dumps(layout.to_json()),
            "image_size": image_size, "crop_size": crop_size,
            "alignment": json.dumps(faces.alignment_description(image_size, crop_size))}


def example_target(layout: LabelLayout) -> np.ndarray:
    """A valid target label vector [1, C] (the first sample domain of the first dataset), for examples."""
    first = layout.segments[0].dataset
    return sample_targets(layout, first, np.zeros([1, layout.label_dim], np.float32))[0][1]


@dataclasses.dataclass(frozen=True)
class ServingModel:
    """A generator with what serving it needs; its methods are the SavedModel's signatures.

    classifier, when given, is a StarGAN discriminator D(images) -> (src, domain logits): its domain logits
    (D_cls) let clients predict a photo's own labels, to edit some attributes and keep the others.
    """

    generator: keras.Model
    layout: LabelLayout
    image_size: int
    crop_size: int = SQUARE
    classifier: keras.Model | None = None

    file_prefix: ClassVar[str] = "stargan"  # TFLite files: <file_prefix>_<variant>.tflite
    description_file: ClassVar[str] = "labels.json"  # beside them: description()
    float_signatures: ClassVar[dict] = {TFLITE_SIGNATURE: "translate_float"}  # TFLite signature: its float twin

    @property
    def tracked(self) -> list:
        """The networks whose weights the SavedModel holds."""
        return [self.generator] + ([self.classifier] if self.classifier is not None else [])

    def _photos(self, image):
        return served_photos(image, "image", self.crop_size, self.image_size)

    def _target_labels(self, target_labels):
        """target_labels checked: their shape, then their values (label_checks)."""
        target_labels = require_shape(target_labels, "target_labels", [None, self.layout.label_dim],
                                      f"float32 label vectors: {', '.join(self.layout.names)}")
        return require_valid_labels(target_labels, self.layout)

    def _generate(self, x_real, target_labels, image_name: str = "image"):
        """G on model inputs [N,S,S,3] and checked target labels, failing unless their batch sizes match."""
        target_labels = self._target_labels(target_labels)
        x_real = require_same_batch({image_name: x_real, "target_labels": target_labels})
        return self.generator(x_real, target_labels)

    def translate(self, image, target_labels):
        """serving_default: uint8 photos [N,H,W,3] of any size -> {"translated": uint8 [N,S,S,3]}."""
        return {"translated": to_uint8(self._generate(self._photos(image), target_labels))}

    def translate_float(self, image, target_labels):
        """translate_float: float32 [N,S,S,3] in [-1,1], preprocessed by the client -> float32 [-1,1]."""
        x_real = served_images(image, "image", self.image_size)
        return {"translated": tf.cast(self._generate(x_real, target_labels), tf.float32)}

    def translate_bytes(self, image_bytes, target_labels):
        """translate_bytes: encoded photos string [N] (JPEG, PNG, ...; REST: {"b64": ...}) -> {"translated_bytes":
        string [N] of PNG files at S x S}, the images serving_default gives, without pixel JSON either way."""
        x_real = served_photo_bytes(image_bytes, "image_bytes", self.crop_size, self.image_size)
        return {"translated_bytes": png_bytes(to_uint8(self._generate(x_real, target_labels, "image_bytes")))}

    def classify(self, image):
        """classify: uint8 photos [N,H,W,3] -> {"logits": D_cls logits [N, logit_dim]} (sigmoid/softmax per dataset)."""
        return {"logits": self.classifier(self._photos(image))[1]}

    def description(self) -> dict:
        """What a client needs without our code (label_description): the labels signature and labels.json."""
        return label_description(self.layout, self.image_size, self.crop_size)

    def labels(self):
        """labels: no input -> the label layout (see label_description)."""
        return constants(self.description())

    def endpoints(self) -> dict:
        """{signature name: (function, input signature)}."""
        size, label_dim = self.image_size, self.layout.label_dim
        labels_spec = tf.TensorSpec([None, label_dim], tf.float32, name="target_labels")
        photos_spec = tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")
        endpoints = {
            "serving_default": (self.translate, [photos_spec, labels_spec]),
            "translate_float": (self.translate_float,
                                [tf.TensorSpec([None, size, size, 3], tf.float32, name="image"), labels_spec]),
            "translate_bytes": (self.translate_bytes, [tf.TensorSpec([None], tf.string, name="image_bytes"),
                                                       labels_spec]),
            "labels": (self.labels, []),
        }
        if self.classifier is not None:
            endpoints["classify"] = (self.classify, [photos_spec])
        return endpoints

    def tflite_endpoints(self) -> dict:
        """{TFLite signature: (function, input signature at batch 1)}: G on float32 images in [-1,1]."""
        return {TFLITE_SIGNATURE: (lambda image, target_labels: {"translated": self.generator(image, target_labels)},
                                   [tf.TensorSpec([1, self.image_size, self.image_size, 3], tf.float32, name="image"),
                                    tf.TensorSpec([1, self.layout.label_dim], tf.float32, name="target_labels")])}

    def warmup_inputs(self) -> dict:
        """{signature name: inputs} of one small request per translating signature, for TF Serving warm-up."""
        size, target = self.image_size, example_target(self.layout)
        photo = np.full([1, size, size, 3], 128, np.uint8)
        return {"serving_default": {"image": photo, "target_labels": target},
                "translate_float": {"image": np.zeros([1, size, size, 3], np.float32), "target_labels": target},
                "translate_bytes": {"image_bytes": encoded_photos(photo), "target_labels": target}}

    def parity_feeds(self, parity_inputs) -> dict:
        """{TFLite signature: inputs} from (images float32 [N,S,S,3] in [-1,1], target labels [N,C])."""
        images, targets = parity_inputs
        return {TFLITE_SIGNATURE: {"image": np.asarray(images, np.float32),
                                   "target_labels": np.asarray(targets, np.float32)}}

    def representative_dataset(self, calibration):
        """The converter's calibration samples from an iterable of (image [S,S,3], target [C]) pairs."""
        pairs = [(np.asarray(image, np.float32), np.asarray(target, np.float32)) for image, target in calibration]
        return lambda: ({"image": image[None], "target_labels": target[None]} for image, target in pairs)

    def example_inputs(self, count: int):
        """Seeded noise images with the example target: parity inputs when the run's data is not available."""
        size = self.image_size
        images = np.random.default_rng(0).uniform(-1, 1, [count, size, size, 3]).astype(np.float32)
        return images, np.repeat(example_target(self.layout), count, axis=0)


class TFLiteTranslator:
    """Runs a TFLite model from tflite_model one image at a time (its shapes are fixed at batch 1), checking target
    labels against the model's layout first (labels.json beside the file holds it): the TFLite model cannot."""

    def __init__(self, model_content: bytes, layout: LabelLayout, num_threads: int | None = None):
        self.run = tflite_signature(model_content, TFLITE_SIGNATURE, num_threads)
        self.layout = layout

    def __call__(self, images, target_labels) -> np.ndarray:
        """float32 [N,S,S,3] in [-1,1] and [N,C] -> float32 [N,S,S,3]; ValueError naming target_labels when they are
        not valid label vectors (label_checks)."""
        target_labels = np.asarray(target_labels, np.float32)
        check_labels(target_labels, self.layout)
        return run_per_example(self.run, image=np.asarray(images, np.float32), target_labels=target_labels)


def sample_inputs(config: StarGANConfig, layout: LabelLayout, count: int, split: str = "test"):
    """(images float32 [N,S,S,3], target labels [N,C]) from the run's data: for calibration and parity checks.

    Images are taken from each dataset in turn; each gets one of the sample target domains, in rotation.
    """
    data = load_run_data(config, verify_images=False)
    per_dataset = -(-count // len(data.splits))
    all_images, all_targets = [], []
    for dataset in data.splits:
        images, labels = data.fixed_batch(dataset, per_dataset, config.image_size, split)
        targets = [target for _, target in sample_targets(layout, dataset, labels)]
        all_images.append(images)
        all_targets.append(np.stack([targets[i % len(targets)][i] for i in range(len(images))]))
    return np.concatenate(all_images)[:count], np.concatenate(all_targets)[:count]

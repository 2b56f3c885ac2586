"""Serving exports of a trained generator: a SavedModel with TF Serving signatures, TFLite variants, parity.

Works for any generator G(images [N,S,S,3] in [-1,1], labels [N,C]) -> [N,S,S,3] in [-1,1] (the paper's,
variants, imported weights) given its label layout and image size. SavedModels are written with Keras'
ExportArchive: `tf.saved_model.save` on a Keras 3 model gives SavedModels that TF Serving's session-based
loader cannot run and that the TFLite converter turns into all-NaN models.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.config import ConfigError, StarGANConfig
from stargan_tf.data import pipeline
from stargan_tf.data.sources import load_run_data
from stargan_tf.labels import LabelLayout, sample_targets
from stargan_tf.training import RUN_FILE, build_model, checkpoint_manager, read_run_config

logger = logging.getLogger("stargan_tf")

SAVED_MODEL = "saved_model"
TFLITE_VARIANTS = ("float32", "float16", "int8_dynamic", "int8")
FORMATS = (SAVED_MODEL,) + tuple(f"tflite_{variant}" for variant in TFLITE_VARIANTS)
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
TFLITE_SIGNATURE = "translate"
SQUARE = 0  # crop_size meaning "the largest centered square" of whatever size the photo has


def crop_and_resize(image, crop_size: int, image_size: int):
    """uint8 [N,H,W,3] -> float32 [N,S,S,3] in [-1,1] as in training: center crop, antialiased resize.

    crop_size SQUARE (0) crops the largest centered square, which is exactly the training crop for aligned
    CelebA (178x218 -> 178) and for RaFD-style square face crops, and keeps the whole face of a photo of any
    size; a positive crop_size crops (or pads to) that many pixels like the training pipeline.
    """
    if crop_size == SQUARE:
        crop_size = tf.minimum(tf.shape(image)[-3], tf.shape(image)[-2])
    return pipeline.preprocess(image, crop_size, image_size)


def to_uint8(images):
    """[-1, 1] float images -> uint8 [0, 255], in the graph."""
    return tf.saturate_cast(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), tf.uint8)


def _require_shape(tensor, name: str, expected: list, meaning: str):
    """`tensor`, failing at run time with a message naming it when its shape is not `expected` (None: any size).

    TF Serving and signature calls do not check shapes against the signature, so a wrong label width would
    otherwise fail deep inside G's first convolution with a message about filter depths.
    """
    shape = tf.shape(tensor)
    padded = tf.concat([shape, tf.zeros([len(expected)], tf.int32)], 0)[:len(expected)]
    matches = [tf.equal(tf.size(shape), len(expected))]
    matches += [tf.equal(padded[axis], size) for axis, size in enumerate(expected) if size is not None]
    text = "[" + ", ".join("N" if axis == 0 and size is None else "*" if size is None else str(size)
                           for axis, size in enumerate(expected)) + "]"
    check = tf.debugging.Assert(tf.reduce_all(tf.stack(matches)),
                                [f"{name}: expected shape {text} ({meaning}); got shape", shape], summarize=8)
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def _require_same_batch(image, target_labels):
    check = tf.debugging.assert_equal(tf.shape(image)[0], tf.shape(target_labels)[0],
                                      message="image and target_labels must have the same batch size N")
    with tf.control_dependencies([check]):
        return tf.identity(image)


def label_description(layout: LabelLayout, image_size: int, crop_size: int) -> dict:
    """What a client needs to build label vectors without our code: every position's name, dataset and kind.

    kind is 'multilabel' (independent 0/1 attributes), 'onehot' (exactly one of the dataset's classes) or
    'mask' (joint models: one-hot, set at the position of the dataset whose labels are given).
    """
    datasets, kinds = [], []
    for segment in layout.segments:
        datasets += [segment.dataset] * segment.size
        kinds += [segment.kind] * segment.size
    if layout.with_mask:
        datasets += [segment.dataset for segment in layout.segments]
        kinds += ["mask"] * len(layout.segments)
    return {"names": layout.names, "datasets": datasets, "kinds": kinds, "layout": json.dumps(layout.to_json()),
            "image_size": image_size, "crop_size": crop_size}


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

    def _photos(self, image):
        image = _require_shape(image, "image", [None, None, None, 3], "uint8 RGB photos of any height and width")
        return crop_and_resize(image, self.crop_size, self.image_size)

    def _target_labels(self, target_labels):
        return _require_shape(target_labels, "target_labels", [None, self.layout.label_dim],
                              f"float32 label vectors: {', '.join(self.layout.names)}")

    def translate(self, image, target_labels):
        """serving_default: uint8 photos [N,H,W,3] of any size -> {"translated": uint8 [N,S,S,3]}."""
        x_real = self._photos(image)
        target_labels = self._target_labels(target_labels)
        x_real = _require_same_batch(x_real, target_labels)
        return {"translated": to_uint8(self.generator(x_real, target_labels))}

    def translate_float(self, image, target_labels):
        """translate_float: float32 [N,S,S,3] in [-1,1], preprocessed by the client -> float32 [-1,1]."""
        size = self.image_size
        x_real = _require_shape(image, "image", [None, size, size, 3], "float32 RGB in [-1, 1] at the model size")
        target_labels = self._target_labels(target_labels)
        x_real = _require_same_batch(x_real, target_labels)
        return {"translated": tf.cast(self.generator(x_real, target_labels), tf.float32)}

    def classify(self, image):
        """classify: uint8 photos [N,H,W,3] -> {"logits": D_cls logits [N, logit_dim]} (sigmoid/softmax per dataset)."""
        return {"logits": self.classifier(self._photos(image))[1]}

    def labels(self):
        """labels: no input -> the label layout (see label_description)."""
        return {name: tf.constant(value)
                for name, value in label_description(self.layout, self.image_size, self.crop_size).items()}

    def endpoints(self) -> dict:
        """{signature name: (function, input signature)}."""
        size, label_dim = self.image_size, self.layout.label_dim
        labels_spec = tf.TensorSpec([None, label_dim], tf.float32, name="target_labels")
        photos_spec = tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")
        endpoints = {
            "serving_default": (self.translate, [photos_spec, labels_spec]),
            "translate_float": (self.translate_float,
                                [tf.TensorSpec([None, size, size, 3], tf.float32, name="image"), labels_spec]),
            "labels": (self.labels, []),
        }
        if self.classifier is not None:
            endpoints["classify"] = (self.classify, [photos_spec])
        return endpoints


def load_checkpoint(directory: str, crop_size: int = SQUARE,
                    with_classifier: bool = True) -> tuple[ServingModel, StarGANConfig]:
    """The generator (and discriminator as classifier) of a training run's latest checkpoint, with its config."""
    config = read_run_config(directory)
    with open(os.path.join(directory, RUN_FILE)) as f:
        layout = LabelLayout.from_json(json.load(f)["layout"])
    latest = tf.train.latest_checkpoint(directory)
    if latest is None:
        raise ConfigError(f"{directory} has {RUN_FILE} but no checkpoint (ckpt-*.index)")
    # The checkpoint's own structure (optimizers included): G's layers held in lists are reachable in the
    # checkpoint only through the optimizers' references to their variables.
    model = build_model(config, layout)
    checkpoint_manager(model, directory, 1).checkpoint.restore(latest).assert_existing_objects_matched()
    logger.info("restored %s", latest)
    classifier = model.discriminator if with_classifier else None
    return ServingModel(model.generator, layout, config.image_size, crop_size, classifier), config


def _write_archive(endpoints: dict, tracked, path: str) -> None:
    archive = keras.export.ExportArchive()
    for model in tracked:
        archive.track(model)
    for name, (function, input_signature) in endpoints.items():
        archive.add_endpoint(name, function, input_signature=input_signature)
    archive.write_out(path, verbose=False)


def export_saved_model(model: ServingModel, path: str, overwrite: bool = False, warmup: bool = True) -> str:
    """Writes the SavedModel to path (e.g. exported/<name>/<version>); returns path.

    It is written beside path first and moved into place at the end, so TF Serving (which watches the
    numbered version folders) never sees half a model, and a crash leaves an existing version intact.
    """
    path = os.path.normpath(path)
    if os.path.exists(path) and not overwrite:
        raise ConfigError(f"{path} already exists: choose another version or overwrite it")
    staging = path + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tracked = [model.generator] + ([model.classifier] if model.classifier is not None else [])
    _write_archive(model.endpoints(), tracked, staging)
    if warmup:
        write_warmup_requests(staging, model)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(staging, path)
    return path


def warmup_inputs(model: ServingModel) -> dict:
    """{signature name: inputs} of one small request per translating signature, for TF Serving warm-up."""
    size, target = model.image_size, example_target(model.layout)
    return {"serving_default": {"image": np.full([1, size, size, 3], 128, np.uint8), "target_labels": target},
            "translate_float": {"image": np.zeros([1, size, size, 3], np.float32), "target_labels": target}}


def write_warmup_requests(saved_model_dir: str, model: ServingModel) -> str | None:
    """Writes assets.extra/tf_serving_warmup_requests (PredictionLog records) so TF Serving traces on load.

    Needs the tensorflow-serving-api package (`pip install stargan_tf[serving]`); without it, warns and
    returns None.
    """
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError:
        logger.warning("tensorflow-serving-api is not installed: no TF Serving warm-up requests written")
        return None
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in warmup_inputs(model).items():
            request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(signature_name=signature))
            for name, value in inputs.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def tflite_model(model: ServingModel, variant: str, calibration=None) -> bytes:
    """A TFLite flatbuffer of G with fixed shapes: image [1,S,S,3] float32 in [-1,1], target_labels [1,C].

    Converted from a SavedModel of that one signature (named 'translate'). Variants: float32; float16
    (weights); int8_dynamic (int8 weights, activations quantized at run time); int8 (weights and
    activations, ranges calibrated on `calibration`, an iterable of (image [S,S,3], target [C]) pairs;
    input and output stay float32).
    """
    if variant not in TFLITE_VARIANTS:
        raise ValueError(f"TFLite variant {variant!r}: expected one of {', '.join(TFLITE_VARIANTS)}")
    if variant == "int8" and calibration is None:
        raise ValueError("the int8 TFLite variant needs calibration images")
    size, label_dim = model.image_size, model.layout.label_dim
    endpoint = (lambda image, target_labels: {"translated": model.generator(image, target_labels)},
                [tf.TensorSpec([1, size, size, 3], tf.float32, name="image"),
                 tf.TensorSpec([1, label_dim], tf.float32, name="target_labels")])
    with tempfile.TemporaryDirectory() as directory:
        _write_archive({TFLITE_SIGNATURE: endpoint}, [model.generator], directory)
        converter = tf.lite.TFLiteConverter.from_saved_model(directory, signature_keys=[TFLITE_SIGNATURE])
        if variant != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if variant == "float16":
            converter.target_spec.supported_types = [tf.float16]
        if variant == "int8":
            pairs = [(np.asarray(image, np.float32), np.asarray(target, np.float32)) for image, target in calibration]
            converter.representative_dataset = lambda: ({"image": image[None], "target_labels": target[None]}
                                                        for image, target in pairs)
        return converter.convert()


def _interpreter_class():
    """LiteRT's interpreter (the runtime phones use), or TensorFlow's while it still ships one."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = tf.lite.Interpreter
    return Interpreter


class TFLiteTranslator:
    """Runs a TFLite model from tflite_model one image at a time (its shapes are fixed at batch 1)."""

    def __init__(self, model_content: bytes, num_threads: int | None = None):
        interpreter = _interpreter_class()(model_content=model_content, num_threads=num_threads)
        self.run = interpreter.get_signature_runner(TFLITE_SIGNATURE)

    def __call__(self, images, target_labels) -> np.ndarray:
        """float32 [N,S,S,3] in [-1,1] and [N,C] -> float32 [N,S,S,3]."""
        return np.concatenate([self.run(image=np.asarray(image, np.float32)[None],
                                        target_labels=np.asarray(target, np.float32)[None])["translated"]
                               for image, target in zip(images, target_labels)])


def parity(reference, outputs) -> dict:
    """Max absolute difference and PSNR (dB, images in [-1,1]: peak-to-peak 2) of outputs against reference."""
    difference = np.asarray(outputs, np.float64) - np.asarray(reference, np.float64)
    mse = float(np.mean(difference ** 2))
    return {"max_abs_diff": float(np.max(np.abs(difference))),
            "psnr_db": float(10 * np.log10(4.0 / mse)) if mse > 0 else float("inf")}


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


def directory_size(path: str) -> int:
    """Bytes of a file, or of all files under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def export_formats(model: ServingModel, export_dir: str, version: int, formats, parity_inputs,
                   calibration=None, overwrite: bool = False) -> dict:
    """Writes each format and checks it against the Keras generator; returns {format: path, size, parity}.

    Layout (TF Serving watches only the numbered folders): <export_dir>/<version>/ the SavedModel,
    <export_dir>/tflite/<version>/stargan_<variant>.tflite with labels.json beside them.
    parity_inputs: (images float32 [N,S,S,3] in [-1,1], target labels [N,C]).
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ConfigError(f"--formats: unknown {', '.join(unknown)}; expected some of {', '.join(FORMATS)}")
    tflite_dir = os.path.join(export_dir, "tflite", str(version))
    paths = {name: os.path.join(export_dir, str(version)) if name == SAVED_MODEL
             else os.path.join(tflite_dir, f"stargan_{name[len('tflite_'):]}.tflite")
             for name in FORMATS if name in formats}
    existing = [path for path in paths.values() if os.path.exists(path)]
    if existing and not overwrite:
        raise ConfigError(f"{', '.join(existing)} already exist(s): choose another --version or pass --overwrite")
    images, targets = parity_inputs
    reference = model.generator(images, targets).numpy()
    results = {}
    for name, path in paths.items():
        if name == SAVED_MODEL:
            export_saved_model(model, path, overwrite)
            outputs = tf.saved_model.load(path).signatures["translate_float"](
                image=tf.constant(images), target_labels=tf.constant(targets))["translated"]
            size = directory_size(path)
        else:
            content = tflite_model(model, name[len("tflite_"):], calibration)
            os.makedirs(tflite_dir, exist_ok=True)
            with open(path + ".partial", "wb") as f:
                f.write(content)
            os.replace(path + ".partial", path)
            with open(os.path.join(tflite_dir, "labels.json"), "w") as f:
                json.dump(label_description(model.layout, model.image_size, model.crop_size), f, indent=2)
            outputs, size = TFLiteTranslator(content)(images, targets), len(content)
        results[name] = {"path": path, "size_bytes": size, **parity(reference, outputs)}
    return results

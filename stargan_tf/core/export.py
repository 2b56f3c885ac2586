"""Serving exports of any family's model: a SavedModel with TF Serving signatures, TFLite variants, parity.

SavedModels are written with Keras' ExportArchive: `tf.saved_model.save` on a Keras 3 model gives SavedModels
that TF Serving's session-based loader cannot run and that the TFLite converter turns into all-NaN models.

The writing, conversion and parity functions take a family's serving model (families/<name>/serving.py), which
provides: endpoints() {signature: (function, input specs)}, tracked (networks whose weights are saved),
tflite_endpoints(), float_signatures {TFLite signature: its SavedModel float twin}, warmup_inputs(),
parity_feeds(inputs), representative_dataset(calibration), example_inputs(count), description(),
description_file and file_prefix.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.core.config import ConfigError
from stargan_tf.data import pipeline
from stargan_tf.data.pipeline import SQUARE  # noqa: F401 (export.SQUARE: the crop_size of served photos)

logger = logging.getLogger("stargan_tf")

SAVED_MODEL = "saved_model"
TFLITE_VARIANTS = ("float32", "float16", "int8_dynamic", "int8")
FORMATS = (SAVED_MODEL,) + tuple(f"tflite_{variant}" for variant in TFLITE_VARIANTS)
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def crop_and_resize(image, crop_size: int, image_size: int):
    """uint8 [N,H,W,3] -> float32 [N,S,S,3] in [-1,1] as in training: center crop, antialiased resize.

    crop_size SQUARE (0) crops the largest centered square, which is exactly the training crop for aligned
    CelebA (178x218 -> 178) and for RaFD-style square face crops, and keeps the whole face of a photo of any
    size; a positive crop_size crops (or pads to) that many pixels like the training pipeline.
    """
    return pipeline.preprocess(image, crop_size, image_size)


def to_uint8(images):
    """[-1, 1] float images -> uint8 [0, 255], in the graph."""
    return tf.saturate_cast(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), tf.uint8)


def require_shape(tensor, name: str, expected: list, meaning: str):
    """`tensor`, failing at run time with a message naming it when its shape is not `expected` (None: any size; a
    None first axis is the batch N, which must not be empty).

    TF Serving and signature calls do not check shapes against the signature, so a wrong label width would
    otherwise fail deep inside G's first convolution with a message about filter depths.
    """
    shape = tf.shape(tensor)
    padded = tf.concat([shape, tf.zeros([len(expected)], tf.int32)], 0)[:len(expected)]
    matches = [tf.equal(tf.size(shape), len(expected))]
    matches += [tf.equal(padded[axis], size) for axis, size in enumerate(expected) if size is not None]
    text = "[" + ", ".join("N" if axis == 0 and size is None else "*" if size is None else str(size)
                           for axis, size in enumerate(expected)) + "]"
    checks = [tf.debugging.Assert(tf.reduce_all(tf.stack(matches)),
                                  [f"{name}: expected shape {text} ({meaning}); got shape", shape], summarize=8)]
    if expected and expected[0] is None:
        checks.append(tf.debugging.Assert((tf.size(shape) != len(expected)) | (padded[0] > 0),
                                          [empty_batch_message(name)]))
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def empty_batch_message(name: str) -> str:
    """What an input of no examples is told, in the graph and before a TFLite model runs."""
    return f"{name}: expected at least one example; got an empty batch (N=0)"


def require_same_batch(named: dict):
    """The first of the named tensors, failing at run time unless all of them have the same batch size N."""
    names, tensors = list(named), list(named.values())
    message = f"{', '.join(names[:-1])} and {names[-1]} must have the same batch size N"
    checks = [tf.debugging.assert_equal(tf.shape(tensors[0])[0], tf.shape(tensor)[0], message=message)
              for tensor in tensors[1:]]
    with tf.control_dependencies(checks):
        return tf.identity(tensors[0])


def served_photos(image, name: str, crop_size: int, image_size: int):
    """uint8 photos [N,H,W,3] of any size, checked (errors name the input), as model inputs [N,S,S,3] in [-1,1]."""
    image = require_shape(image, name, [None, None, None, 3], "uint8 RGB photos of any height and width")
    return crop_and_resize(image, crop_size, image_size)


# tf.io.decode_image's formats by their first bytes, (offset, signature): JPEG, PNG, GIF, BMP, WebP ("RIFF....WEBP"),
# JPEG XL (codestream, container). Checked before decoding, so that bytes that are no photo at all fail with a
# message naming the input rather than deep inside the decoder.
PHOTO_SIGNATURES = ((0, b"\xff\xd8\xff"), (0, b"\x89PNG"), (0, b"GIF8"), (0, b"BM"), (8, b"WEBP"), (0, b"\xff\x0a"),
                    (4, b"JXL "))
PHOTO_FORMATS = "JPEG, PNG, GIF, BMP, WebP or JPEG XL"


def served_photo_bytes(image_bytes, name: str, crop_size: int, image_size: int):
    """Encoded photos string [N] (one photo file per example, sizes free) as model inputs [N,S,S,3] in [-1,1]:
    each decoded to RGB (alpha dropped, GIF: first frame), cropped and resized as served_photos does. Errors name
    the input: the examples that are no photo, or (corrupt data past the first bytes) the decoder under `name`."""
    image_bytes = require_shape(image_bytes, name, [None], "one encoded photo per example")
    head = tf.strings.join([tf.strings.substr(image_bytes, 0, 12), b"\0" * 12])  # long enough to compare
    known = tf.reduce_any(tf.stack([tf.equal(tf.strings.substr(head, offset, len(signature)), signature)
                                    for offset, signature in PHOTO_SIGNATURES]), axis=0)
    check = tf.debugging.Assert(tf.reduce_all(known), [
        f"{name}: expected one encoded photo per example ({PHOTO_FORMATS} file bytes; REST: {{\"b64\": ...}}); "
        "not a photo: example(s)", tf.where(~known)[:, 0]], summarize=16)
    with tf.control_dependencies([check]):
        image_bytes = tf.identity(image_bytes)

    def decode(data):
        photo = tf.io.decode_image(data, channels=3, expand_animations=False)
        return crop_and_resize(photo[None], crop_size, image_size)[0]

    with tf.name_scope(name):
        return tf.map_fn(decode, image_bytes,
                         fn_output_signature=tf.TensorSpec([image_size, image_size, 3], tf.float32))


def png_bytes(images):
    """uint8 images [N,H,W,3] -> string [N], a PNG file each: the output of a *_bytes signature (TF Serving's REST
    API sends outputs whose names end in _bytes as {"b64": ...})."""
    return tf.map_fn(tf.io.encode_png, images, fn_output_signature=tf.string)


def encoded_photos(photos) -> np.ndarray:
    """uint8 photos [N,H,W,3] as PNG files, an object array [N]: image_bytes inputs for requests (warm-up, tests)."""
    return np.array([tf.io.encode_png(photo).numpy() for photo in photos], dtype=object)


def served_images(image, name: str, image_size: int):
    """float32 images [N,S,S,3] in [-1,1] preprocessed by the client, checked against the model size."""
    return require_shape(image, name, [None, image_size, image_size, 3], "float32 RGB in [-1, 1] at the model size")


def constants(description: dict) -> dict:
    """A description's values as graph constants: the outputs of an information signature (labels, info)."""
    return {name: tf.constant(value) for name, value in description.items()}


def _write_archive(endpoints: dict, tracked, path: str) -> None:
    archive = keras.export.ExportArchive()
    for model in tracked:
        archive.track(model)
    for name, (function, input_signature) in endpoints.items():
        archive.add_endpoint(name, function, input_signature=input_signature)
    archive.write_out(path, verbose=False)


def export_saved_model(model, path: str, overwrite: bool = False, warmup: bool = True) -> str:
    """Writes the SavedModel of a serving model to path (e.g. exported/<name>/<version>); returns path.

    It is written beside path first and moved into place at the end, so TF Serving (which watches the
    numbered version folders) never sees half a model, and a crash leaves an existing version intact.
    """
    path = os.path.normpath(path)
    if os.path.exists(path) and not overwrite:
        raise ConfigError(f"{path} already exists: choose another version or overwrite it")
    staging = path + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    _write_archive(model.endpoints(), model.tracked, staging)
    if warmup:
        write_warmup_requests(staging, model)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(staging, path)
    return path


def write_warmup_requests(saved_model_dir: str, model) -> str | None:
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
        for signature, inputs in model.warmup_inputs().items():
            request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(signature_name=signature))
            for name, value in inputs.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


@contextlib.contextmanager
def tflite_source(model):
    """A temporary SavedModel of just the model's TFLite signatures: what the converter reads."""
    with tempfile.TemporaryDirectory() as directory:
        _write_archive(model.tflite_endpoints(), model.tracked, directory)
        yield directory


def tflite_model(model, variant: str, calibration=None, source: str | None = None) -> bytes:
    """A TFLite flatbuffer of a serving model's tflite_endpoints (fixed shapes, float32 images in [-1,1]).

    Converted from `source` (tflite_source; written here when not given).
    Variants: float32; float16 (weights); int8_dynamic (int8 weights, activations quantized at run time); int8
    (weights and activations, ranges calibrated on `calibration`, see the model's representative_dataset;
    inputs and outputs stay float32).
    """
    if variant not in TFLITE_VARIANTS:
        raise ValueError(f"TFLite variant {variant!r}: expected one of {', '.join(TFLITE_VARIANTS)}")
    if variant == "int8" and calibration is None:
        raise ValueError("the int8 TFLite variant needs calibration images")
    if source is None:
        with tflite_source(model) as source:
            return tflite_model(model, variant, calibration, source)
    converter = tf.lite.TFLiteConverter.from_saved_model(source, signature_keys=list(model.tflite_endpoints()))
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if variant == "int8":
        converter.representative_dataset = model.representative_dataset(calibration)
    return converter.convert()


def _interpreter_class():
    """LiteRT's interpreter (the runtime phones use), or TensorFlow's while it still ships one."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = tf.lite.Interpreter
    return Interpreter


def tflite_signature(model_content: bytes, signature: str, num_threads: int | None = None):
    """The runner of one signature of a TFLite model."""
    return _interpreter_class()(model_content=model_content, num_threads=num_threads).get_signature_runner(signature)


def run_per_example(runner, **inputs) -> np.ndarray:
    """Runs a TFLite signature (shapes fixed at batch 1) on each row of the batched inputs: 'translated' [N,...]."""
    name, first = next(iter(inputs.items()))
    count = len(first)
    if count == 0:
        raise ValueError(empty_batch_message(name))
    return np.concatenate([runner(**{name: value[i:i + 1] for name, value in inputs.items()})["translated"]
                           for i in range(count)])


def parity(reference, outputs) -> dict:
    """Max absolute difference and PSNR (dB, images in [-1,1]: peak-to-peak 2) of outputs against reference."""
    difference = np.asarray(outputs, np.float64) - np.asarray(reference, np.float64)
    mse = float(np.mean(difference ** 2))
    return {"max_abs_diff": float(np.max(np.abs(difference))),
            "psnr_db": float(10 * np.log10(4.0 / mse)) if mse > 0 else float("inf")}


def directory_size(path: str) -> int:
    """Bytes of a file, or of all files under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def _parity_results(reference: dict, outputs: dict) -> dict:
    """Parity over every signature's outputs together, and per signature when the model has several."""
    def joined(arrays):
        return np.concatenate([np.asarray(arrays[name], np.float32) for name in reference])

    result = parity(joined(reference), joined(outputs))
    if len(reference) > 1:
        result["signatures"] = {name: parity(reference[name], outputs[name]) for name in reference}
    return result


def _write_tflite(model, content: bytes, path: str) -> None:
    """Writes a TFLite file (whole or not at all) and the model's description file beside it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".partial", "wb") as f:
        f.write(content)
    os.replace(path + ".partial", path)
    with open(os.path.join(os.path.dirname(path), model.description_file), "w") as f:
        json.dump(model.description(), f, indent=2)


def export_formats(model, export_dir: str, version: int, formats, parity_inputs, calibration=None,
                   overwrite: bool = False) -> dict:
    """Writes each format and checks it against the Keras networks; returns {format: path, size, parity}.

    Layout (TF Serving watches only the numbered folders): <export_dir>/<version>/ the SavedModel,
    <export_dir>/tflite/<version>/<file_prefix>_<variant>.tflite with the description file beside them.
    parity_inputs: what the model's parity_feeds takes (v1: images float32 [N,S,S,3] in [-1,1], target labels
    [N,C]). Each format runs the TFLite signatures' computation (in the SavedModel: their float twins).
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ConfigError(f"--formats: unknown {', '.join(unknown)}; expected some of {', '.join(FORMATS)}")
    tflite_dir = os.path.join(export_dir, "tflite", str(version))
    paths = {name: os.path.join(export_dir, str(version)) if name == SAVED_MODEL
             else os.path.join(tflite_dir, f"{model.file_prefix}_{name[len('tflite_'):]}.tflite")
             for name in FORMATS if name in formats}
    existing = [path for path in paths.values() if os.path.exists(path)]
    if existing and not overwrite:
        raise ConfigError(f"{', '.join(existing)} already exist(s): choose another --version or pass --overwrite")
    feeds = model.parity_feeds(parity_inputs)
    reference = {name: np.asarray(function(**feeds[name])["translated"])
                 for name, (function, _) in model.tflite_endpoints().items()}
    results = {}
    with contextlib.ExitStack() as stack:
        source = None  # the TFLite variants' common source, written once
        for name, path in paths.items():
            if name == SAVED_MODEL:
                export_saved_model(model, path, overwrite)
                signatures = tf.saved_model.load(path).signatures
                outputs = {tflite_name: signatures[float_name](**{key: tf.constant(value) for key, value in
                                                                     feeds[tflite_name].items()})["translated"]
                           for tflite_name, float_name in model.float_signatures.items()}
                size = directory_size(path)
            else:
                source = source or stack.enter_context(tflite_source(model))
                content = tflite_model(model, name[len("tflite_"):], calibration, source)
                _write_tflite(model, content, path)
                outputs = {signature: run_per_example(tflite_signature(content, signature), **feed)
                           for signature, feed in feeds.items()}
                size = len(content)
            results[name] = {"path": path, "size_bytes": size, **_parity_results(reference, outputs)}
    return results

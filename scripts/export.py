"""Exports a trained run for serving: `python scripts/export.py --checkpoint_dir=runs/quick/models`.

Writes a SavedModel for TF Serving (<export_dir>/<version>/) and TFLite models for phones
(<export_dir>/tflite/<version>/), checks each against the Keras networks and prints sizes and parity.
The model family (StarGAN or StarGAN v2) is read from the run's run.json.
"""
import json
import logging
import os
import sys

from absl import app, flags

from stargan_tf import export, export_v2
from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.training import read_model_name

flags.DEFINE_string("checkpoint_dir", None, "training run directory (run.json and ckpt-* files)", required=True)
flags.DEFINE_string("export_dir", "", "model folder: the SavedModel goes to <export_dir>/<version> "
                                      "(default: exported/stargan or exported/stargan_v2)")
flags.DEFINE_integer("version", 1, "model version (TF Serving serves the highest number)")
flags.DEFINE_list("formats", [f for f in export.FORMATS if f != "tflite_int8"],
                  f"formats to write, from: {', '.join(export.FORMATS)} (tflite_int8 calibrates on training images)")
flags.DEFINE_integer("crop_size", export.SQUARE,
                     "center crop applied to served photos before resizing; 0: the largest centered square")
flags.DEFINE_bool("with_classifier", False, "StarGAN only: add a 'classify' signature (D_cls logits: a photo's own "
                                            "labels, for --edit); adds D's weights")
flags.DEFINE_integer("parity_images", 8, "test images (or noise, without the data) to compare each format on")
flags.DEFINE_integer("calibration_images", 64, "training images to calibrate tflite_int8 on")
flags.DEFINE_bool("overwrite", False, "replace an existing version")
FLAGS = flags.FLAGS


def load(checkpoint_dir):
    """(serving model, held_out(count), calibration(count)) of a run: its family's inputs from held-out images
    (v1: test, v2: val) for parity and from training images for tflite_int8."""
    if read_model_name(checkpoint_dir) == export_v2.MODEL_NAME:
        if FLAGS["with_classifier"].present:
            raise ConfigError("--with_classifier is a StarGAN (v1) option: a StarGAN v2 export has no label "
                              "classifier (its D judges real/fake per domain)")
        model, config = export_v2.load_checkpoint(checkpoint_dir, FLAGS.crop_size)
        return (model, lambda count: export_v2.sample_inputs(config, count, "val"),
                lambda count: export_v2.sample_inputs(config, count, "train"))
    model, config = export.load_checkpoint(checkpoint_dir, FLAGS.crop_size, FLAGS.with_classifier)
    return (model, lambda count: export.sample_inputs(config, model.layout, count, "test"),
            lambda count: list(zip(*export.sample_inputs(config, model.layout, count, "train"))))


def parity_inputs(model, held_out, count):
    """Held-out images of the run, or seeded noise when the run's data is not available."""
    try:
        return held_out(count)
    except (ConfigError, DataError, OSError) as error:
        logging.getLogger("stargan_tf").warning("comparing formats on noise images: the run's data is not "
                                                "available (%s)", error)
        return model.example_inputs(count)


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    try:
        model, held_out, calibration = load(FLAGS.checkpoint_dir)
        export_dir = FLAGS.export_dir or os.path.join("exported", model.file_prefix)
        results = export.export_formats(model, export_dir, FLAGS.version, FLAGS.formats,
                                        parity_inputs(model, held_out, FLAGS.parity_images),
                                        calibration(FLAGS.calibration_images) if "tflite_int8" in FLAGS.formats
                                        else None, FLAGS.overwrite)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    print(f"{'format':<22}{'size (MB)':>10}{'max |diff|':>12}{'PSNR (dB)':>11}  path")
    for name, result in results.items():
        print(f"{name:<22}{result['size_bytes'] / 1e6:>10.2f}{result['max_abs_diff']:>12.2e}"
              f"{result['psnr_db']:>11.1f}  {result['path']}")
        for signature, parity in result.get("signatures", {}).items():
            print(f"  {signature:<30}{parity['max_abs_diff']:>12.2e}{parity['psnr_db']:>11.1f}")
    with open(os.path.join(export_dir, f"export-{FLAGS.version}.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main)

"""Exports a trained run for serving: `python scripts/export.py --checkpoint_dir=runs/quick/models`.

Writes a SavedModel for TF Serving (<export_dir>/<version>/) and TFLite models for phones
(<export_dir>/tflite/<version>/), checks each against the Keras generator and prints sizes and parity.
"""
import json
import logging
import os
import sys

import numpy as np
from absl import app, flags

from stargan_tf import export
from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError

flags.DEFINE_string("checkpoint_dir", None, "training run directory (run.json and ckpt-* files)", required=True)
flags.DEFINE_string("export_dir", "exported/stargan", "model folder: the SavedModel goes to <export_dir>/<version>")
flags.DEFINE_integer("version", 1, "model version (TF Serving serves the highest number)")
flags.DEFINE_list("formats", [f for f in export.FORMATS if f != "tflite_int8"],
                  f"formats to write, from: {', '.join(export.FORMATS)} (tflite_int8 calibrates on training images)")
flags.DEFINE_integer("crop_size", export.SQUARE,
                     "center crop applied to served photos before resizing; 0: the largest centered square")
flags.DEFINE_bool("with_classifier", False,
                  "add a 'classify' signature (D_cls logits: a photo's own labels, for --edit); adds D's weights")
flags.DEFINE_integer("parity_images", 8, "test images (or noise, without the data) to compare each format on")
flags.DEFINE_integer("calibration_images", 64, "training images to calibrate tflite_int8 on")
flags.DEFINE_bool("overwrite", False, "replace an existing version")
FLAGS = flags.FLAGS


def parity_inputs(model, config, count):
    """Test images of the run with sample targets, or seeded noise when the run's data is not available."""
    try:
        return export.sample_inputs(config, model.layout, count, "test")
    except (ConfigError, DataError, OSError) as error:
        logging.getLogger("stargan_tf").warning("comparing formats on noise images: the run's data is not "
                                                "available (%s)", error)
        size = model.image_size
        images = np.random.default_rng(0).uniform(-1, 1, [count, size, size, 3]).astype(np.float32)
        return images, np.repeat(export.example_target(model.layout), count, axis=0)


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    try:
        model, config = export.load_checkpoint(FLAGS.checkpoint_dir, FLAGS.crop_size, FLAGS.with_classifier)
        calibration = None
        if "tflite_int8" in FLAGS.formats:
            calibration = list(zip(*export.sample_inputs(config, model.layout, FLAGS.calibration_images, "train")))
        results = export.export_formats(model, FLAGS.export_dir, FLAGS.version, FLAGS.formats,
                                        parity_inputs(model, config, FLAGS.parity_images), calibration,
                                        FLAGS.overwrite)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    print(f"{'format':<22}{'size (MB)':>10}{'max |diff|':>12}{'PSNR (dB)':>11}  path")
    for name, result in results.items():
        print(f"{name:<22}{result['size_bytes'] / 1e6:>10.2f}{result['max_abs_diff']:>12.2e}"
              f"{result['psnr_db']:>11.1f}  {result['path']}")
    with open(os.path.join(FLAGS.export_dir, f"export-{FLAGS.version}.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main)

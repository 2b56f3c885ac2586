"""Exports a trained run for serving: `stargan-export --checkpoint_dir=runs/quick/models`.

Writes a SavedModel for TF Serving (<export_dir>/<version>/) and TFLite models for phones
(<export_dir>/tflite/<version>/), checks each against the Keras networks and prints sizes and parity.
"""
import json
import logging
import os
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf import families  # noqa: E402
from stargan_tf.commands.common import all_families, run_command  # noqa: E402
from stargan_tf.core import export  # noqa: E402
from stargan_tf.core.config import ConfigError  # noqa: E402

USAGE = ("stargan-export --checkpoint_dir=DIR [--checkpoint=ckpt-N] [--export_dir=DIR] [--version=N] "
         "[--formats=...]")
DESCRIPTION = """Exports a training run (any model family, read from its run.json) as a SavedModel for TF Serving
and as TFLite models, and checks each format against the Keras networks on held-out images."""
COMMON = ("checkpoint_dir", "checkpoint", "export_dir", "version", "formats", "crop_size", "parity_images",
          "calibration_images", "overwrite")

flags.DEFINE_string("checkpoint_dir", None, "training run directory (run.json and ckpt-* files)")
flags.DEFINE_string("checkpoint", "", "the run's checkpoint to export, e.g. ckpt-4 (default: the newest)")
flags.DEFINE_string("export_dir", "", "model folder: the SavedModel goes to <export_dir>/<version> "
                                      "(default: exported/<family>)")
flags.DEFINE_integer("version", 1, "model version (TF Serving serves the highest number)")
flags.DEFINE_list("formats", [f for f in export.FORMATS if f != "tflite_int8"],
                  f"formats to write, from: {', '.join(export.FORMATS)} (tflite_int8 calibrates on training images)")
flags.DEFINE_integer("crop_size", export.SQUARE,
                     "center crop applied to served photos before resizing; 0: the largest centered square")
flags.DEFINE_integer("parity_images", 8, "test images (or noise, without the data) to compare each format on")
flags.DEFINE_integer("calibration_images", 64, "training images to calibrate tflite_int8 on")
flags.DEFINE_bool("overwrite", False, "replace an existing version")


def run(argv=None) -> None:
    """The stargan-export command."""
    run_command(argv, main, USAGE, DESCRIPTION, COMMON, "export_options", required=("checkpoint_dir",))


def parity_inputs(family, config, model, count):
    """Held-out images of the run, or seeded noise when the run's data is not available."""
    from stargan_tf.data.files import DataError

    try:
        return family.export_inputs(config, model, count, "held_out")
    except (ConfigError, DataError, OSError) as error:
        logging.getLogger("stargan_tf").warning("comparing formats on noise images: the run's data is not "
                                                "available (%s)", error)
        return model.example_inputs(count)


def main() -> None:
    from stargan_tf.core.run_dir import read_run_config
    from stargan_tf.data.files import DataError

    FLAGS = flags.FLAGS
    cli.show_progress_logs()
    try:
        family = families.for_run(FLAGS.checkpoint_dir)
        options = cli.family_options(family, all_families(), "export_options")
        model = family.serving_model(FLAGS.checkpoint_dir, FLAGS.crop_size, options, FLAGS.checkpoint)
        config = read_run_config(FLAGS.checkpoint_dir, family.config_class)
        export_dir = FLAGS.export_dir or os.path.join("exported", model.file_prefix)
        calibration = (family.export_inputs(config, model, FLAGS.calibration_images, "train")
                       if "tflite_int8" in FLAGS.formats else None)
        results = export.export_formats(model, export_dir, FLAGS.version, FLAGS.formats,
                                        parity_inputs(family, config, model, FLAGS.parity_images), calibration,
                                        FLAGS.overwrite)
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
    run()

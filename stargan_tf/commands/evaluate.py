"""Evaluates a trained run: `stargan-evaluate --checkpoint_dir=runs/quick/models`.

The model family comes from the run's run.json. Writes report.json, report.txt (the printed table) and sample
grids to --output_dir. A domain classifier is trained on the run's real images first when --classifier_dir
holds none.
"""
import os
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf import families  # noqa: E402
from stargan_tf.commands.common import all_families, run_command  # noqa: E402
from stargan_tf.core.config import ConfigError  # noqa: E402
from stargan_tf.evaluation.classifier import DEFAULT_CLASSIFIER_STEPS  # noqa: E402

USAGE = "stargan-evaluate --checkpoint_dir=DIR [--checkpoint=ckpt-N] [--output_dir=DIR] [--max_images=N] [options]"
DESCRIPTION = """Evaluates a run's newest checkpoint (or --checkpoint): a domain classifier trained on real images
judges the translations (StarGAN: classification error, attribute preservation, reconstruction; StarGAN v2: accuracy,
Fréchet distance and diversity, latent- and reference-guided, like the official evaluation)."""
COMMON = ("checkpoint_dir", "checkpoint", "classifier_dir", "classifier_steps", "output_dir", "inception_weights",
          "max_images")

flags.DEFINE_string("checkpoint_dir", None, "a run's --model_save_dir (checkpoints and run.json)")
flags.DEFINE_string("checkpoint", "", "the run's checkpoint to evaluate, e.g. ckpt-4 (default: the newest)")
flags.DEFINE_string("classifier_dir", "", "the domain classifier (default: <checkpoint_dir>/classifier)")
flags.DEFINE_integer("classifier_steps", DEFAULT_CLASSIFIER_STEPS, "training batches when a classifier is trained")
flags.DEFINE_string("output_dir", "", "where the report and grids go (default: <checkpoint_dir>/eval)")
flags.DEFINE_string("inception_weights", "", "InceptionV3 no-top ImageNet weights file (.h5): report FID; "
                    "without it the Fréchet distance uses the classifier's features and is named FD-classifier")
flags.DEFINE_integer("max_images", 0, "held-out images per dataset (StarGAN v2: source images per domain; 0: all)")


def run(argv=None) -> None:
    """The stargan-evaluate command."""
    run_command(argv, main, USAGE, DESCRIPTION, COMMON, "evaluate_options", required=("checkpoint_dir",))


def main() -> None:
    from stargan_tf.data.files import DataError

    FLAGS = flags.FLAGS
    cli.show_progress_logs()
    directory = FLAGS.checkpoint_dir
    try:
        family = families.for_run(directory)
        report = family.evaluate(directory, FLAGS.classifier_dir or os.path.join(directory, "classifier"),
                                 FLAGS.output_dir or os.path.join(directory, "eval"), FLAGS.classifier_steps,
                                 FLAGS.inception_weights, FLAGS.max_images,
                                 cli.family_options(family, all_families(), "evaluate_options"),
                                 checkpoint=FLAGS.checkpoint)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    print(family.format_report(report))


if __name__ == "__main__":
    run()

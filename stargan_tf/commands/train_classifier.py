"""Trains the domain classifier on a run's real images: `stargan-train-classifier --checkpoint_dir=...`.

The run's run.json gives the data, the label layout and the image size; the classifier is saved to
--classifier_dir with its accuracy on the held-out real images.
"""
import os
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf.commands.common import run_command  # noqa: E402

from stargan_tf.core.config import ConfigError  # noqa: E402
from stargan_tf.core.run_dir import read_run_config  # noqa: E402
from stargan_tf.data.files import DataError  # noqa: E402
from stargan_tf.evaluation import classifier as classifier_lib  # noqa: E402
from stargan_tf.evaluation.classifier import DEFAULT_CLASSIFIER_STEPS  # noqa: E402
from stargan_tf.evaluation.features import batched  # noqa: E402
from stargan_tf.evaluation.metrics import real_accuracy  # noqa: E402
from stargan_tf.families.stargan.config import StarGANConfig  # noqa: E402
from stargan_tf.families.stargan.data import load_run_data, resolve_data_dirs  # noqa: E402
from stargan_tf.families.stargan.evaluate import train_classifier  # noqa: E402

flags.DEFINE_string("checkpoint_dir", None, "a run's --model_save_dir: its run.json names the data and layout")
flags.DEFINE_string("classifier_dir", "", "where the classifier goes (default: <checkpoint_dir>/classifier)")
flags.DEFINE_integer("steps", DEFAULT_CLASSIFIER_STEPS, "training batches (datasets alternating)")
flags.DEFINE_integer("batch_size", 32, "images per batch")
flags.mark_flag_as_required("checkpoint_dir")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.show_progress_logs()
    directory = FLAGS.classifier_dir or os.path.join(FLAGS.checkpoint_dir, "classifier")
    try:
        config = resolve_data_dirs(read_run_config(FLAGS.checkpoint_dir, StarGANConfig))
        data = load_run_data(config)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    classifier = train_classifier(config, data, FLAGS.steps, FLAGS.batch_size)
    accuracy = {}
    for dataset, split in data.splits.items():
        images, labels = data.fixed_batch(dataset, len(split.test), config.image_size)
        accuracy[dataset] = real_accuracy(batched(classifier, images), labels, data.layout, dataset)["accuracy"]
        print(f"{dataset}: accuracy {100 * accuracy[dataset]:.2f}% on {len(images)} held-out real images")
    classifier_lib.save_classifier(classifier, directory, data.layout, {"test_accuracy": accuracy})
    print(f"saved {directory}")


FLAG_NAMES = ("checkpoint_dir", "classifier_dir", "steps", "batch_size")
USAGE = "stargan-train-classifier --checkpoint_dir=DIR [--classifier_dir=DIR] [--steps=N]"
DESCRIPTION = """Trains the domain classifier that judges translations on a StarGAN run's real images
(stargan-evaluate trains one itself when there is none) and prints its accuracy on held-out real images."""


def run(argv=None) -> None:
    """The stargan-train-classifier command."""
    run_command(argv, lambda: main([]), USAGE, DESCRIPTION, FLAG_NAMES)


if __name__ == "__main__":
    run()

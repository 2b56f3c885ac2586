"""Trains the domain classifier on a run's real images: `python scripts/train_classifier.py --checkpoint_dir=...`.

The run's run.json gives the data, the label layout and the image size; the classifier is saved to
--classifier_dir with its accuracy on the held-out real images.
"""
import logging
import os
import sys

from absl import app, flags

from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.data.sources import load_run_data, resolve_data_dirs
from stargan_tf.evaluation import classifier as classifier_lib
from stargan_tf.evaluation.evaluator import DEFAULT_CLASSIFIER_STEPS, batched
from stargan_tf.evaluation.metrics import real_accuracy
from stargan_tf.training import read_run_config

flags.DEFINE_string("checkpoint_dir", None, "a run's --model_save_dir: its run.json names the data and layout")
flags.DEFINE_string("classifier_dir", "", "where the classifier goes (default: <checkpoint_dir>/classifier)")
flags.DEFINE_integer("steps", DEFAULT_CLASSIFIER_STEPS, "training batches (datasets alternating)")
flags.DEFINE_integer("batch_size", 32, "images per batch")
flags.mark_flag_as_required("checkpoint_dir")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    directory = FLAGS.classifier_dir or os.path.join(FLAGS.checkpoint_dir, "classifier")
    try:
        config = resolve_data_dirs(read_run_config(FLAGS.checkpoint_dir))
        data = load_run_data(config)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    classifier = classifier_lib.train_classifier(config, data, FLAGS.steps, FLAGS.batch_size)
    accuracy = {}
    for dataset, split in data.splits.items():
        images, labels = data.fixed_batch(dataset, len(split.test), config.image_size)
        accuracy[dataset] = real_accuracy(batched(classifier, images), labels, data.layout, dataset)["accuracy"]
        print(f"{dataset}: accuracy {100 * accuracy[dataset]:.2f}% on {len(images)} held-out real images")
    classifier_lib.save_classifier(classifier, directory, data.layout, {"test_accuracy": accuracy})
    print(f"saved {directory}")


if __name__ == "__main__":
    app.run(main)

"""Evaluates a trained StarGAN: `python scripts/evaluate.py --checkpoint_dir=runs/quick/models`.

Writes report.json, report.txt (the printed table) and one sample grid per dataset to --output_dir. A domain
classifier is trained on the run's real images first when --classifier_dir holds none.
"""
import logging
import os
import sys

from absl import app, flags

from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.evaluation.evaluator import DEFAULT_CLASSIFIER_STEPS, evaluate_checkpoint
from stargan_tf.evaluation.report import format_table

flags.DEFINE_string("checkpoint_dir", None, "a run's --model_save_dir (checkpoints and run.json)")
flags.DEFINE_list("dataset", [], "source datasets to evaluate: celeba, rafd or both (default: all of the model's)")
flags.DEFINE_string("classifier_dir", "", "the domain classifier (default: <checkpoint_dir>/classifier)")
flags.DEFINE_integer("classifier_steps", DEFAULT_CLASSIFIER_STEPS, "training batches when a classifier is trained")
flags.DEFINE_string("output_dir", "", "where the report and grids go (default: <checkpoint_dir>/eval)")
flags.DEFINE_string("inception_weights", "", "InceptionV3 no-top ImageNet weights file (.h5): report FID; "
                    "without it the Fréchet distance uses the classifier's features and is named FD-classifier")
flags.DEFINE_integer("max_images", 0, "held-out images per dataset (0: all)")
flags.mark_flag_as_required("checkpoint_dir")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    datasets = ["celeba", "rafd"] if FLAGS.dataset == ["both"] else [name.lower() for name in FLAGS.dataset]
    try:
        report = evaluate_checkpoint(
            FLAGS.checkpoint_dir, FLAGS.classifier_dir or os.path.join(FLAGS.checkpoint_dir, "classifier"),
            FLAGS.output_dir or os.path.join(FLAGS.checkpoint_dir, "eval"), datasets or None,
            FLAGS.classifier_steps, FLAGS.inception_weights, FLAGS.max_images)
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    print(format_table(report))


if __name__ == "__main__":
    app.run(main)

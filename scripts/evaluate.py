"""Evaluates a trained StarGAN or StarGAN v2: `python scripts/evaluate.py --checkpoint_dir=runs/quick/models`.

The model family comes from the run's run.json. Writes report.json, report.txt (the printed table) and sample
grids to --output_dir. A domain classifier is trained on the run's real images first when --classifier_dir
holds none. StarGAN v2 runs are evaluated like the official metrics/eval.py (latent- and reference-guided).
"""
import logging
import os
import sys

from absl import app, flags

from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.evaluation.evaluator import DEFAULT_CLASSIFIER_STEPS, evaluate_checkpoint
from stargan_tf.evaluation.evaluator_v2 import DEFAULT_NUM_OUTS, evaluate_checkpoint_v2
from stargan_tf.evaluation.report import format_table
from stargan_tf.training import read_model_name

flags.DEFINE_string("checkpoint_dir", None, "a run's --model_save_dir (checkpoints and run.json)")
flags.DEFINE_list("dataset", [], "StarGAN: source datasets to evaluate: celeba, rafd or both (default: all of the "
                  "model's)")
flags.DEFINE_string("classifier_dir", "", "the domain classifier (default: <checkpoint_dir>/classifier)")
flags.DEFINE_integer("classifier_steps", DEFAULT_CLASSIFIER_STEPS, "training batches when a classifier is trained")
flags.DEFINE_string("output_dir", "", "where the report and grids go (default: <checkpoint_dir>/eval)")
flags.DEFINE_string("inception_weights", "", "InceptionV3 no-top ImageNet weights file (.h5): report FID; "
                    "without it the Fréchet distance uses the classifier's features and is named FD-classifier")
flags.DEFINE_integer("max_images", 0, "held-out images per dataset (StarGAN v2: source images per domain; 0: all)")
flags.DEFINE_integer("num_outs", DEFAULT_NUM_OUTS, "StarGAN v2: outputs per source image and target domain")
flags.DEFINE_string("alexnet_weights", "", "StarGAN v2 LPIPS: torchvision AlexNet ImageNet weights (.pth)")
flags.DEFINE_string("lpips_weights", "", "StarGAN v2 LPIPS: its linear layers (lpips alex.pth or the official "
                    "lpips_weights.ckpt); without both files diversity is reported as feature and pixel distances")
flags.mark_flag_as_required("checkpoint_dir")
FLAGS = flags.FLAGS
V2_FLAGS = ("num_outs", "alexnet_weights", "lpips_weights")


def evaluate(output_dir: str, classifier_dir: str) -> dict:
    """Runs the evaluation of the checkpoint's model family, refusing flags of the other family."""
    if read_model_name(FLAGS.checkpoint_dir) == "stargan_v2":
        if FLAGS.dataset:
            raise ConfigError("--dataset is a StarGAN flag: a StarGAN v2 run is evaluated on all of its domains")
        return evaluate_checkpoint_v2(
            FLAGS.checkpoint_dir, classifier_dir, output_dir, FLAGS.classifier_steps, FLAGS.inception_weights,
            FLAGS.alexnet_weights, FLAGS.lpips_weights, FLAGS.max_images, FLAGS.num_outs)
    given = [f"--{name}" for name in V2_FLAGS if FLAGS[name].present]
    if given:
        raise ConfigError(f"{', '.join(given)}: StarGAN v2 flags, and {FLAGS.checkpoint_dir} is a StarGAN run")
    datasets = ["celeba", "rafd"] if FLAGS.dataset == ["both"] else [name.lower() for name in FLAGS.dataset]
    return evaluate_checkpoint(FLAGS.checkpoint_dir, classifier_dir, output_dir, datasets or None,
                               FLAGS.classifier_steps, FLAGS.inception_weights, FLAGS.max_images)


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    try:
        report = evaluate(FLAGS.output_dir or os.path.join(FLAGS.checkpoint_dir, "eval"),
                          FLAGS.classifier_dir or os.path.join(FLAGS.checkpoint_dir, "classifier"))
    except (ConfigError, DataError) as error:
        sys.exit(f"error: {error}")
    print(format_table(report))


if __name__ == "__main__":
    app.run(main)

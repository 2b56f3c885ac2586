"""Quality benchmark of StarGAN v2: the `quick` preset on the embedded synthetic v2 data, then the evaluation
(latent- and reference-guided: target-domain accuracy, Fréchet distance, diversity); prints the table and writes
<report_name>.json, .txt and the two grids to --results_dir.

    python benchmarks/quality_v2.py     # trains runs/quick_v2/models, or resumes / reuses the checkpoint there

Training always resumes from the latest checkpoint in --model_save_dir, so a finished run is only evaluated
(rerun the evaluation without retraining). Every training flag of `scripts/train.py --model=stargan_v2` is
accepted (the preset defaults to `quick`); the JSON records the full config.
"""
import dataclasses
import logging
import os
import time

import tensorflow as tf
from absl import app, flags

from host import machine
from stargan_tf import cli
from stargan_tf.families.stargan_v2.config import HELP_V2, PRESETS_V2, StarGANv2Config
from stargan_tf.core.trainer import train

CLASSIFIER_STEPS = 2000  # class-balanced batches of 32 real training images

cli.define_config_flags(config_class=StarGANv2Config, help_texts=HELP_V2)
flags.FLAGS.set_default("preset", "quick")
flags.DEFINE_string("results_dir", "benchmarks/results", "where the report, the table and the grids go")
flags.DEFINE_string("report_name", "quality_v2", "file name stem of the report, table and grids in --results_dir")
flags.DEFINE_string("classifier_dir", "", "the domain classifier (default: beside --model_save_dir, classifier/)")
flags.DEFINE_integer("classifier_steps", CLASSIFIER_STEPS, "classifier training batches")
flags.DEFINE_integer("num_outs", 10, "outputs per source image and target domain")
flags.DEFINE_string("inception_weights", "", "InceptionV3 no-top weights (.h5): FID instead of FD-classifier")
flags.DEFINE_string("alexnet_weights", "", "torchvision AlexNet weights (.pth), for LPIPS")
flags.DEFINE_string("lpips_weights", "", "LPIPS linear layers (lpips alex.pth or official lpips_weights.ckpt)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    host = machine()
    config = dataclasses.replace(cli.config_from_flags(FLAGS, StarGANv2Config, PRESETS_V2), resume=True).validate()
    latest = tf.train.latest_checkpoint(config.model_save_dir)
    start_iteration = int(latest.rsplit("-", 1)[1]) if latest else 0  # Checkpoints are numbered by iteration.
    start = time.time()
    train(config)
    train_seconds = time.time() - start
    # Imported here: evaluation is the last stage and its modules load only when it starts.
    from stargan_tf.families.stargan_v2.evaluate import evaluate_checkpoint_v2
    from stargan_tf.evaluation.report import format_table_v2, write_report

    classifier_dir = FLAGS.classifier_dir or os.path.join(os.path.dirname(config.model_save_dir.rstrip("/")),
                                                          "classifier")
    report = evaluate_checkpoint_v2(config.model_save_dir, classifier_dir, FLAGS.results_dir, FLAGS.classifier_steps,
                                    FLAGS.inception_weights, FLAGS.alexnet_weights, FLAGS.lpips_weights,
                                    num_outs=FLAGS.num_outs, report_name=FLAGS.report_name)
    report.update(benchmark="quality_v2", preset=FLAGS.preset, config=config.to_dict(),
                  classifier_steps=FLAGS.classifier_steps, resumed_from_iteration=start_iteration,
                  train_seconds=round(train_seconds, 1), wall_seconds=round(time.time() - start, 1),
                  machine=dict(host, load_average_at_end=os.getloadavg(),
                               openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS", "default")))
    write_report(report, os.path.join(FLAGS.results_dir, FLAGS.report_name + ".json"))
    print(format_table_v2(report))


if __name__ == "__main__":
    app.run(main)

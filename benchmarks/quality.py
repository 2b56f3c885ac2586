"""Quality benchmark: StarGAN from scratch on the embedded synthetic data (--dataset=both), then the domain
classifier on real images, then the evaluation; prints the table and appends one JSON line with every number.

    python benchmarks/quality.py     # the fixed `quality` preset (config.PRESETS), results in benchmarks/results/

Every training flag of scripts/train.py is accepted (the preset defaults to `quality`; flags given win), so
a variant is one flag away; the JSON line records the full config.
"""
import json
import logging
import os
import time

from absl import app, flags

from host import machine
from stargan_tf import cli
from stargan_tf.core.trainer import train

CLASSIFIER_STEPS = 2000  # batches (alternating CelebA / RaFD) of the domain classifier's training

cli.define_config_flags()
flags.FLAGS.set_default("preset", "quality")
flags.DEFINE_string("results_dir", "benchmarks/results", "where the JSON line, the table and the sample grids go")
flags.DEFINE_string("report_name", "quality", "file name stem of the report, table and grids in --results_dir")
flags.DEFINE_integer("classifier_steps", CLASSIFIER_STEPS, "classifier training batches")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    host = machine()
    config = cli.config_from_flags(FLAGS).validate()
    start = time.time()
    train(config)
    train_seconds = time.time() - start
    # Imported here, not at the top: evaluation is the last stage and its modules load only when it starts.
    from stargan_tf.families.stargan.evaluate import evaluate_checkpoint
    from stargan_tf.evaluation.report import format_table, write_report

    classifier_dir = os.path.join(os.path.dirname(config.model_save_dir.rstrip("/")), "classifier")
    report = evaluate_checkpoint(config.model_save_dir, classifier_dir, FLAGS.results_dir,
                                 classifier_steps=FLAGS.classifier_steps, report_name=FLAGS.report_name)
    report.update(benchmark="quality", preset=FLAGS.preset, config=config.to_dict(),
                  classifier_steps=FLAGS.classifier_steps, train_seconds=round(train_seconds, 1),
                  wall_seconds=round(time.time() - start, 1),
                  machine=dict(host, load_average_at_end=os.getloadavg()))
    write_report(report, os.path.join(FLAGS.results_dir, FLAGS.report_name + ".json"))
    print(format_table(report))
    line = json.dumps(report, sort_keys=True)
    print(line)
    with open(os.path.join(FLAGS.results_dir, FLAGS.report_name + ".jsonl"), "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    app.run(main)

"""Quality benchmark: StarGAN from scratch on the embedded synthetic data (--dataset=both), then the domain
classifier on real images, then the evaluation; prints the table and writes one JSON line with every number.

    python benchmarks/quality.py            # the fixed preset below, results in benchmarks/results/
"""
import json
import logging
import os
import platform
import time

from absl import app, flags

import tensorflow as tf

from stargan_tf.config import PRESETS, StarGANConfig
from stargan_tf.training import train

# The fixed preset of the benchmark: the quick preset's networks (32x32 images, conv dims 32, 3 residual
# blocks, D with 4 stride-2 convs, batch 16, lr 2e-4) trained twice as long, on both synthetic datasets.
QUALITY_PRESET = dict(PRESETS["quick"], num_iters=4000, num_iters_decay=2000, seed=1234, sample_step=1000,
                      model_save_step=1000, log_step=100)
CLASSIFIER_STEPS = 2000  # batches (alternating CelebA / RaFD) of the domain classifier's training

flags.DEFINE_string("run_dir", "runs/quality", "where the StarGAN run, the classifier and the evaluation go")
flags.DEFINE_string("results_dir", "benchmarks/results", "where the JSON line, the table and the sample grids go")
flags.DEFINE_integer("num_iters", QUALITY_PRESET["num_iters"], "StarGAN iterations (change only for a smoke run)")
flags.DEFINE_integer("classifier_steps", CLASSIFIER_STEPS, "classifier training batches (change only for a smoke run)")
FLAGS = flags.FLAGS


def machine() -> dict:
    """nproc, CPU model, TF version and the load when the benchmark started (other jobs share the cores)."""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model, "tensorflow": tf.__version__,
            "python": platform.python_version(), "load_average_at_start": os.getloadavg()}


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    host = machine()
    run_dir = FLAGS.run_dir
    preset = dict(QUALITY_PRESET, num_iters=FLAGS.num_iters,
                  num_iters_decay=min(QUALITY_PRESET["num_iters_decay"], FLAGS.num_iters // 2),
                  model_save_dir=os.path.join(run_dir, "models"), sample_dir=os.path.join(run_dir, "samples"),
                  log_dir=os.path.join(run_dir, "logs"), resume=True)
    config = StarGANConfig(**preset).validate()
    start = time.time()
    train(config)
    train_seconds = time.time() - start
    # Imported here, not at the top: evaluation is the last stage and its modules load only when it starts.
    from stargan_tf.evaluation.evaluator import evaluate_checkpoint
    from stargan_tf.evaluation.report import format_table

    report = evaluate_checkpoint(config.model_save_dir, os.path.join(run_dir, "classifier"),
                                 FLAGS.results_dir, classifier_steps=FLAGS.classifier_steps, report_name="quality")
    total_seconds = time.time() - start
    report.update(benchmark="quality", preset={k: v for k, v in config.to_dict().items() if k in QUALITY_PRESET},
                  classifier_steps=FLAGS.classifier_steps, train_seconds=round(train_seconds, 1),
                  wall_seconds=round(total_seconds, 1), machine=dict(host, load_average_at_end=os.getloadavg()))
    print(format_table(report))
    line = json.dumps(report, sort_keys=True)
    print(line)
    with open(os.path.join(FLAGS.results_dir, "quality.jsonl"), "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    app.run(main)

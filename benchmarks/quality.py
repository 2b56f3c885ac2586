"""Quality benchmark: a model family trained from scratch on the embedded synthetic data, then the domain classifier
on real images, then the family's evaluation; prints the table and appends one JSON line with every number.

    python benchmarks/quality.py                        # StarGAN, the fixed `quality` preset
    python benchmarks/quality.py --model=stargan_v2     # StarGAN v2, the `quick` preset

Every training flag of scripts/train.py is accepted (flags given win over the preset), so a variant is one flag
away; the JSON line records the full config. Results go to benchmarks/results/<report_name>.*.
"""
import json
import os
import sys
import time

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import app, flags  # noqa: E402

from host import machine  # noqa: E402
from stargan_tf import families  # noqa: E402
from stargan_tf.core.trainer import train  # noqa: E402

CLASSIFIER_STEPS = 2000  # batches of the domain classifier's training
DEFAULT_PRESET = {"stargan": "quality", "stargan_v2": "quick"}

FAMILY = families.get(cli.argv_value(sys.argv, "model", "stargan"))
flags.DEFINE_enum("model", "stargan", families.names(), "the model family")
cli.define_config_flags(FAMILY.config_class, FAMILY.presets)
cli.define_options([FAMILY], "evaluate_options")
flags.FLAGS.set_default("preset", DEFAULT_PRESET[FAMILY.name])
flags.DEFINE_string("results_dir", "benchmarks/results", "where the JSON line, the table and the sample grids go")
flags.DEFINE_string("report_name", "", "file name stem of the report, table and grids (default: quality, "
                                       "quality_v2 for StarGAN v2)")
flags.DEFINE_integer("classifier_steps", CLASSIFIER_STEPS, "classifier training batches")
flags.DEFINE_string("inception_weights", "", "InceptionV3 no-top weights (.h5): FID instead of FD-classifier")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.show_progress_logs()
    host = machine()
    config = cli.config_from_flags(FAMILY.config_class, FAMILY.presets).validate()
    report_name = FLAGS.report_name or ("quality" if FAMILY.name == "stargan" else "quality_v2")
    start = time.time()
    train(config)
    train_seconds = time.time() - start
    classifier_dir = os.path.join(os.path.dirname(config.model_save_dir.rstrip("/")), "classifier")
    # An option named like a training flag (StarGAN's --dataset) takes the run's value, which the preset may set.
    options = {name: getattr(config, name, value)
               for name, value in cli.family_options(FAMILY, [FAMILY], "evaluate_options").items()}
    report = FAMILY.evaluate(config.model_save_dir, classifier_dir, FLAGS.results_dir, FLAGS.classifier_steps,
                             FLAGS.inception_weights, 0, options, report_name)
    report.update(benchmark="quality", model=FAMILY.name, preset=FLAGS.preset, config=config.to_dict(),
                  classifier_steps=FLAGS.classifier_steps, train_seconds=round(train_seconds, 1),
                  wall_seconds=round(time.time() - start, 1),
                  machine=dict(host, load_average_at_end=os.getloadavg()))
    from stargan_tf.evaluation.report import write_report

    write_report(report, os.path.join(FLAGS.results_dir, report_name + ".json"))
    print(FAMILY.format_report(report))
    with open(os.path.join(FLAGS.results_dir, report_name + ".jsonl"), "a") as f:
        f.write(json.dumps(report, sort_keys=True) + "\n")


if __name__ == "__main__":
    app.run(main)

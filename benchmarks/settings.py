"""Process-wide settings compared on the training step: TensorFlow's intra/inter-op threads and oneDNN on/off.

    python benchmarks/settings.py --precisions=mixed_bfloat16                  # thread settings
    python benchmarks/settings.py --settings=default,onednn_off --precisions=float32

These settings are fixed when TensorFlow starts, so each is measured by benchmarks/speed.py in its own
process (training part only, one warm-up and one timed round per process), and the settings are interleaved
round by round so that load from other processes affects them alike. Prints one JSON line per setting and
precision (medians over rounds, and the ratio to the first setting) and writes them to
benchmarks/results/<name>.json with the machine load before and after.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from absl import app, flags

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEED = os.path.join(ROOT, "benchmarks", "speed.py")
# name: (speed.py flags, environment). TensorFlow's default uses every core for intra-op and inter-op work.
SETTINGS = {
    "default": ([], {}),
    "intra2_inter1": (["--intra_op_threads=2", "--inter_op_threads=1"], {}),
    "intra1_inter2": (["--intra_op_threads=1", "--inter_op_threads=2"], {}),
    "intra1_inter1": (["--intra_op_threads=1", "--inter_op_threads=1"], {}),
    "intra4_inter1": (["--intra_op_threads=4", "--inter_op_threads=1"], {}),
    "onednn_off": ([], {"TF_ENABLE_ONEDNN_OPTS": "0"}),
}
TIMINGS = ("d_step_s", "g_step_s", "d_and_g_step_s", "iteration_s")

FLAGS = flags.FLAGS
flags.DEFINE_list("settings", ["default", "intra2_inter1", "intra1_inter2", "intra1_inter1", "intra4_inter1"],
                  f"settings to compare, the first is the reference; some of {', '.join(SETTINGS)}")
flags.DEFINE_list("precisions", ["mixed_bfloat16"], "precisions timed in each process")
flags.DEFINE_integer("rounds", 2, "processes per setting (each one warm-up and one timed round)")
flags.DEFINE_integer("image_size", 128, "image size")
flags.DEFINE_integer("batch_size", 16, "batch size")
flags.DEFINE_bool("quick", False, "speed.py --quick (32x32, small networks)")
flags.DEFINE_string("name", "", "results file name (default: settings_<size>_<precisions>)")
flags.DEFINE_string("output_dir", os.path.join(ROOT, "benchmarks", "results"), "where the results JSON goes")


def load() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(value) for value in f.read().split()[:3]]


def run_speed(setting: str, directory: str, index: int) -> list[dict]:
    """The training records of one speed.py process under a setting."""
    speed_flags, environment = SETTINGS[setting]
    name = f"{setting}_{index}"
    command = [sys.executable, SPEED, "--parts=training", "--baselines=", "--rounds=1", "--warmup=1",
               f"--precisions={','.join(FLAGS.precisions)}", f"--image_size={FLAGS.image_size}",
               f"--batch_size={FLAGS.batch_size}", f"--name={name}", f"--output_dir={directory}",
               *(["--quick"] if FLAGS.quick else []), *speed_flags]
    subprocess.run(command, env=dict(os.environ, **environment), check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(directory, name + ".json")) as f:
        return [record for record in json.load(f) if record["kind"] == "training_step"]


def main(argv):
    del argv
    unknown = sorted(set(FLAGS.settings) - set(SETTINGS))
    if unknown:
        raise app.UsageError(f"--settings: unknown {', '.join(unknown)}; expected some of {', '.join(SETTINGS)}")
    load_before = load()
    seconds = {(setting, precision): {timing: [] for timing in TIMINGS}
               for setting in FLAGS.settings for precision in FLAGS.precisions}
    with tempfile.TemporaryDirectory() as directory:
        for index in range(FLAGS.rounds):
            for setting in FLAGS.settings:
                for record in run_speed(setting, directory, index):
                    image_size = record["image_size"]
                    for timing in TIMINGS:
                        seconds[setting, record["precision"]][timing].append(record[timing])
    records = []
    reference = FLAGS.settings[0]
    for (setting, precision), values in seconds.items():
        medians = {timing: statistics.median(times) for timing, times in values.items()}
        reference_iteration = statistics.median(seconds[reference, precision]["iteration_s"])
        record = {"kind": "setting", "setting": setting, "precision": precision,
                  "speed_flags": SETTINGS[setting][0], "environment": SETTINGS[setting][1],
                  "image_size": image_size, "batch_size": FLAGS.batch_size, "processes": FLAGS.rounds,
                  **medians, f"iteration_vs_{reference}": medians["iteration_s"] / reference_iteration,
                  "all_seconds": values}
        records.append(record)
        print(json.dumps(record), flush=True)
    records.append({"kind": "run", "load_before": load_before, "load_after": load(), "cpu_count": os.cpu_count(),
                    "command": " ".join(sys.argv)})
    name = FLAGS.name or f"settings_{image_size}_{'_'.join(FLAGS.precisions)}"
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    path = os.path.join(FLAGS.output_dir, name + ".json")
    with open(path, "w") as f:
        json.dump(records, f, indent=1)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    app.run(main)

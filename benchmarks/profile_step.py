"""Where a training step's time goes: TensorFlow profiler op times, summed per op type and per op.

    python benchmarks/profile_step.py --precision=mixed_bfloat16 --step=d_step    # 128x128, batch 16, paper dims
    python benchmarks/profile_step.py --step=g_step --top=30

Traces --steps calls of one compiled step (after two warm-up calls) with tf.profiler and prints the op time
per op type and the slowest ops. Op times add up over the threads that run ops in parallel, so their sum
exceeds the wall time; read them as shares. Inputs are random (the cost does not depend on them).
Results: results/profile_<step>_<precision>_<size>_b<batch>.json (wall time, seconds per op type and the slowest
ops).
"""
from __future__ import annotations

import collections
import glob
import json
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

from host import machine  # noqa: E402

from stargan_tf.core.config import PRECISIONS  # noqa: E402
from stargan_tf.families.stargan.config import StarGANConfig  # noqa: E402
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS  # noqa: E402
from stargan_tf.data.labels import make_layout  # noqa: E402
from stargan_tf.families.stargan.family import build_model  # noqa: E402

STEPS = ("d_step", "g_step", "d_and_g_step")
FLAGS = flags.FLAGS
flags.DEFINE_integer("image_size", 128, "image size")
flags.DEFINE_integer("batch_size", 16, "batch size")
flags.DEFINE_enum("precision", "mixed_bfloat16", PRECISIONS, "training precision")
flags.DEFINE_enum("step", "d_step", STEPS, "d_step: a D update (with its G forward pass); g_step: a G update; "
                  "d_and_g_step: both, sharing G's forward pass")
flags.DEFINE_integer("steps", 2, "traced calls")
flags.DEFINE_integer("top", 25, "slowest ops listed")
flags.DEFINE_string("results_dir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                    "where the JSON goes")


def op_times(logdir: str) -> collections.Counter:
    """Seconds per op ("name:Type") in the host plane of the profile written to logdir."""
    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    times = collections.Counter()
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                # TensorFlow ops are named "op_name:OpType"; executor and Python events are not.
                op_type = name.rsplit(":", 1)[-1] if ":" in name and "::" not in name else ""
                if op_type[:1].isupper() or op_type[:1] == "_":
                    times[name] += event.duration_ps / 1e12
    return times


def main(argv):
    del argv
    size, batch = FLAGS.image_size, FLAGS.batch_size
    host = machine()
    keras.utils.set_random_seed(0)
    config = StarGANConfig(image_size=size, batch_size=batch, precision=FLAGS.precision).validate()
    model = build_model(config, make_layout(config.datasets, config.selected_attrs, RAFD_EXPRESSIONS))
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, [batch, size, size, 3]), tf.float32)
    c_org, c_trg = (tf.constant(rng.integers(0, 2, [batch, model.layout.label_dim]), tf.float32) for _ in "ot")
    alpha = tf.constant(rng.uniform(0, 1, [batch, 1, 1, 1]), tf.float32)
    step = tf.function({
        "d_step": lambda: model._d_step(x, c_org, c_trg, alpha),
        "g_step": lambda: model._g_step(x, c_org, c_trg)[1],
        "d_and_g_step": lambda: model._g_step(x, c_org, c_trg,
                                              lambda x_fake: model._d_step(x, c_org, c_trg, alpha, x_fake)),
    }[FLAGS.step])

    def run():
        tf.nest.map_structure(lambda t: t.numpy(), step())

    for _ in range(2):
        run()
    logdir = tempfile.mkdtemp()
    tf.profiler.experimental.start(logdir)
    start = time.perf_counter()
    for _ in range(FLAGS.steps):
        run()
    wall = (time.perf_counter() - start) / FLAGS.steps
    tf.profiler.experimental.stop()
    per_op = {name: seconds / FLAGS.steps for name, seconds in op_times(logdir).items()}
    per_type = collections.Counter()
    for name, seconds in per_op.items():
        per_type[name.rsplit(":", 1)[1]] += seconds
    total = sum(per_type.values())
    with open("/proc/loadavg") as f:
        print(f"{FLAGS.step} {FLAGS.precision} {size}x{size} batch {batch}: wall {wall:.3f} s per step, op time "
              f"{total:.3f} s (load {f.read().split()[0]})")
    for op_type, seconds in per_type.most_common():
        if seconds >= 0.001 * total:
            print(f"  {op_type:<42} {seconds:8.3f} s {100 * seconds / total:5.1f}%")
    slowest = collections.Counter(per_op).most_common(FLAGS.top)
    print(f"slowest {FLAGS.top} ops:")
    for name, seconds in slowest:
        print(f"  {seconds:8.3f} s  {name}")
    host["load_average_at_end"] = os.getloadavg()
    result = {"benchmark": "profile_step", "machine": host, "step": FLAGS.step, "precision": FLAGS.precision,
              "image_size": size, "batch_size": batch, "traced_steps": FLAGS.steps, "wall_s": wall,
              "op_time_s": total, "seconds_per_op_type": dict(per_type.most_common()),
              "slowest_ops": dict(slowest)}
    path = pathlib.Path(FLAGS.results_dir, f"profile_{FLAGS.step}_{FLAGS.precision}_{size}_b{batch}.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    app.run(main)

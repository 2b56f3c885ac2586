"""Training and inference speed of StarGAN on this machine, with the analytic FLOPs and the matmul peak.

    python benchmarks/speed.py                  # 128x128, batch 16, paper dims, float32 and mixed_bfloat16
    python benchmarks/speed.py --quick          # a smoke test in about a minute (32x32, small networks)

Configurations (precisions) are measured side by side: every round times each of them in turn, and the
figures are medians over rounds, so load from other processes affects all configurations alike. Prints one
JSON line per configuration (and one per pipeline and matmul measurement) and writes them all to
benchmarks/results/<name>.json with the machine load (/proc/loadavg) before and after.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from stargan_tf.config import StarGANConfig  # noqa: E402
from stargan_tf.data.sources import load_run_data  # noqa: E402
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS, write_celeba  # noqa: E402
from stargan_tf.flops import stargan_flops  # noqa: E402
from stargan_tf.labels import make_layout  # noqa: E402
from stargan_tf.training import build_model  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("image_size", 128, "image size")
flags.DEFINE_integer("batch_size", 16, "batch size")
flags.DEFINE_integer("conv_dim", 64, "g_conv_dim and d_conv_dim")
flags.DEFINE_integer("g_repeat_num", 6, "residual blocks in G")
flags.DEFINE_integer("d_repeat_num", 6, "stride-2 convolutions in D")
flags.DEFINE_enum("dataset", "celeba", ["celeba", "both"], "label layout of the model (5 or 15 label channels)")
flags.DEFINE_list("precisions", ["float32", "mixed_bfloat16"], "precisions to compare side by side")
flags.DEFINE_integer("rounds", 5, "timed rounds (each times every configuration once)")
flags.DEFINE_integer("warmup", 1, "untimed rounds first (tracing, oneDNN kernel selection)")
flags.DEFINE_integer("pipeline_batches", 20, "batches timed for the input pipeline alone")
flags.DEFINE_integer("intra_op_threads", 0, "tf.config.threading intra-op threads (0: TensorFlow's default)")
flags.DEFINE_integer("inter_op_threads", 0, "tf.config.threading inter-op threads (0: TensorFlow's default)")
flags.DEFINE_bool("quick", False, "smoke test: 32x32, conv dims 16, 2 residual blocks, D 4 layers, 2 rounds")
flags.DEFINE_string("name", "", "results file name (default: speed_<size>_b<batch>[_quick])")
flags.DEFINE_string("output_dir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                    "where the results JSON goes")

# The official PyTorch StarGAN measured on this machine kind (issue 7): seconds, 2 threads, torch 2.13 CPU.
OFFICIAL = {128: {"d_step": 4.90, "g_step": 9.66, "iteration": 6.84, "inference_ms": 73.0},
            64: {"d_step": 2.11, "g_step": 2.55, "iteration": 2.62, "inference_ms": 24.0}}
MATMUL_SIZE = 2048
MATMUL_REPEATS = 8


def load() -> list[float]:
    """The 1, 5 and 15-minute load averages: how many processes competed for the cores."""
    with open("/proc/loadavg") as f:
        return [float(value) for value in f.read().split()[:3]]


def timed(fn) -> float:
    """Seconds one call of fn takes, its outputs fetched to the host."""

    start = time.perf_counter()
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, fn())
    return time.perf_counter() - start


def median(values):
    return statistics.median(values) if values else None


def emit(record: dict, records: list) -> None:
    records.append(record)
    print(json.dumps(record), flush=True)


def matmul_peaks(precisions, rounds) -> dict:
    """Median GFLOP/s of a square float32 and bfloat16 matmul, the machine's attainable peak per precision."""

    dtypes = {"float32": tf.float32, "bfloat16": tf.bfloat16}
    functions = {}
    for name, dtype in dtypes.items():
        a = tf.random.uniform([MATMUL_SIZE, MATMUL_SIZE], dtype=tf.float32)
        a = tf.cast(a, dtype)

        @tf.function
        def repeated(a=a):
            total = tf.zeros([], tf.float32)
            for _ in range(MATMUL_REPEATS):  # a chain, so no product can be skipped
                total += tf.cast(tf.reduce_sum(tf.matmul(a + tf.cast(total, a.dtype), a)[:1, :1]), tf.float32)
            return total

        repeated()
        functions[name] = repeated
    seconds = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            seconds[name].append(timed(fn))
    flops = 2 * MATMUL_SIZE ** 3 * MATMUL_REPEATS
    return {name: flops / median(values) / 1e9 for name, values in seconds.items()}


def peak_dtype(precision: str) -> str:
    """The matmul peak a precision is compared with (float16 has no fast CPU path: its compute is compared
    with float32)."""
    return "bfloat16" if precision == "mixed_bfloat16" else "float32"


class Candidate:
    """One precision's model and its compiled D step, G step, G forward and fit train step on a fixed batch."""

    def __init__(self, precision: str, config, layout, batch):


        self.precision = precision
        self.model = build_model(config, layout)
        model = self.model
        x, c_org, c_trg, alpha = batch["image"], batch["label"], batch["target_label"], batch["alpha"]
        self.d_step = tf.function(lambda: model._d_step(x, c_org, c_trg, alpha))
        self.g_step = tf.function(lambda: model._g_step(x, c_org, c_trg))
        self.g_forward = tf.function(lambda: model.generator(x, c_trg))
        single = {key: value[:1] for key, value in batch.items()}
        self.g_forward_1 = tf.function(lambda: model.generator(single["image"], single["label"]))
        self.flops = stargan_flops(model, config.batch_size)
        model.make_train_function()
        self.memory_batches = iter(tf.data.Dataset.from_tensors(batch).repeat())
        self.seconds = {"d_step": [], "g_step": [], "g_forward_16": [], "g_forward_1": [], "fit_step_d_only": []}

    def fit_step(self, iterator):
        """One model.fit step (the real train_step: schedule, tf.cond, D update, maybe G update)."""
        return self.model.train_function(iterator)

    def run_round(self, timings: bool):
        parts = {"d_step": self.d_step, "g_step": self.g_step, "g_forward_16": self.g_forward,
                 "g_forward_1": self.g_forward_1}
        for name, fn in parts.items():
            seconds = timed(fn)
            if timings:
                self.seconds[name].append(seconds)
        # A fit step that does not update G (step 0 of n_critic > 1): the D step plus train_step's overhead.
        self.model.step.assign(0)
        seconds = timed(lambda: self.fit_step(self.memory_batches))
        if timings:
            self.seconds["fit_step_d_only"].append(seconds)

    def record(self, config, peaks) -> dict:
        m = {name: median(values) for name, values in self.seconds.items()}
        iteration = m["d_step"] + m["g_step"] / config.n_critic
        flops = self.flops
        achieved = flops.iteration / iteration / 1e9
        peak = peaks[peak_dtype(self.precision)]
        official = OFFICIAL.get(config.image_size) if (config.batch_size, config.g_conv_dim) == (16, 64) else None
        record = {
            "kind": "training_step", "precision": self.precision, "image_size": config.image_size,
            "batch_size": config.batch_size, "conv_dim": config.g_conv_dim, "g_repeat_num": config.g_repeat_num,
            "d_repeat_num": config.d_repeat_num, "dataset": config.dataset, "n_critic": config.n_critic,
            "rounds": len(self.seconds["d_step"]),
            "d_step_s": m["d_step"], "g_step_s": m["g_step"], "iteration_s": iteration,
            "images_per_s": config.batch_size / iteration,
            "fit_step_d_only_s": m["fit_step_d_only"],
            "train_step_overhead_s": m["fit_step_d_only"] - m["d_step"],
            "g_forward_batch16_s": m["g_forward_16"],
            "shared_fake_saving_per_iteration_s": m["g_forward_16"] / config.n_critic,
            "inference_ms_per_image_batch1": 1000 * m["g_forward_1"],
            "inference_ms_per_image_batch16": 1000 * m["g_forward_16"] / config.batch_size,
            "flops_g_forward": flops.generator_forward, "flops_d_forward": flops.discriminator_forward,
            "flops_d_step": flops.d_step, "flops_g_step": flops.g_step, "flops_iteration": flops.iteration,
            "achieved_gflops": achieved, "matmul_peak_gflops": peak, "peak_dtype": peak_dtype(self.precision),
            "fraction_of_peak": achieved / peak,
            "all_seconds": self.seconds,
        }
        if official:
            record.update({"official_iteration_s": official["iteration"],
                           "iteration_vs_official": iteration / official["iteration"],
                           "official_inference_ms": official["inference_ms"]})
        return record


def pipeline_throughput(config, image_dir, attr_path, batches: int) -> tuple[float, object]:
    """Images/s the training tf.data pipeline delivers alone (decode, crop, resize, flip, draws), and it."""


    config = dataclasses.replace(config, dataset="celeba", celeba_image_dir=image_dir, attr_path=attr_path,
                                 celeba_test_size=0)
    data = load_run_data(config)
    iterator = iter(data.training_dataset(config))
    for _ in range(3):  # fills the prefetch buffer and autotunes parallelism
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * config.batch_size / (time.perf_counter() - start), data.training_dataset(config)


def main(argv):
    del argv
    if FLAGS.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.intra_op_threads)
    if FLAGS.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(FLAGS.inter_op_threads)
    size, conv_dim, g_repeat, d_repeat, rounds = (FLAGS.image_size, FLAGS.conv_dim, FLAGS.g_repeat_num,
                                                  FLAGS.d_repeat_num, FLAGS.rounds)
    if FLAGS.quick:
        size, conv_dim, g_repeat, d_repeat, rounds = 32, 16, 2, 4, 2
    name = FLAGS.name or f"speed_{size}_b{FLAGS.batch_size}" + ("_quick" if FLAGS.quick else "")
    records = []
    load_before = load()
    keras.utils.set_random_seed(0)
    base = StarGANConfig(image_size=size, batch_size=FLAGS.batch_size, g_conv_dim=conv_dim, d_conv_dim=conv_dim,
                         g_repeat_num=g_repeat, d_repeat_num=d_repeat, dataset=FLAGS.dataset).validate()
    layout = make_layout(base.datasets, base.selected_attrs, RAFD_EXPRESSIONS)

    with tempfile.TemporaryDirectory() as root:
        image_dir, attr_path = write_celeba(os.path.join(root, "celeba"), 4 * FLAGS.batch_size, seed=0)
        pipeline_images_per_s, pipeline = pipeline_throughput(base, image_dir, attr_path, FLAGS.pipeline_batches)
        batch = dict(next(iter(pipeline)))
        if FLAGS.dataset == "both":  # the joint model's label width: embed the CelebA labels into its layout
            for key in ("label", "target_label"):
                batch[key] = tf.constant(layout.embed("celeba", batch[key].numpy()), tf.float32)

        candidates = [Candidate(precision, dataclasses.replace(base, precision=precision).validate(), layout, batch)
                      for precision in FLAGS.precisions]
        peaks = matmul_peaks(FLAGS.precisions, max(3, rounds))
        for round_index in range(FLAGS.warmup + rounds):
            for candidate in candidates:
                candidate.run_round(timings=round_index >= FLAGS.warmup)

        # Training fed by the real input pipeline vs the same steps fed from memory, interleaved, for the
        # fastest precision (where the pipeline is most likely to be what training waits on).
        fastest = min(candidates, key=lambda c: median(c.seconds["d_step"]))
        pipeline_iterator = iter(pipeline)
        fed = {"pipeline": [], "memory": []}
        for round_index in range(1 + rounds):
            for source, iterator in (("pipeline", pipeline_iterator), ("memory", fastest.memory_batches)):
                fastest.model.step.assign(0)
                seconds = timed(lambda: fastest.fit_step(iterator))
                if round_index:
                    fed[source].append(seconds)

    for candidate in candidates:
        emit(candidate.record(base, peaks), records)
    for dtype, gflops in peaks.items():
        emit({"kind": "matmul_peak", "dtype": dtype, "size": MATMUL_SIZE, "gflops": gflops}, records)
    consumption = {c.precision: base.batch_size / c.record(base, peaks)["iteration_s"] for c in candidates}
    emit({"kind": "input_pipeline", "image_size": size, "source": "CelebA-format JPEG 178x218 (synthetic)",
          "transforms": "decode, center crop 178, antialiased resize, flip, target labels, alpha",
          "pipeline_alone_images_per_s": pipeline_images_per_s,
          "training_consumes_images_per_s": consumption,
          "fit_step_fed_by_pipeline_s": median(fed["pipeline"]), "fit_step_fed_from_memory_s": median(fed["memory"]),
          "pipeline_fed_vs_memory": median(fed["pipeline"]) / median(fed["memory"]), "precision": fastest.precision,
          "all_seconds": fed}, records)

    summary = {"name": name, "load_before": load_before, "load_after": load(), "cpu_count": os.cpu_count(),
               "machine": platform.processor() or platform.machine(), "tensorflow": tf.__version__,
               "keras": keras.__version__, "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
               "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
               "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
               "command": " ".join(sys.argv)}
    emit({"kind": "run", **summary}, records)
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    path = os.path.join(FLAGS.output_dir, name + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(records, f, indent=1)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    app.run(main)

"""Training and inference speed of StarGAN (and StarGAN v2's training) on this machine, with analytic FLOPs.

    python benchmarks/speed.py                  # 128x128, batch 16, paper dims: training, pipeline, inference
    python benchmarks/speed.py --parts=v2_training --rounds=3   # StarGAN v2 at 128x128, batch 8, official widths
    python benchmarks/speed.py --parts=inference --rounds=10    # inference latency only
    python benchmarks/speed.py --quick          # a smoke test in a few minutes (32x32, small networks)

Configurations are measured side by side: every round times each of them in turn, and the figures are medians
over rounds, so load from other processes affects all configurations alike. Training is timed per precision,
with the model as trained (D's matmul convolutions and LeakyReLU without a second derivative, G's forward pass
shared between the D and G updates) and with --baselines: by default D built from Keras's own Conv2D and
LeakyReLU and no sharing (the code before these optimisations). Inference is timed for Keras (each
precision), the loaded SavedModel and TFLite (LiteRT) under several interpreter settings. Prints one JSON
line per measurement and writes them all to benchmarks/results/<name>.json with the machine load
(/proc/loadavg) before and after.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from host import pipeline_throughput, synthetic_celeba_config  # noqa: E402
from stargan_tf.core import export  # noqa: E402
from stargan_tf.families.stargan import serving  # noqa: E402
from stargan_tf.families.stargan.config import StarGANConfig  # noqa: E402
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS  # noqa: E402
from stargan_tf.families.stargan.flops import stargan_flops  # noqa: E402
from stargan_tf.data.labels import make_layout  # noqa: E402
from stargan_tf.families.stargan import discriminator as discriminator_module  # noqa: E402
from stargan_tf.families.stargan.family import build_model  # noqa: E402

PARTS = ("training", "pipeline", "inference", "v2_training")
FLAGS = flags.FLAGS
flags.DEFINE_integer("image_size", 128, "image size")
flags.DEFINE_integer("batch_size", 16, "batch size")
flags.DEFINE_integer("conv_dim", 64, "g_conv_dim and d_conv_dim")
flags.DEFINE_integer("g_repeat_num", 6, "residual blocks in G")
flags.DEFINE_integer("d_repeat_num", 6, "stride-2 convolutions in D")
flags.DEFINE_enum("dataset", "celeba", ["celeba", "both"], "label layout of the model (5 or 15 label channels)")
flags.DEFINE_list("precisions", ["float32", "mixed_bfloat16"], "precisions to compare side by side")
flags.DEFINE_list("parts", list(PARTS[:3]), f"what to measure, some of {', '.join(PARTS)} (v2_training: the StarGAN "
                  "v2 training iteration per precision, --v2_image_size, --v2_batch_size, official widths)")
flags.DEFINE_integer("v2_image_size", 128, "StarGAN v2 image size (official widths: 2**14 // size, capped at 512)")
flags.DEFINE_integer("v2_batch_size", 8, "StarGAN v2 batch size (the official 8)")
flags.DEFINE_integer("v2_domains", 2, "StarGAN v2 domains (CelebA-HQ: 2, AFHQ: 3)")
flags.DEFINE_list("baselines", ["keras_d"], "training baselines timed beside the model as trained: keras_d (D "
                  "from Keras's Conv2D and LeakyReLU, no sharing: the code before these optimisations), keras_conv "
                  "or keras_leaky_relu (only that layer from Keras: what each D change buys); empty: none")
flags.DEFINE_integer("rounds", 5, "timed rounds (each times every configuration once)")
flags.DEFINE_integer("warmup", 1, "untimed rounds first (tracing, oneDNN kernel selection)")
flags.DEFINE_integer("pipeline_batches", 20, "batches timed for the input pipeline alone")
flags.DEFINE_list("inference_formats", ["saved_model", "tflite_float32", "tflite_int8_dynamic"],
                  f"exported formats timed for inference, some of {', '.join(export.FORMATS)}")
flags.DEFINE_list("tflite_threads", ["1", "2"], "LiteRT interpreter thread counts to compare")
flags.DEFINE_list("inference_batches", ["1", "16"], "batch sizes inference is timed at")
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
# LiteRT interpreter settings compared: XNNPACK (its default delegate), XNNPACK with its flag-protected
# features (among them dynamic-range quantized convolutions), and the built-in kernels without delegates.
TFLITE_SETTINGS = {"xnnpack": {}, "xnnpack_latest": {"experimental_default_delegate_latest_features": True},
                   "builtin": {"experimental_op_resolver_type": "BUILTIN_WITHOUT_DEFAULT_DELEGATES"}}


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


def matmul_peaks(rounds) -> dict:
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


# Baseline name: the layers of ours that Keras's replace in D (see keras_discriminator_layers).
BASELINES = {"keras_d": ("MatmulConv2D", "LeakyReLU"), "keras_conv": ("MatmulConv2D",),
             "keras_leaky_relu": ("LeakyReLU",)}
KERAS_LAYERS = {"MatmulConv2D": keras.layers.Conv2D, "LeakyReLU": keras.layers.LeakyReLU}


@contextlib.contextmanager
def keras_discriminator_layers(names):
    """Discriminators built inside use Keras's layer for each of ours named (MatmulConv2D -> Conv2D, LeakyReLU):
    D as it was before those optimisations."""
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(mock.patch.object(discriminator_module, name, KERAS_LAYERS[name]))
        yield


class Candidate:
    """One training configuration: its model and compiled steps on a fixed batch.

    d_step: a D update with its own G forward pass (n_critic - 1 of every n_critic iterations); g_step: a G
    update alone (the official code's G step); d_and_g_step: both updates sharing G's forward pass (the
    iteration that updates G). A baseline (one of BASELINES) times d_step and g_step only: its iteration is
    the one before sharing, D + G / n_critic.
    """

    def __init__(self, precision: str, baseline: str | None, config, layout, batch):
        self.precision, self.baseline = precision, baseline
        self.name = precision + (f" (baseline {baseline})" if baseline else "")
        with keras_discriminator_layers(BASELINES[baseline] if baseline else ()):
            self.model = build_model(config, layout)
        model = self.model
        x, c_org, c_trg, alpha = batch["image"], batch["label"], batch["target_label"], batch["alpha"]
        self.parts = {"d_step": tf.function(lambda: model._d_step(x, c_org, c_trg, alpha)),
                      "g_step": tf.function(lambda: model._g_step(x, c_org, c_trg))}
        if not baseline:
            self.parts["d_and_g_step"] = tf.function(lambda: model._g_step(
                x, c_org, c_trg, lambda x_fake: model._d_step(x, c_org, c_trg, alpha, x_fake)))
            self.memory_batches = iter(tf.data.Dataset.from_tensors(batch).repeat())
            # model.fit steps (the real train_step: schedule, tf.cond, updates) without and with the G update.
            self.parts["fit_step_d_only"] = lambda: self.fit_step(self.memory_batches, step=0)
            self.parts["fit_step_with_g"] = lambda: self.fit_step(self.memory_batches, step=config.n_critic - 1)
            model.make_train_function()
        self.flops = stargan_flops(model, config.batch_size)
        self.seconds = {name: [] for name in self.parts}

    def fit_step(self, iterator, step: int = 0):
        """One model.fit step at a step count (so at a known place in the n_critic cycle)."""
        self.model.step.assign(step)
        return self.model.train_function(iterator)

    def run_round(self, timings: bool):
        for name, fn in self.parts.items():
            seconds = timed(fn)
            if timings:
                self.seconds[name].append(seconds)

    def record(self, config, peaks) -> dict:
        m = {name: median(values) for name, values in self.seconds.items()}
        n = config.n_critic
        unshared = m["d_step"] + m["g_step"] / n
        iteration = unshared if self.baseline else ((n - 1) * m["d_step"] + m["d_and_g_step"]) / n
        flops = self.flops
        achieved = flops.iteration / iteration / 1e9
        peak = peaks[peak_dtype(self.precision)]
        official = OFFICIAL.get(config.image_size) if (config.batch_size, config.g_conv_dim) == (16, 64) else None
        record = {
            "kind": "training_step", "configuration": self.name, "precision": self.precision,
            "baseline": self.baseline, "image_size": config.image_size, "batch_size": config.batch_size,
            "conv_dim": config.g_conv_dim, "g_repeat_num": config.g_repeat_num, "d_repeat_num": config.d_repeat_num,
            "dataset": config.dataset, "n_critic": n, "rounds": len(self.seconds["d_step"]),
            **{f"{name}_s": value for name, value in m.items()},
            "iteration_s": iteration, "iteration_unshared_s": unshared, "images_per_s": config.batch_size / iteration,
            "flops_g_forward": flops.generator_forward, "flops_d_forward": flops.discriminator_forward,
            "flops_d_step": flops.d_step, "flops_g_step": flops.g_step, "flops_iteration": flops.iteration,
            "achieved_gflops": achieved, "matmul_peak_gflops": peak, "peak_dtype": peak_dtype(self.precision),
            "fraction_of_peak": achieved / peak,
            "all_seconds": self.seconds,
        }
        if not self.baseline:
            fit_iteration = ((n - 1) * m["fit_step_d_only"] + m["fit_step_with_g"]) / n
            record.update({"sharing_saves_per_iteration_s": unshared - iteration,
                           "fit_iteration_s": fit_iteration, "train_step_overhead_s": fit_iteration - iteration})
        if official:
            record.update({"official_iteration_s": official["iteration"],
                           "iteration_vs_official": iteration / official["iteration"]})
        return record


class SettingsTFLiteTranslator(serving.TFLiteTranslator):
    """serving.TFLiteTranslator on a LiteRT interpreter with extra settings (one of TFLITE_SETTINGS)."""

    def __init__(self, model_content: bytes, layout, num_threads: int, settings: dict):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        settings = dict(settings)
        if "experimental_op_resolver_type" in settings:
            settings["experimental_op_resolver_type"] = OpResolverType[settings["experimental_op_resolver_type"]]
        interpreter = Interpreter(model_content=model_content, num_threads=num_threads, **settings)
        self.run = interpreter.get_signature_runner(serving.TFLITE_SIGNATURE)
        self.layout = layout


def inference_backends(candidates, layout, size: int, images, targets, directory: str):
    """{name: (exported format or None, fn(images, targets))} for Keras (each precision), the SavedModel and
    each TFLite format under each interpreter setting, all of the float32 candidate's G; and the exported
    formats' sizes and parity against Keras."""
    backends = {}
    for candidate in candidates:
        if not candidate.baseline:
            generator = tf.function(candidate.model.generator)
            backends[f"keras_{candidate.precision}"] = (
                None, lambda x, c, g=generator: g(tf.constant(x), tf.constant(c)))
    float32 = next(c for c in candidates if c.precision == "float32" and not c.baseline)
    serving_model = serving.ServingModel(float32.model.generator, layout, size)
    formats = export.export_formats(serving_model, directory, 1, FLAGS.inference_formats, (images, targets),
                                    calibration=list(zip(images, targets)))
    for name, result in formats.items():
        if name == export.SAVED_MODEL:
            signature = tf.saved_model.load(result["path"]).signatures["translate_float"]
            backends[name] = (name, lambda x, c: signature(image=tf.constant(x), target_labels=tf.constant(c))
                              ["translated"])
            continue
        with open(result["path"], "rb") as f:
            content = f.read()
        for threads in map(int, FLAGS.tflite_threads):
            for setting, options in TFLITE_SETTINGS.items():
                backends[f"{name}_{setting}_threads{threads}"] = (
                    name, SettingsTFLiteTranslator(content, layout, threads, options))
    return backends, formats


def time_inference(backends, images, targets, rounds: int, warmup: int) -> dict:
    """{backend: {batch: [seconds per call]}}, backends and batch sizes interleaved in every round."""
    batches = [int(b) for b in FLAGS.inference_batches]
    seconds = {name: {batch: [] for batch in batches} for name in backends}
    for round_index in range(warmup + rounds):
        for name, (_, run) in backends.items():
            for batch in batches:
                elapsed = timed(lambda: np.asarray(run(images[:batch], targets[:batch])))
                if round_index >= warmup:
                    seconds[name][batch].append(elapsed)
    return seconds


def inference_records(backends, seconds, formats, size: int) -> list[dict]:
    """One record per backend: ms per image at each batch size, and its exported format's size and parity."""
    official = OFFICIAL.get(size, {}).get("inference_ms")
    records = []
    for name, per_batch in seconds.items():
        record = {"kind": "inference", "backend": name, "image_size": size,
                  **{f"ms_per_image_batch{batch}": 1000 * median(values) / batch
                     for batch, values in per_batch.items()},
                  "official_pytorch_ms_batch1": official}
        format_name = backends[name][0]
        if format_name:
            record.update({key: value for key, value in formats[format_name].items() if key != "path"})
        records.append({**record, "all_seconds": per_batch})
    return records


def v2_training_records(precisions, size: int, batch_size: int, num_domains: int, rounds: int, warmup: int):
    """One official StarGAN v2 iteration (2 D and 2 G updates, the moving averages) per precision, timed side by
    side as model.fit runs it (its traced train_step) on a fixed batch: a record per precision, with the ratio to
    float32."""
    from stargan_tf.families.stargan_v2.config import StarGANv2Config
    from stargan_tf.families.stargan_v2.family import build_model as build_v2

    rng = np.random.default_rng(0)
    images = lambda: tf.constant(rng.uniform(-1, 1, [batch_size, size, size, 3]), tf.float32)  # noqa: E731
    domains = lambda: tf.constant(rng.integers(0, num_domains, [batch_size]), tf.int32)  # noqa: E731
    candidates = {}
    for precision in precisions:
        config = StarGANv2Config(image_size=size, batch_size=batch_size, precision=precision).validate()
        keras.utils.set_random_seed(0)
        model = build_v2(config, [f"domain{k}" for k in range(num_domains)])
        batch = {"x_src": images(), "y_src": domains(), "x_ref": images(), "x_ref2": images(), "y_ref": domains(),
                 "z_trg": tf.constant(rng.standard_normal([batch_size, config.latent_dim]), tf.float32),
                 "z_trg2": tf.constant(rng.standard_normal([batch_size, config.latent_dim]), tf.float32)}
        model.make_train_function()
        candidates[precision] = (model, iter(tf.data.Dataset.from_tensors(batch).repeat()), [])
    for round_index in range(warmup + rounds):
        for model, iterator, seconds in candidates.values():
            elapsed = timed(lambda: model.train_function(iterator))
            if round_index >= warmup:
                seconds.append(elapsed)
    float32 = median(candidates["float32"][2]) if "float32" in candidates else None
    records = []
    for precision, (model, _, seconds) in candidates.items():
        parameters = {name: network.count_params() for name, network in model.networks.items()
                      if not name.endswith("_ema")}
        records.append({"kind": "v2_training_iteration", "precision": precision, "image_size": size,
                        "batch_size": batch_size, "domains": num_domains, "iteration_s": median(seconds),
                        "vs_float32": median(seconds) / float32 if float32 else None,
                        "images_per_s": batch_size / median(seconds), "parameters": parameters,
                        "all_seconds": seconds})
    return records


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # the exporters log every asset they write
    for flag, known in (("parts", PARTS), ("baselines", BASELINES)):
        unknown = sorted(set(FLAGS[flag].value) - set(known))
        if unknown:
            raise app.UsageError(f"--{flag}: unknown {', '.join(unknown)}; expected some of {', '.join(known)}")
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
    if "v2_training" in FLAGS.parts:
        for record in v2_training_records(FLAGS.precisions, FLAGS.v2_image_size, FLAGS.v2_batch_size,
                                          FLAGS.v2_domains, rounds, FLAGS.warmup):
            emit(record, records)
        if set(FLAGS.parts) == {"v2_training"}:
            write_results(FLAGS.name or f"speed_v2_{FLAGS.v2_image_size}_b{FLAGS.v2_batch_size}", records,
                          load_before)
            return
    keras.utils.set_random_seed(0)
    base = StarGANConfig(image_size=size, batch_size=FLAGS.batch_size, g_conv_dim=conv_dim, d_conv_dim=conv_dim,
                         g_repeat_num=g_repeat, d_repeat_num=d_repeat, dataset=FLAGS.dataset).validate()
    layout = make_layout(base.datasets, base.selected_attrs, RAFD_EXPRESSIONS)
    precisions = FLAGS.precisions
    if "inference" in FLAGS.parts and "float32" not in precisions:
        precisions = ["float32"] + precisions  # inference exports the float32 G

    with tempfile.TemporaryDirectory() as root:
        pipeline_images_per_s, pipeline = pipeline_throughput(synthetic_celeba_config(base, root),
                                                              FLAGS.pipeline_batches)
        batch = dict(next(iter(pipeline)))
        if FLAGS.dataset == "both":  # the joint model's label width: embed the CelebA labels into its layout
            for key in ("label", "target_label"):
                batch[key] = tf.constant(layout.embed("celeba", batch[key].numpy()), tf.float32)
        configs = {precision: dataclasses.replace(base, precision=precision).validate() for precision in precisions}
        candidates = [Candidate(precision, None, configs[precision], layout, batch) for precision in precisions]
        if "training" in FLAGS.parts:
            candidates += [Candidate(precision, baseline, configs[precision], layout, batch)
                           for baseline in FLAGS.baselines for precision in precisions]
            peaks = matmul_peaks(max(3, rounds))
            for round_index in range(FLAGS.warmup + rounds):
                for candidate in candidates:
                    candidate.run_round(timings=round_index >= FLAGS.warmup)
            for candidate in candidates:
                emit(candidate.record(base, peaks), records)
            for dtype, gflops in peaks.items():
                emit({"kind": "matmul_peak", "dtype": dtype, "size": MATMUL_SIZE, "gflops": gflops}, records)

        if "pipeline" in FLAGS.parts:
            # Training fed by the real input pipeline vs the same steps fed from memory, interleaved, for the
            # last precision asked for (the fastest: where the pipeline is most likely what training waits on).
            fastest = next(c for c in candidates if c.precision == FLAGS.precisions[-1] and not c.baseline)
            pipeline_iterator = iter(pipeline)
            fed = {"pipeline": [], "memory": []}
            for round_index in range(1 + rounds):
                for source, iterator in (("pipeline", pipeline_iterator), ("memory", fastest.memory_batches)):
                    seconds = timed(lambda: fastest.fit_step(iterator))
                    if round_index:
                        fed[source].append(seconds)
            emit({"kind": "input_pipeline", "image_size": size, "source": "CelebA-format JPEG 178x218 (synthetic)",
                  "transforms": "decode, center crop 178, antialiased resize, flip, target labels, alpha",
                  "pipeline_alone_images_per_s": pipeline_images_per_s,
                  "training_consumes_images_per_s": {record["configuration"]: record["images_per_s"]
                                                     for record in records if record["kind"] == "training_step"},
                  "fit_step_fed_by_pipeline_s": median(fed["pipeline"]),
                  "fit_step_fed_from_memory_s": median(fed["memory"]),
                  "pipeline_fed_vs_memory": median(fed["pipeline"]) / median(fed["memory"]),
                  "precision": fastest.precision, "all_seconds": fed}, records)

        if "inference" in FLAGS.parts:
            images, targets = batch["image"].numpy(), batch["target_label"].numpy()
            backends, formats = inference_backends(candidates, layout, size, images, targets,
                                                   os.path.join(root, "exported"))
            seconds = time_inference(backends, images, targets, rounds, FLAGS.warmup)
            for record in inference_records(backends, seconds, formats, size):
                emit(record, records)

    write_results(name, records, load_before)


def write_results(name: str, records: list, load_before) -> None:
    """Emits the run's summary and writes every record to <output_dir>/<name>.json."""
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

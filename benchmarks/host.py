"""What the benchmark scripts beside it share: the machine a benchmark ran on (recorded with its results), medians,
a StarGAN with random weights."""
import dataclasses
import json
import os
import pathlib
import platform
import statistics
import time

import tensorflow as tf


def machine() -> dict:
    """nproc, CPU model, TF version and the load when the benchmark started (other jobs may share the cores)."""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model, "tensorflow": tf.__version__,
            "python": platform.python_version(), "load_average_at_start": os.getloadavg()}


def call_seconds(function, runs: int, warmup: int) -> list[float]:
    """The wall times of runs calls of function, after warmup untimed calls (first calls trace graphs)."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def median_seconds(function, runs: int, warmup: int) -> float:
    """The median of call_seconds."""
    return statistics.median(call_seconds(function, runs, warmup))


def write_medians(result: dict, path: str) -> None:
    """Prints result["median_seconds"] in milliseconds; writes result as JSON, with the load at the end added to its
    "machine"."""
    for step, seconds in result["median_seconds"].items():
        print(f"{step:>16}: {seconds * 1000:8.1f} ms")
    result["machine"]["load_average_at_end"] = os.getloadavg()
    pathlib.Path(path).write_text(json.dumps(result, indent=2) + "\n")


def synthetic_celeba_config(config, root: str):
    """config training on CelebA alone from 4 batches of synthetic CelebA-format images written under root, none
    held out: the input of pipeline_throughput."""
    from stargan_tf.data.synthetic import write_celeba

    image_dir, attr_path = write_celeba(os.path.join(root, "celeba"), 4 * config.batch_size, seed=0)
    return dataclasses.replace(config, dataset="celeba", celeba_image_dir=image_dir, attr_path=attr_path,
                               celeba_test_size=0)


def pipeline_throughput(config, batches: int) -> tuple[float, object]:
    """Images/s a StarGAN config's training tf.data pipeline delivers alone (decode, crop, resize, flip, draws),
    and that dataset."""
    from stargan_tf.families.stargan.data import load_run_data

    dataset = load_run_data(config).training_dataset(config)
    iterator = iter(dataset)
    for _ in range(3):  # fills the prefetch buffer and autotunes parallelism
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * config.batch_size / (time.perf_counter() - start), dataset


def random_translator(preset: str = "quick"):
    """A preset's StarGAN translator (CelebA attributes; quick: 32x32, paper: 128x128) with random weights, behind
    its serving signatures."""
    from stargan_tf.core.export import SQUARE
    from stargan_tf.data.labels import make_layout
    from stargan_tf.data.synthetic import SYNTHETIC_CELEBA_ATTRS
    from stargan_tf.families.stargan import serving
    from stargan_tf.families.stargan.config import PRESETS, StarGANConfig
    from stargan_tf.families.stargan.family import build_model
    from stargan_tf.families.stargan.translate import Translator

    config = StarGANConfig(**{**PRESETS[preset], "dataset": "celeba"})
    layout = make_layout(["celeba"], SYNTHETIC_CELEBA_ATTRS)
    model = build_model(config, layout, optimizer=None)
    served = serving.ServingModel(model.generator, layout, config.image_size, SQUARE, model.discriminator)
    endpoints = served.endpoints()
    signatures = {name: tf.function(function, input_signature=spec) for name, (function, spec) in endpoints.items()}
    return Translator(signatures, f"the {preset} preset's StarGAN, random weights")

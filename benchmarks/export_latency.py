"""Sizes, parity and batch-1 latency of the paper-size generator as Keras, SavedModel and TFLite.

`python benchmarks/export_latency.py` (128x128, c_dim 5, seeded random weights: latency and size do not depend
on training; parity does a little). Backends are timed in interleaved rounds, so a noisy shared machine
slows them alike; medians are reported. Writes benchmarks/results/export_latency.json.
"""
import json
import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

from stargan_tf import export
from stargan_tf.labels import make_layout
from stargan_tf.models.generator import Generator

flags.DEFINE_integer("image_size", 128, "generator input size")
flags.DEFINE_integer("rounds", 15, "timed calls per backend (after one warm-up call)")
flags.DEFINE_integer("tflite_threads", os.cpu_count(), "TFLite interpreter threads (TF uses every core)")
flags.DEFINE_integer("parity_images", 4, "noise images to compare formats on")
flags.DEFINE_string("output", os.path.join(os.path.dirname(__file__), "results", "export_latency.json"), "JSON")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    size = FLAGS.image_size
    keras.utils.set_random_seed(0)
    layout = make_layout(["celeba"], ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"))
    generator = Generator(layout.label_dim)
    generator(tf.zeros([1, size, size, 3]), tf.zeros([1, layout.label_dim]))
    model = export.ServingModel(generator, layout, size)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, [FLAGS.parity_images, size, size, 3]).astype(np.float32)
    targets = np.repeat(export.example_target(layout), FLAGS.parity_images, axis=0)
    with tempfile.TemporaryDirectory() as directory:
        results = export.export_formats(model, directory, 1, export.FORMATS, (images, targets),
                                        calibration=list(zip(images, targets)))
        for result in results.values():
            del result["path"]
        signature = tf.saved_model.load(os.path.join(directory, "1")).signatures["translate_float"]
        backends = {"keras": lambda x, c: generator(x, c),
                    "saved_model": lambda x, c: signature(image=tf.constant(x), target_labels=tf.constant(c))}
        for variant in export.TFLITE_VARIANTS:
            with open(os.path.join(directory, "tflite", "1", f"stargan_{variant}.tflite"), "rb") as f:
                backends[f"tflite_{variant}"] = export.TFLiteTranslator(f.read(), FLAGS.tflite_threads)
        x, c = images[:1], targets[:1]
        times = {name: [] for name in backends}
        for name, run in backends.items():
            np.asarray(run(x, c))  # warm-up (tracing, allocation)
        for _ in range(FLAGS.rounds):
            for name, run in backends.items():
                start = time.perf_counter()
                np.asarray(run(x, c))
                times[name].append(time.perf_counter() - start)
    latency = {name: {"median_ms": 1000 * float(np.median(values)), "min_ms": 1000 * float(np.min(values))}
               for name, values in times.items()}
    report = {"image_size": size, "c_dim": layout.label_dim, "weights": "random (seed 0)",
              "generator_parameters": generator.count_params(), "rounds": FLAGS.rounds, "batch": 1,
              "tflite_threads": FLAGS.tflite_threads, "calibration": "the parity noise images",
              "formats": results, "latency": latency, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg()}
    for name, result in results.items():
        print(f"{name:<22} {result['size_bytes'] / 1e6:8.2f} MB  max|diff| {result['max_abs_diff']:.2e}  "
              f"PSNR {result['psnr_db']:.1f} dB")
    for name, values in latency.items():
        print(f"{name:<22} median {values['median_ms']:8.1f} ms  min {values['min_ms']:8.1f} ms")
    os.makedirs(os.path.dirname(FLAGS.output), exist_ok=True)
    with open(FLAGS.output, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    app.run(main)

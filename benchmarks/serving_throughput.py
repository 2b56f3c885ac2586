"""SavedModel throughput of both families at the sizes people serve, and StarGAN v2's TFLite int8-dynamic latency.

    python benchmarks/serving_throughput.py                       # StarGAN 128 (paper G), StarGAN v2 256 (official)
    python benchmarks/serving_throughput.py --families=stargan --batches=1,8

Random weights (speed does not depend on them): each model is exported as TF Serving loads it (the SavedModel of
stargan-export), loaded back, and its photo signature (uint8 photos of the model's size: StarGAN's
serving_default, StarGAN v2's latent_guided and reference_guided) called on --batches, --rounds timed calls after
one untimed; images/s = batch / median seconds. StarGAN v2's TFLite int8-dynamic file (both signatures, batch 1,
XNNPACK, 2 threads) is timed too. Results: results/serving_throughput.json.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from host import call_seconds, machine  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("families", ["stargan", "stargan_v2"], "which families")
flags.DEFINE_list("batches", ["1", "8", "32"], "batch sizes")
flags.DEFINE_integer("rounds", 3, "timed calls per batch size")
flags.DEFINE_boolean("tflite", True, "also StarGAN v2's TFLite int8-dynamic latency")
flags.DEFINE_string("output", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                           "serving_throughput.json"), "where the records go")


def median_seconds(function, rounds: int) -> tuple[float, list]:
    """(median, every sample) of rounds timed calls after one untimed."""
    seconds = call_seconds(function, rounds, warmup=1)
    return statistics.median(seconds), seconds


def serving_models():
    """{family: (serving model, {signature: function(batch) -> inputs})} with random weights."""
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    models = {}
    if "stargan" in FLAGS.families:
        from stargan_tf.data.labels import make_layout
        from stargan_tf.data.synthetic import RAFD_EXPRESSIONS
        from stargan_tf.families.stargan import serving
        from stargan_tf.families.stargan.config import StarGANConfig
        from stargan_tf.families.stargan.family import build_model

        config = StarGANConfig(dataset="celeba", image_size=128).validate()
        layout = make_layout(config.datasets, config.selected_attrs, RAFD_EXPRESSIONS)
        model = build_model(config, layout, None)
        served = serving.ServingModel(model.translator, layout, config.image_size)

        def stargan_inputs(batch):
            return {"image": tf.constant(rng.integers(0, 256, [batch, 128, 128, 3]), tf.uint8),
                    "target_labels": tf.constant(rng.random([batch, layout.label_dim]) > 0.5, tf.float32)}
        models["stargan"] = (served, {"serving_default": stargan_inputs})
    if "stargan_v2" in FLAGS.families:
        from stargan_tf.families.stargan_v2.config import StarGANv2Config
        from stargan_tf.families.stargan_v2.family import build_model as build_v2
        from stargan_tf.families.stargan_v2.serving import LATENT, REFERENCE, StyleServingModel

        config = StarGANv2Config(image_size=256).validate()
        served = StyleServingModel(build_v2(config, ["cat", "dog", "wild"], None))

        def photos(batch):
            return tf.constant(rng.integers(0, 256, [batch, 256, 256, 3]), tf.uint8)

        def domains(batch):
            return tf.constant(rng.integers(0, 3, [batch]), tf.int32)
        models["stargan_v2"] = (served, {
            LATENT: lambda batch: {"image": photos(batch), "domain": domains(batch),
                                   "z": tf.constant(rng.standard_normal([batch, config.latent_dim]), tf.float32)},
            REFERENCE: lambda batch: {"image": photos(batch), "reference": photos(batch), "domain": domains(batch)}})
    return models


def main(argv):
    del argv
    import tensorflow as tf

    from stargan_tf.core.export import export_saved_model, tflite_model

    host, records = machine(), []
    with tempfile.TemporaryDirectory() as root:
        for family, (served, signatures) in serving_models().items():
            path = export_saved_model(served, os.path.join(root, family, "1"), warmup=False)
            loaded = tf.saved_model.load(path).signatures
            for signature, inputs in signatures.items():
                for batch in map(int, FLAGS.batches):
                    feeds = inputs(batch)
                    seconds, samples = median_seconds(lambda: loaded[signature](**feeds), FLAGS.rounds)
                    records.append({"family": family, "format": "saved_model", "signature": signature,
                                    "batch": batch, "median_s": seconds, "images_per_s": batch / seconds,
                                    "all_s": samples, "load": os.getloadavg()})
                    print(f"{family:10s} SavedModel {signature:17s} batch {batch:3d}: {seconds * 1000:9.1f} ms, "
                          f"{batch / seconds:7.2f} images/s", flush=True)
            if family == "stargan_v2" and FLAGS.tflite:
                from stargan_tf.families.stargan_v2.serving import TFLiteStyleTranslator

                content = tflite_model(served, "int8_dynamic")
                translator = TFLiteStyleTranslator(content, len(served.domains), num_threads=2)
                example = served.example_inputs(1)
                latent, reference = example["latent_guided"], example["reference_guided"]
                calls = {"latent_guided": lambda: translator.latent_guided(latent["image"], latent["domain"],
                                                                           latent["z"]),
                         "reference_guided": lambda: translator.reference_guided(
                             reference["image"], reference["reference"], reference["domain"])}
                for signature, call in calls.items():
                    seconds, samples = median_seconds(call, FLAGS.rounds)
                    records.append({"family": family, "format": "tflite_int8_dynamic", "signature": signature,
                                    "batch": 1, "median_s": seconds, "images_per_s": 1 / seconds, "all_s": samples,
                                    "size_mb": len(content) / 1e6, "load": os.getloadavg()})
                    print(f"{family:10s} TFLite int8-dynamic {signature:17s} batch 1: {seconds * 1000:9.1f} ms "
                          f"({len(content) / 1e6:.0f} MB)", flush=True)
    os.makedirs(os.path.dirname(FLAGS.output), exist_ok=True)
    with open(FLAGS.output, "w") as f:
        json.dump({"benchmark": "serving_throughput", "machine": {**host, "load_average_at_end": os.getloadavg()},
                   "rounds": FLAGS.rounds, "records": records}, f, indent=1)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)

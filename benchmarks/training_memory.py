"""Training iteration time and peak memory of both families against the official PyTorch code, on this machine.

    python benchmarks/training_memory.py                                  # the default configurations below
    python benchmarks/training_memory.py --configurations=stargan_v2_128   # one

Each (configuration, implementation) runs in its own subprocess, so its peak resident set size (VmHWM) is its own:
the process builds the networks and optimizers, runs --warmup untimed and --rounds timed iterations on a fixed
batch, and reports the median iteration and its peak RSS, and the RSS before building (the framework alone).
Implementations: ours under float32 and mixed_bfloat16 (model.fit's traced train_step), and the official layout
and losses in PyTorch (float32, the official code has no other precision): yunjey/stargan's solver step
(benchmarks/official_speed.py) and clovaai/stargan-v2's iteration (stargan_tf.interop.torch_reference_v2:
two D updates, two G updates, the moving averages). An iteration of StarGAN is one D update and a G update every
n_critic (5) iterations: --rounds rounds of 5 iterations each. The subprocesses of one configuration run one
after the other, so compare their ratios, with the load recorded. Needs torch (the test extra).
Results: results/training_memory.json, one record per (configuration, implementation).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from official_speed import official_timers  # noqa: E402 (also defines --rounds, --warmup and --threads)

# name -> (family, image size, batch size): the paper's StarGAN, StarGAN v2 at the official widths. The official
# v2 batch of 8 at 256 px (stargan_v2_256) peaks at 17.5 GB in PyTorch and takes about 15 minutes for the three
# implementations, so it is not a default; 256 px runs at batch 2 by default, the batch people with 8 GB GPUs
# report using.
CONFIGURATIONS = {"stargan_128": ("stargan", 128, 16), "stargan_v2_128": ("stargan_v2", 128, 8),
                  "stargan_v2_256_b2": ("stargan_v2", 256, 2), "stargan_v2_256": ("stargan_v2", 256, 8)}
DEFAULT_CONFIGURATIONS = ("stargan_128", "stargan_v2_128", "stargan_v2_256_b2")
IMPLEMENTATIONS = ("float32", "mixed_bfloat16", "official")
N_CRITIC = 5
V2_DOMAINS = 2

FLAGS = flags.FLAGS
flags.DEFINE_list("configurations", list(DEFAULT_CONFIGURATIONS), f"of {', '.join(CONFIGURATIONS)}")
flags.DEFINE_list("implementations", list(IMPLEMENTATIONS), f"of {', '.join(IMPLEMENTATIONS)}")
FLAGS.set_default("rounds", 3)  # of 5 iterations for StarGAN
flags.DEFINE_string("child", "", "internal: run one configuration,implementation in this process")
flags.DEFINE_string("output", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                           "training_memory.json"), "where the records go")


def rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak so far) of this process, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def v2_batch(size: int, batch: int, latent_dim: int = 16):
    import numpy as np

    rng = np.random.default_rng(0)
    images = lambda: rng.uniform(-1, 1, [batch, size, size, 3]).astype(np.float32)  # noqa: E731
    domains = lambda: rng.integers(0, V2_DOMAINS, [batch]).astype(np.int32)  # noqa: E731
    return {"x_src": images(), "y_src": domains(), "x_ref": images(), "x_ref2": images(), "y_ref": domains(),
            "z_trg": rng.standard_normal([batch, latent_dim]).astype(np.float32),
            "z_trg2": rng.standard_normal([batch, latent_dim]).astype(np.float32)}


def ours(family: str, size: int, batch: int, precision: str):
    """A zero-argument function running one round of our training (model.fit's train function) and the iterations
    it covers."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    if family == "stargan_v2":
        from stargan_tf.families.stargan_v2.config import StarGANv2Config
        from stargan_tf.families.stargan_v2.family import build_model

        config = StarGANv2Config(image_size=size, batch_size=batch, precision=precision).validate()
        model = build_model(config, [f"domain{k}" for k in range(V2_DOMAINS)])
        data = {name: tf.constant(value) for name, value in v2_batch(size, batch).items()}
        iterations = 1
    else:
        import numpy as np

        from stargan_tf.data.labels import make_layout
        from stargan_tf.data.synthetic import RAFD_EXPRESSIONS
        from stargan_tf.families.stargan.config import StarGANConfig
        from stargan_tf.families.stargan.family import build_model

        config = StarGANConfig(dataset="celeba", image_size=size, batch_size=batch, precision=precision).validate()
        layout = make_layout(config.datasets, config.selected_attrs, RAFD_EXPRESSIONS)
        model = build_model(config, layout)
        rng = np.random.default_rng(0)
        labels = (rng.random([batch, layout.label_dim]) > 0.5).astype(np.float32)
        data = {"image": tf.constant(rng.uniform(-1, 1, [batch, size, size, 3]), tf.float32),
                "label": tf.constant(labels), "target_label": tf.constant(labels[::-1]),
                "alpha": tf.constant(rng.random([batch, 1, 1, 1]), tf.float32)}
        iterations = N_CRITIC
    model.make_train_function()
    batches = iter(tf.data.Dataset.from_tensors(data).repeat())

    def round_():
        for _ in range(iterations):
            logs = model.train_function(batches)
        float(next(iter(logs.values())))  # waits for the last step
    return round_, iterations


def official(family: str, size: int, batch: int):
    """One round of the official PyTorch training and the iterations it covers."""
    import torch

    torch.set_num_threads(FLAGS.threads)
    if family == "stargan":
        timers = official_timers(size, batch)

        def round_():
            for _ in range(N_CRITIC):
                timers["d_step"]()
            timers["g_step"]()
        return round_, N_CRITIC
    from stargan_tf.families.stargan_v2.config import StarGANv2Config
    from stargan_tf.interop import torch_reference_v2 as reference

    c = StarGANv2Config(image_size=size, batch_size=batch).validate()
    base = c.base_dim or 2 ** 14 // size
    torch.manual_seed(0)
    nets = {"generator": reference.Generator(size, c.style_dim, c.max_conv_dim, base),
            "mapping_network": reference.MappingNetwork(V2_DOMAINS, c.latent_dim, c.style_dim, c.mapping_dim),
            "style_encoder": reference.StyleEncoder(V2_DOMAINS, size, c.style_dim, c.max_conv_dim, base),
            "discriminator": reference.Discriminator(V2_DOMAINS, size, c.max_conv_dim, base)}
    trainer = reference.OfficialTrainerV2(nets, c, c.ema_beta)
    inputs = {name: torch.from_numpy(value.transpose(0, 3, 1, 2).copy() if value.ndim == 4 else
                                     value.astype("int64") if value.dtype.kind == "i" else value)
              for name, value in v2_batch(size, batch, c.latent_dim).items()}
    return (lambda: trainer.iteration(**inputs)), 1


def child(name: str, implementation: str) -> dict:
    family, size, batch = CONFIGURATIONS[name]
    framework_mb = None
    if implementation == "official":
        import torch  # noqa: F401 (the framework's own memory)
        framework_mb = rss_mb("VmRSS")
        round_, iterations = official(family, size, batch)
    else:
        import tensorflow as tf  # noqa: F401
        framework_mb = rss_mb("VmRSS")
        round_, iterations = ours(family, size, batch, implementation)
    seconds = []
    for index in range(FLAGS.warmup + FLAGS.rounds):
        start = time.perf_counter()
        round_()
        if index >= FLAGS.warmup:
            seconds.append((time.perf_counter() - start) / iterations)
    return {"configuration": name, "family": family, "image_size": size, "batch_size": batch,
            "implementation": implementation, "iteration_s": statistics.median(seconds),
            "all_iteration_s": seconds, "peak_rss_mb": rss_mb("VmHWM"), "framework_rss_mb": framework_mb}


def main(argv):
    del argv
    if FLAGS.child:
        name, implementation = FLAGS.child.split(",")
        print("RESULT " + json.dumps(child(name, implementation)), flush=True)
        return
    from host import machine

    host, records = machine(), []
    for name in FLAGS.configurations:
        for implementation in FLAGS.implementations:
            load = os.getloadavg()
            command = [sys.executable, os.path.abspath(__file__), f"--child={name},{implementation}",
                       f"--rounds={FLAGS.rounds}", f"--warmup={FLAGS.warmup}", f"--threads={FLAGS.threads}"]
            done = subprocess.run(command, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode or not lines:
                raise SystemExit(f"{name} {implementation} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
            record = {**json.loads(lines[-1][len("RESULT "):]), "load_before": load, "load_after": os.getloadavg()}
            records.append(record)
            print(f"{name:15s} {implementation:15s} iteration {record['iteration_s']:8.3f} s   peak RSS "
                  f"{record['peak_rss_mb']:7.0f} MB (framework alone {record['framework_rss_mb']:.0f} MB)", flush=True)
    for record in records:
        same = {r["implementation"]: r for r in records if r["configuration"] == record["configuration"]}
        for reference in ("official", "float32"):
            if reference in same and reference != record["implementation"]:
                record[f"time_vs_{reference}"] = record["iteration_s"] / same[reference]["iteration_s"]
                record[f"memory_vs_{reference}"] = record["peak_rss_mb"] / same[reference]["peak_rss_mb"]
    os.makedirs(os.path.dirname(FLAGS.output), exist_ok=True)
    with open(FLAGS.output, "w") as f:
        json.dump({"benchmark": "training_memory", "machine": {**host, "load_average_at_end": os.getloadavg()},
                   "rounds": FLAGS.rounds, "warmup": FLAGS.warmup, "records": records}, f, indent=1)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)

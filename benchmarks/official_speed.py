"""The official PyTorch StarGAN's training iteration and inference, timed on this machine.

    python benchmarks/official_speed.py                     # 128x128, batch 16, paper dims, 2 threads
    python benchmarks/official_speed.py --image_size=64

The issue's reference figures were measured on an Intel Xeon with AMX; other machines of this kind (an AMD
EPYC without AMX, say) differ, so "x times the official time" is only meaningful against the official code
timed on the same machine. The step is the official solver's (yunjey/stargan `solver.py`, single dataset):
D step = D(x_real), G(x_real, c_trg), D(x_fake.detach()), gradient penalty with `autograd.grad(...,
create_graph=True)`, backward, Adam; G step = G(x_real, c_trg), D(x_fake), G(x_fake, c_org), backward, Adam.
The networks are `stargan_tf.interop.torch_reference` (the official layout and parameter names).
`official_timers` is importable so benchmarks/speed.py can interleave these steps with ours in one run.
Needs torch (`pip install torch==2.13.0`, in the test extra).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("image_size", 128, "image size")
flags.DEFINE_integer("batch_size", 16, "batch size")
flags.DEFINE_integer("conv_dim", 64, "g_conv_dim and d_conv_dim")
flags.DEFINE_integer("g_repeat_num", 6, "residual blocks in G")
flags.DEFINE_integer("d_repeat_num", 6, "stride-2 convolutions in D")
flags.DEFINE_integer("c_dim", 5, "domain labels (CelebA attributes)")
flags.DEFINE_integer("threads", 2, "torch.set_num_threads")
flags.DEFINE_integer("rounds", 5, "timed rounds")
flags.DEFINE_integer("warmup", 1, "untimed rounds first")
flags.DEFINE_integer("n_critic", 5, "D steps per G step (iteration = D step + G step / n_critic)")
flags.DEFINE_string("output_dir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"),
                    "where official_speed_<size>_b<batch>.json goes")


def official_timers(image_size: int, batch_size: int, conv_dim: int = 64, g_repeat_num: int = 6,
                    d_repeat_num: int = 6, c_dim: int = 5, seed: int = 0) -> dict:
    """{"d_step", "g_step", "inference"}: zero-argument functions running one official D step, G step, and
    G inference on one image, each finishing its work before returning (CPU torch is synchronous)."""
    import torch
    import torch.nn.functional as F

    from stargan_tf.interop.torch_reference import Discriminator, Generator

    torch.manual_seed(seed)
    generator = Generator(c_dim, conv_dim, g_repeat_num)
    discriminator = Discriminator(image_size, c_dim, conv_dim, d_repeat_num)
    g_optimizer = torch.optim.Adam(generator.parameters(), 1e-4, (0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 1e-4, (0.5, 0.999))
    x_real = torch.rand(batch_size, 3, image_size, image_size) * 2 - 1
    label_org = (torch.rand(batch_size, c_dim) > 0.5).float()
    label_trg = label_org[torch.randperm(batch_size)]

    def classification_loss(logits, target):
        return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / logits.size(0)

    def reset_grad():
        g_optimizer.zero_grad()
        d_optimizer.zero_grad()

    def d_step():
        out_src, out_cls = discriminator(x_real)
        d_loss_real = -torch.mean(out_src)
        d_loss_cls = classification_loss(out_cls, label_org)
        x_fake = generator(x_real, label_trg)
        out_src, _ = discriminator(x_fake.detach())
        d_loss_fake = torch.mean(out_src)
        alpha = torch.rand(batch_size, 1, 1, 1)
        x_hat = (alpha * x_real.data + (1 - alpha) * x_fake.data).requires_grad_(True)
        out_src, _ = discriminator(x_hat)
        dydx = torch.autograd.grad(outputs=out_src, inputs=x_hat, grad_outputs=torch.ones_like(out_src),
                                   retain_graph=True, create_graph=True, only_inputs=True)[0]
        d_loss_gp = torch.mean((torch.sqrt(torch.sum(dydx.view(batch_size, -1) ** 2, dim=1)) - 1) ** 2)
        d_loss = d_loss_real + d_loss_fake + d_loss_cls + 10 * d_loss_gp
        reset_grad()
        d_loss.backward()
        d_optimizer.step()

    def g_step():
        x_fake = generator(x_real, label_trg)
        out_src, out_cls = discriminator(x_fake)
        g_loss_fake = -torch.mean(out_src)
        g_loss_cls = classification_loss(out_cls, label_trg)
        x_reconst = generator(x_fake, label_org)
        g_loss_rec = torch.mean(torch.abs(x_real - x_reconst))
        g_loss = g_loss_fake + 10 * g_loss_rec + g_loss_cls
        reset_grad()
        g_loss.backward()
        g_optimizer.step()

    def inference():
        with torch.no_grad():
            generator(x_real[:1], label_trg[:1])

    return {"d_step": d_step, "g_step": g_step, "inference": inference}


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv):
    del argv
    import platform

    import torch

    torch.set_num_threads(FLAGS.threads)
    timers = official_timers(FLAGS.image_size, FLAGS.batch_size, FLAGS.conv_dim, FLAGS.g_repeat_num,
                             FLAGS.d_repeat_num, FLAGS.c_dim)
    load_before = os.getloadavg()
    times = {name: [] for name in timers}
    for round_index in range(FLAGS.warmup + FLAGS.rounds):
        for name, function in timers.items():
            elapsed = seconds(function)
            if round_index >= FLAGS.warmup:
                times[name].append(elapsed)
    median = {name: statistics.median(values) for name, values in times.items()}
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    result = {"benchmark": "official_speed", "implementation": "official PyTorch StarGAN (solver.py step)",
              "torch": torch.__version__, "threads": FLAGS.threads, "cpu_model": cpu, "image_size": FLAGS.image_size,
              "batch_size": FLAGS.batch_size, "conv_dim": FLAGS.conv_dim, "rounds": FLAGS.rounds,
              "d_step_s": round(median["d_step"], 4), "g_step_s": round(median["g_step"], 4),
              "iteration_s": round(median["d_step"] + median["g_step"] / FLAGS.n_critic, 4),
              "inference_batch1_ms": round(1000 * median["inference"], 2),
              "samples_s": {name: [round(value, 4) for value in values] for name, values in times.items()},
              "load_before": load_before, "load_after": os.getloadavg()}
    print(json.dumps(result))
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    path = os.path.join(FLAGS.output_dir, f"official_speed_{FLAGS.image_size}_b{FLAGS.batch_size}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    app.run(main)

"""Time per training step on one device vs MirroredStrategy over the CPU split into 2 logical devices.

No GPU here: the split proves the distributed path on this machine, it is not expected to be faster (both
replicas share the same cores and pay for the cross-replica sums). Quick-preset network (32x32, conv dims 32),
global batch 16; rounds alternate the two set-ups so load changes hit both. Prints and writes JSON.

    PYTHONPATH=. python benchmarks/distribute_step_time.py [--steps=60] [--rounds=2]
"""
import json
import os
import statistics
import tempfile
import time

from stargan_tf.core import distribute

distribute.split_cpu(2)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from stargan_tf.families.stargan.config import PRESETS, StarGANConfig  # noqa: E402
from stargan_tf.data.synthetic import write_celeba, write_rafd  # noqa: E402
from stargan_tf.core.trainer import prepare  # noqa: E402

flags.DEFINE_integer("steps", 60, "timed steps per round (after warm-up)")
flags.DEFINE_integer("rounds", 2, "rounds of (one device, two replicas)")
FLAGS = flags.FLAGS
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "distribute_step_time.json")


class StepTimes(keras.callbacks.Callback):
    """Seconds between consecutive batch ends, once the first `skip` steps (tracing) are done."""

    def __init__(self, skip):
        super().__init__()
        self.skip, self.times, self.last = skip, [], None

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if batch >= self.skip and self.last is not None:
            self.times.append(now - self.last)
        self.last = now


def time_steps(config, strategy, steps):
    with strategy.scope():
        config, data, model = prepare(config)
    warm_up = 2 * config.n_critic * model.steps_per_iteration  # Both traces (with and without G update).
    timer = StepTimes(warm_up)
    distribute.fit(model, strategy, data.training_dataset(config), warm_up + steps, callbacks=[timer])
    return timer.times


def main(argv):
    del argv
    root = tempfile.mkdtemp()
    image_dir, attr_path = write_celeba(os.path.join(root, "celeba"), 200, seed=0)
    rafd_dir = write_rafd(os.path.join(root, "rafd"), 20, seed=0)
    values = dict(PRESETS["quick"], celeba_image_dir=image_dir, attr_path=attr_path, rafd_image_dir=rafd_dir,
                  model_save_dir=os.path.join(root, "models"), sample_dir=os.path.join(root, "samples"))
    config = StarGANConfig(**values).validate()
    setups = {"1 device": tf.distribute.get_strategy(),
              "2 logical CPU devices (mirrored)": tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])}
    times = {name: [] for name in setups}
    for _ in range(FLAGS.rounds):
        for name, strategy in setups.items():
            times[name] += time_steps(config, strategy, FLAGS.steps)
    medians = {name: statistics.median(values) for name, values in times.items()}
    single, mirrored = medians.values()
    result = {"benchmark": "distribute_step_time", "preset": "quick", "global_batch": config.batch_size,
              "image_size": config.image_size, "cpu_count": os.cpu_count(), "steps_timed": len(times["1 device"]),
              "median_seconds_per_step": medians, "mirrored_over_single": mirrored / single,
              "tensorflow": tf.__version__}
    print(json.dumps(result, indent=2))
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    app.run(main)

"""Run by core/test_distribute.py in a fresh process (the CPU must be split before TensorFlow starts).

Trains the same tiny model of any family from the same weights on the same batches three ways: model.fit on one
device, distribute.fit on one device (unless the spec says "loop": false), distribute.fit with MirroredStrategy
over 2 logical CPUs. Saves the weights, optimizer state and logs of each to an .npz for the test to compare.

    python tests/mirrored_run.py OUTPUT.npz '{"model": "stargan", "config": {...}, "loop": true}' [STEPS]
"""
import json
import sys

import numpy as np
import tensorflow as tf

from stargan_tf.core import distribute

distribute.split_cpu(2)
# As in the tests' own process (conftest.py): grappler's rewrites cost start-up time and change nothing compared here.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})

from stargan_tf import families  # noqa: E402
from stargan_tf.core.trainer import prepare  # noqa: E402

STEPS = 4  # StarGAN joint mode with n_critic 2: iterations 0 (D only) and 1 (D and G), two steps each.


def run(family, config, strategy, use_model_fit, initial_weights, steps):
    with strategy.scope():
        config, data, model = prepare(config)
    if initial_weights is not None:
        model.set_weights(initial_weights)
    weights = model.get_weights()  # Before training: the initial weights.
    dataset = family.training_dataset(config, data, 0)
    if use_model_fit:
        history = model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    else:
        history = distribute.fit(model, strategy, dataset, steps)
    optimizer_state = [variable.numpy() for optimizer in model.optimizers.values() for variable in optimizer.variables]
    # Adam's moments scale with the gradients, which its updates do not: they catch a mis-scaled loss.
    return weights, model.get_weights() + optimizer_state, history.history


def main(output, spec, steps=STEPS):
    steps = int(steps)
    spec = json.loads(spec)
    family = families.get(spec["model"])
    config = family.config_class(**spec["config"]).validate()
    initial, fit_weights, fit_logs = run(family, config, tf.distribute.get_strategy(), True, None, steps)
    runs = [("fit", fit_weights, fit_logs)]
    if spec.get("loop", True):
        runs.append(("loop",) + run(family, config, tf.distribute.get_strategy(), False, initial, steps)[1:])
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    runs.append(("mirrored",) + run(family, config, mirrored, False, initial, steps)[1:])
    arrays = {"replicas": np.array(mirrored.num_replicas_in_sync), "networks": np.array(len(initial))}
    for name, weights, logs in runs:
        arrays.update({f"{name}/weight{index}": weight for index, weight in enumerate(weights)})
        arrays.update({f"{name}/log/{key}": np.array(values) for key, values in logs.items()})
    arrays.update({f"initial/weight{index}": weight for index, weight in enumerate(initial)})
    np.savez(output, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])

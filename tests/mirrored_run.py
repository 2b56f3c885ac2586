"""Run by test_distribute.py in a fresh process (the CPU must be split before TensorFlow starts).

Trains the same tiny model from the same weights on the same batches three ways: model.fit on one device,
distribute.fit on one device, distribute.fit with MirroredStrategy over 2 logical CPUs (optionally a model variant given as JSON). Saves the weights
and the logs of each to an .npz for the test to compare.
"""
import json
import os
import pathlib
import sys

import numpy as np

from stargan_tf.core import distribute

distribute.split_cpu(2)

from conftest import TinyData, tiny_config  # noqa: E402
from stargan_tf.core.trainer import prepare  # noqa: E402

STEPS = 4  # Joint mode, n_critic 2: iterations 0 (D only) and 1 (D and G), two steps each.


def run(config, strategy, use_model_fit, initial_weights):
    with strategy.scope():
        config, data, model = prepare(config)
    if initial_weights is not None:
        model.set_weights(initial_weights)
    weights = model.get_weights()  # Before training: the initial weights.
    dataset = data.training_dataset(config)
    if use_model_fit:
        history = model.fit(dataset, epochs=1, steps_per_epoch=STEPS, verbose=0)
    else:
        history = distribute.fit(model, strategy, dataset, STEPS)
    optimizer_state = [variable.numpy() for variable in model.d_optimizer.variables + model.g_optimizer.variables]
    # Adam's moments scale with the gradients, which its updates do not: they catch a mis-scaled loss.
    return weights, model.get_weights() + optimizer_state, history.history


def main(output, celeba_image_dir, attr_path, rafd_image_dir, run_dir, variant="{}"):
    """variant: JSON of extra config fields (e.g. the self-attention + spectral norm + hinge variant)."""
    data = TinyData(celeba_image_dir, attr_path, rafd_image_dir)
    overrides = {name: tuple(value) if isinstance(value, list) else value for name, value in json.loads(variant).items()}
    config = tiny_config(data, pathlib.Path(run_dir), batch_size=8, n_critic=2, num_iters_decay=0, **overrides)
    import tensorflow as tf

    initial, fit_weights, fit_logs = run(config, tf.distribute.get_strategy(), True, None)
    _, loop_weights, loop_logs = run(config, tf.distribute.get_strategy(), False, initial)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    _, mirrored_weights, mirrored_logs = run(config, mirrored, False, initial)
    arrays = {"replicas": np.array(mirrored.num_replicas_in_sync)}
    for name, weights, logs in (("fit", fit_weights, fit_logs), ("loop", loop_weights, loop_logs),
                                ("mirrored", mirrored_weights, mirrored_logs)):
        arrays.update({f"{name}/weight{index}": weight for index, weight in enumerate(weights)})
        arrays.update({f"{name}/log/{key}": np.array(values) for key, values in logs.items()})
    arrays.update({f"initial/weight{index}": weight for index, weight in enumerate(initial)})
    np.savez(output, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])

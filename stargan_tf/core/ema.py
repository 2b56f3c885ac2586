"""Moving averages of a network's weights (the EMA generator): copying, updating, and a warmed-up decay.

The average networks have the trained networks' architecture and are updated in place after each update of those
(inside train_step, in the replica context under a strategy: the trained weights are equal on every replica after
their synced update, so each replica's average copy stays equal too).
"""
from __future__ import annotations

import tensorflow as tf


def copy_weights(source, target) -> None:
    """Assigns every weight of the network `source` to the same-architecture network `target`."""
    for weight, target_weight in zip(source.weights, target.weights, strict=True):
        target_weight.assign(weight)


def update_averages(networks, averages, decay) -> None:
    """ema = w + decay * (ema - w) (torch.lerp(w, ema, decay)) for every weight of each (network, average) pair."""
    for network, average in zip(networks, averages, strict=True):
        for weight, average_weight in zip(network.weights, average.weights, strict=True):
            average_weight.assign(weight + decay * (average_weight - weight))


def warmed_up_decay(beta: float, updates):
    """min(beta, (1 + n) / (10 + n)) for n = updates (the trained network's updates so far, an int tensor):
    a smaller decay early on, so the average is not dominated by the random initial weights (as
    tf.train.ExponentialMovingAverage's num_updates)."""
    n = tf.cast(updates, tf.float32)
    return tf.minimum(tf.constant(beta, tf.float32), (1.0 + n) / (10.0 + n))

"""Mixed precision: the Keras dtype policy the networks are built under, and loss scaling for float16.

float32 is the default. mixed_bfloat16 computes convolutions in bfloat16 (fast on CPUs with AMX or
AVX512-BF16 and on TPUs) and needs no loss scaling: bfloat16 has float32's exponent range. mixed_float16 is
for GPUs: float16 gradients underflow, so both optimizers scale their losses (keras LossScaleOptimizer) and
the gradient penalty scales its inner gradient by the same factor. Variables, instance-norm statistics, the
networks' outputs, the losses and the gradient penalty stay float32 under every policy.
"""
from __future__ import annotations

import contextlib
import logging

import keras
import tensorflow as tf

from stargan_tf.core.config import PRECISIONS

logger = logging.getLogger("stargan_tf")


@contextlib.contextmanager
def policy(precision: str):
    """Layers created inside take the precision's dtype policy; the global policy is restored on exit."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    if precision == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
        logger.warning("--precision=mixed_float16 on a CPU: it runs, but float16 convolutions are slow on CPUs; "
                       "use mixed_bfloat16 there")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def optimizer_for(optimizer: keras.optimizers.Optimizer, precision: str) -> keras.optimizers.Optimizer:
    """The optimizer to train with: wrapped in a dynamic LossScaleOptimizer under mixed_float16."""
    if precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def loss_scale(optimizer: keras.optimizers.Optimizer):
    """The factor the optimizer multiplies losses by (its dynamic scale under float16, else 1)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.dynamic_scale
    return 1.0


def checkpointable(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """The optimizer whose state a checkpoint holds: the inner one of a LossScaleOptimizer.

    So a checkpoint resumes under any precision (the dynamic loss scale restarts at its initial value).
    """
    return getattr(optimizer, "inner_optimizer", optimizer)

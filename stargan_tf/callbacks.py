"""Callbacks that make long runs safe: stop on a non-finite loss, checkpoint and stop on SIGTERM or SIGINT."""
from __future__ import annotations

import logging
import math
import signal
import threading

import keras
import numpy as np

logger = logging.getLogger("stargan_tf")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class NonFiniteError(RuntimeError):
    """A loss or a weight became NaN or infinite: training stopped without checkpointing it."""


class TrainingInterrupted(Exception):
    """Training stopped on a signal after writing a checkpoint; `signal_number` is the signal received."""

    def __init__(self, message: str, signal_number: int):
        super().__init__(message)
        self.signal_number = signal_number


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Raises NonFiniteError naming the losses and the step as soon as a logged loss is NaN or infinite.

    Raising (rather than setting stop_training) skips every later callback of the step and on_train_end,
    so the checkpoint callbacks never save the weights that step produced: put this callback first.
    """

    def on_train_batch_end(self, batch, logs=None):
        bad = {name: value for name, value in (logs or {}).items() if not math.isfinite(float(value))}
        if bad:
            step = int(self.model.step.numpy())
            raise NonFiniteError(
                f"non-finite loss at step {step} (iteration {(step - 1) // self.model.steps_per_iteration + 1}): "
                + ", ".join(f"{name} = {value}" for name, value in sorted(bad.items()))
                + "; the last checkpoint written is from before this step")


def check_finite_weights(model, what: str) -> None:
    """Raises NonFiniteError naming the first weight or optimizer variable holding a NaN or an infinity."""
    variables = (model.generator.weights + model.discriminator.weights + model.d_optimizer.variables
                 + model.g_optimizer.variables)
    for variable in variables:
        if not np.isfinite(variable.numpy()).all():
            raise NonFiniteError(f"{what}: variable {variable.path} holds NaN or infinite values at step "
                                 f"{int(model.step.numpy())}")


class SignalStop(keras.callbacks.Callback):
    """Turns SIGTERM and SIGINT into a clean stop at the next iteration boundary (the checkpoint callback then
    saves); a second signal stops at once, like an unhandled one. Use as a context manager around fit, which
    installs the handlers and restores the previous ones however fit ends.
    """

    def __init__(self):
        super().__init__()
        self.signal_number = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # Python only allows handlers there.
            self._previous = {number: signal.signal(number, self._handle) for number in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def _handle(self, number, frame):
        if self.signal_number is not None:  # Asked twice: give up on the checkpoint.
            self.__exit__()
            signal.raise_signal(number)
            return
        self.signal_number = number
        logger.warning("received %s: stopping at the end of this iteration and writing a checkpoint "
                       "(send it again to stop at once)", signal.Signals(number).name)

    def on_train_batch_end(self, batch, logs=None):
        if self.signal_number is not None and int(self.model.step.numpy()) % self.model.steps_per_iteration == 0:
            self.model.stop_training = True

"""Training callbacks of every family: logs and TensorBoard, checkpoints, sample grids, and what makes long runs
safe (stop on a non-finite loss, checkpoint and stop on SIGTERM or SIGINT)."""
from __future__ import annotations

import logging
import math
import os
import re
import shutil
import signal
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.core import run_dir
from stargan_tf.core.grids import save_png

logger = logging.getLogger("stargan_tf")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class NonFiniteError(RuntimeError):
    """A loss or a weight became NaN or infinite: training stopped without checkpointing it."""


class CheckpointSaveError(RuntimeError):
    """A checkpoint could not be written (disk full, read-only...): training stopped, earlier checkpoints intact."""


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
    for variable in model.checked_variables():
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


class IterationCallback(keras.callbacks.Callback):
    """Base for callbacks acting every `every` iterations, on iteration boundaries (both batches in joint mode)."""

    def __init__(self, every: int):
        super().__init__()
        self.every = every

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.step.numpy())
        if step % self.model.steps_per_iteration == 0:
            iteration = step // self.model.steps_per_iteration
            if iteration % self.every == 0:
                self.on_iteration(iteration, logs or {})

    def on_iteration(self, iteration: int, logs: dict) -> None:
        raise NotImplementedError


class CheckpointCallback(IterationCallback):
    """Saves a checkpoint every model_save_step iterations and when training ends, never one with NaN weights."""

    def __init__(self, manager: tf.train.CheckpointManager, every: int):
        super().__init__(every)
        self.manager, self.saved_iteration = manager, None

    def on_iteration(self, iteration, logs):
        check_finite_weights(self.model, f"not saving checkpoint {iteration}")
        before = _entries(self.manager.directory)
        try:
            self.manager.save(checkpoint_number=iteration)
        except (OSError, tf.errors.OpError) as error:
            raise CheckpointSaveError(save_failure(self.manager.directory, iteration, before, error)) from None
        self.saved_iteration = iteration

    def on_train_end(self, logs=None):
        iteration = int(self.model.iteration.numpy())
        if iteration != self.saved_iteration:
            self.on_iteration(iteration, logs)
        logger.info("saved checkpoint %s", self.manager.latest_checkpoint)


def save_failure(directory: str, iteration: int, before: set, error: Exception) -> str:
    """The one-line message of a failed save of checkpoint `iteration`, after removing the files the save created
    (entries of directory not in `before`: its temporary folder, index, data, state-file temporaries)."""
    # TensorFlow's message is "{{function_node ...}} <path>; <OS error> [Op:SaveV2]": the middle says it.
    reason = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]$", "", str(error).strip())
    prefix = os.path.join(directory, f"{run_dir.CHECKPOINT_NAME}-{iteration}")
    recorded = run_dir.recorded_checkpoints(directory)
    if recorded[-1:] == [prefix]:
        return f"saved checkpoint {prefix}, then could not delete the oldest one: {reason}"
    pattern = re.compile(rf"{re.escape(os.path.basename(prefix))}(_temp|\.index|\.data-\d+-of-\d+)$"
                         rf"|{re.escape(run_dir.STATE_FILE)}\.tmp[0-9a-f]+$")
    created = sorted(entry for entry in _entries(directory) - before if pattern.match(entry))
    for entry in created:
        path = os.path.join(directory, entry)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    return (f"cannot save checkpoint {prefix}: {reason}"
            + (f"; removed its partial files {', '.join(created)}" if created else "")
            + (f"; the newest checkpoint, {recorded[-1]}, is untouched" if recorded else ""))


def _entries(directory: str) -> set:
    return set(os.listdir(directory)) if os.path.isdir(directory) else set()


class SampleCallback(IterationCallback):
    """Writes a family's sample grids as PNG (and to TensorBoard, given a summary writer) every sample_step
    iterations and at the end.

    draw(model) returns {name: uint8 grid [H, W, 3]}; each is written as <sample_dir>/<iteration>-<name>.png.
    """

    def __init__(self, draw, sample_dir: str, every: int, writer=None):
        super().__init__(every)
        self.draw, self.sample_dir, self.writer = draw, sample_dir, writer

    def on_iteration(self, iteration, logs):
        os.makedirs(self.sample_dir, exist_ok=True)
        for name, grid in self.draw(self.model).items():
            save_png(grid, os.path.join(self.sample_dir, f"{iteration:06d}-{name}.png"))
            if self.writer:
                with self.writer.as_default():
                    tf.summary.image(f"samples/{name}", grid[None], step=iteration)

    def on_train_end(self, logs=None):
        iteration = int(self.model.iteration.numpy())
        if iteration % self.every:  # Otherwise written already.
            self.on_iteration(iteration, {})


class LogCallback(IterationCallback):
    """Logs losses, elapsed time, iterations per second and ETA every log_step iterations; given a summary
    writer, also writes the losses, learning rates and images per second to TensorBoard."""

    def __init__(self, every: int, num_iters: int, images_per_iteration: int, writer=None):
        super().__init__(every)
        self.num_iters, self.images_per_iteration, self.writer = num_iters, images_per_iteration, writer

    def on_train_begin(self, logs=None):
        self.start_time, self.start_iteration = time.time(), int(self.model.iteration.numpy())
        self.last_time, self.last_iteration = self.start_time, self.start_iteration

    def on_iteration(self, iteration, logs):
        now = time.time()
        elapsed = now - self.start_time
        rate = (iteration - self.last_iteration) / max(now - self.last_time, 1e-9)  # Since the last line.
        average_rate = (iteration - self.start_iteration) / max(elapsed, 1e-9)
        eta = (self.num_iters - iteration) / average_rate if average_rate else float("inf")
        self.last_time, self.last_iteration = now, iteration
        losses = ", ".join(f"{name}: {float(value):.4f}" for name, value in sorted(logs.items()))
        logger.info("elapsed %s, iteration %d/%d, %.2f it/s, ETA %s, %s", _hms(elapsed), iteration,
                    self.num_iters, rate, _hms(eta), losses)
        if self.writer:
            with self.writer.as_default():
                for name, value in logs.items():
                    tf.summary.scalar(name, float(value), step=iteration)
                tf.summary.scalar("speed/images_per_second", rate * self.images_per_iteration, step=iteration)
                tf.summary.scalar("speed/iterations_per_second", rate, step=iteration)


def _hms(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

"""Training any model family: the strategy, crash recovery, resume checks, the safety callbacks, and the loop.

The family supplies the data, the model and its sample grids (stargan_tf.core.family.ModelFamily); everything
that makes a long run safe is here, once: the NaN guard, the checkpoint on SIGTERM/SIGINT, recovery of a
half-written checkpoint after a kill, TensorBoard, and one distributed loop for one device or many.
"""
from __future__ import annotations

import logging
import signal
import sys

import keras
import tensorflow as tf

from stargan_tf.core import distribute, run_dir
from stargan_tf.core.callbacks import (CheckpointCallback, LogCallback, NonFiniteLossGuard, SampleCallback,
                                       SignalStop, TrainingInterrupted)

logger = logging.getLogger("stargan_tf")


def family_of(config):
    """The model family a config belongs to (its model_name), from the registry."""
    from stargan_tf import families

    return families.get(config.model_name)


def prepare(config, verify_images: bool = True):
    """(config, data, model): the config resolved and checked, the data read, the model built and compiled.

    Seeds every generator first, so the initial weights are a function of config.seed.
    """
    family = family_of(config)
    config, data = family.prepare_data(config, verify_images)
    keras.utils.set_random_seed(config.seed)
    return config, data, family.build_model(config, family.layout(data))


def train(config, verify_images: bool = True, callbacks: tuple = ()):
    """Trains (or resumes) a run of the config's family to config.num_iters iterations under config.strategy.

    Every worker restores the latest checkpoint of the shared model_save_dir; only the chief writes.
    `callbacks` run after ours on every step. Raises NonFiniteError when a loss turns NaN or infinite, and
    TrainingInterrupted after checkpointing when SIGTERM or SIGINT arrives. Returns the model.
    """
    family = family_of(config)
    strategy = distribute.create_strategy(config)
    chief = distribute.is_chief(strategy)
    if chief:
        run_dir.recover_checkpoints(config.model_save_dir)
    with strategy.scope():
        config, data, model = prepare(config, verify_images)
        manager = run_dir.checkpoint_manager(model, config.model_save_dir, config.keep_checkpoints)
        start_step = run_dir.restore_for_training(model, manager, config,
                                                  lambda run: family.resume_mismatches(run, data))
        if start_step == 0:
            family.start_fresh(model, config)
    if chief:
        run_dir.write_run_file(config.model_save_dir, family.name, config, family.layout(data),
                               family.alignment(config, config.model_save_dir))
    for line in family.describe(config, data, model):
        logger.info("%s", line)
    logger.info("%s; checkpoints in %s, samples in %s, TensorBoard logs in %s",
                ", ".join(f"{name} has {network.count_params():,} parameters"
                          for name, network in model.networks.items() if not name.endswith("_ema")),
                config.model_save_dir, config.sample_dir, config.log_dir if config.use_tensorboard else "(off)")
    total_steps = config.num_iters * model.steps_per_iteration
    if start_step >= total_steps:
        logger.info("the run already reached %d iterations: nothing to train", config.num_iters)
        return model
    writer = tf.summary.create_file_writer(config.log_dir) if config.use_tensorboard and chief else None
    images_per_iteration = config.batch_size * model.steps_per_iteration
    # The NaN guard comes first: it must stop a non-finite step before anything saves it.
    ours = [NonFiniteLossGuard(), LogCallback(config.log_step, config.num_iters, images_per_iteration, writer)]
    if chief:
        ours += [SampleCallback(family.sampler(config, data), config.sample_dir, config.sample_step, writer),
                 CheckpointCallback(manager, config.model_save_step)]
    with SignalStop() as signal_stop:
        try:
            distribute.fit(model, strategy, family.training_dataset(config, data, start_step),
                           total_steps - start_step, callbacks=[*ours, signal_stop, *callbacks],
                           verbose=1 if sys.stdout.isatty() else 0)
        finally:
            if writer:
                writer.close()
    iteration = int(model.iteration.numpy())
    if signal_stop.signal_number is not None and iteration < config.num_iters:
        raise TrainingInterrupted(f"stopped by {signal.Signals(signal_stop.signal_number).name} at iteration "
                                  f"{iteration} of {config.num_iters}; checkpoint {manager.latest_checkpoint}; "
                                  f"run the same command again to resume", signal_stop.signal_number)
    return model

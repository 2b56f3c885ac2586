"""Training: the model with its optimizers, checkpoints and their run config, the callbacks, and fit."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time

import keras
import tensorflow as tf

from stargan_tf import distribute, precision
from stargan_tf.attention_maps import attention_grid
from stargan_tf.callbacks import NonFiniteLossGuard, SignalStop, TrainingInterrupted, check_finite_weights
from stargan_tf.checkpoints import recover_checkpoints
from stargan_tf.config import ConfigError, StarGANConfig, parse_attention_query
from stargan_tf.data.sources import RunData, load_run_data, resolve_data_dirs
from stargan_tf.labels import LabelLayout
from stargan_tf.models.stargan import StarGAN
from stargan_tf.samples import save_png, translation_grid

logger = logging.getLogger("stargan_tf")

RUN_FILE = "run.json"  # Config and label layout, beside the checkpoints: export and resume read it.


def build_model(config: StarGANConfig, layout: LabelLayout) -> StarGAN:
    """A compiled StarGAN with the paper's Adam optimizers, its networks built under config.precision."""
    with precision.policy(config.precision):
        model = StarGAN(config, layout)
    model.compile(*(precision.optimizer_for(keras.optimizers.Adam(lr, beta_1=config.beta1, beta_2=config.beta2),
                                            config.precision) for lr in (config.d_lr, config.g_lr)))
    return model


def weights_checkpoint(network: keras.Model) -> tf.train.Checkpoint:
    """Every weight of a network keyed by its path inside it.

    (tf.train.Checkpoint does not follow the Python lists Keras 3 layers keep their sublayers in, such as the
    generator's blocks or the per-domain heads; checkpointing the network object would silently drop them.)
    """
    keys = [weight.path.split("/", 1)[1].replace("/", ".") for weight in network.weights]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{network.name}: weight paths are not unique, cannot checkpoint them by path")
    return tf.train.Checkpoint(**dict(zip(keys, network.weights)))


def checkpoint_manager(model: StarGAN, directory: str, max_to_keep: int) -> tf.train.CheckpointManager:
    """Checkpoints hold G, D, both optimizers (Adam moments, learning rate) and the step counter."""
    checkpoint = tf.train.Checkpoint(generator=weights_checkpoint(model.generator),
                                     discriminator=weights_checkpoint(model.discriminator),
                                     d_optimizer=precision.checkpointable(model.d_optimizer),
                                     g_optimizer=precision.checkpointable(model.g_optimizer), step=model.step)
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep, checkpoint_name="ckpt")


def write_run_file(directory: str, config: StarGANConfig, layout: LabelLayout) -> None:
    """Stores the run's config and label layout as JSON beside its checkpoints (atomically)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, RUN_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump({"model": config.model_name, "config": config.to_dict(), "layout": layout.to_json()}, f, indent=2,
                  sort_keys=True)
    os.replace(path + ".tmp", path)


def read_run_file(directory: str) -> dict:
    """A run directory's run.json: {"model": family, "config": ..., "layout": ...}."""
    path = os.path.join(directory, RUN_FILE)
    if not os.path.isfile(path):
        raise ConfigError(f"{directory} has no {RUN_FILE}: not a stargan_tf checkpoint directory")
    with open(path) as f:
        return json.load(f)


def run_model_name(directory: str) -> str:
    """The model family of a run directory ("stargan" or "stargan_v2"; runs from before v2 name none)."""
    return read_run_file(directory).get("model", StarGANConfig.model_name)


def read_run_config(directory: str, config_class=StarGANConfig):
    """The config stored beside a run's checkpoints, refusing a run of another model family."""
    run = read_run_file(directory)
    model_name = run.get("model", StarGANConfig.model_name)
    if model_name != config_class.model_name:
        raise ConfigError(f"{os.path.join(directory, RUN_FILE)} is a {model_name} run, not {config_class.model_name}")
    return config_class(**run["config"])


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
        self.manager.save(checkpoint_number=iteration)
        self.saved_iteration = iteration

    def on_train_end(self, logs=None):
        iteration = int(self.model.iteration.numpy())
        if iteration != self.saved_iteration:
            self.on_iteration(iteration, logs)
        logger.info("saved checkpoint %s", self.manager.latest_checkpoint)


class SampleCallback(IterationCallback):
    """Writes a grid of fixed test images translated to every domain as PNG (and to TensorBoard, given a
    summary writer) every sample_step iterations."""

    def __init__(self, batches: dict, layout: LabelLayout, sample_dir: str, every: int, writer=None):
        super().__init__(every)
        self.batches, self.layout, self.sample_dir, self.writer = batches, layout, sample_dir, writer

    def on_iteration(self, iteration, logs):
        os.makedirs(self.sample_dir, exist_ok=True)
        for dataset, (images, labels) in self.batches.items():
            grid, _ = translation_grid(self.model.generator, images, labels, self.layout, dataset)
            save_png(grid, os.path.join(self.sample_dir, f"{iteration:06d}-{dataset}.png"))
            if self.writer:
                with self.writer.as_default():
                    tf.summary.image(f"samples/{dataset}", grid[None], step=iteration)

    def on_train_end(self, logs=None):
        iteration = int(self.model.iteration.numpy())
        if iteration % self.every:  # Otherwise written already.
            self.on_iteration(iteration, {})


class AttentionMapCallback(SampleCallback):
    """Writes, beside the sample grids, where each self-attention block looks from one query position."""

    def __init__(self, batches: dict, layout: LabelLayout, sample_dir: str, every: int, query: tuple[float, float]):
        super().__init__(batches, layout, sample_dir, every)
        self.query = query

    def on_iteration(self, iteration, logs):
        os.makedirs(self.sample_dir, exist_ok=True)
        for dataset, (images, labels) in self.batches.items():
            grid, _ = attention_grid(self.model.generator, self.model.discriminator, images, labels, self.layout,
                                     dataset, self.query)
            save_png(grid, os.path.join(self.sample_dir, f"{iteration:06d}-{dataset}-attention.png"))


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


def restore_or_start(model: StarGAN, manager: tf.train.CheckpointManager, config: StarGANConfig) -> int:
    """Restores the latest checkpoint when the run directory has one (refusing other architectures); returns the step."""
    if manager.latest_checkpoint is None:
        logger.info("no checkpoint in %s: starting from step 0", config.model_save_dir)
        return 0
    if not config.resume:
        raise ConfigError(f"--model_save_dir={config.model_save_dir} already holds checkpoint "
                          f"{manager.latest_checkpoint}: pass --resume to continue it, or choose another directory")
    stored = read_run_config(config.model_save_dir, type(config))
    differences = config.architecture_mismatches(stored)
    if differences:
        raise ConfigError(f"cannot resume {manager.latest_checkpoint} with these flags: " + "; ".join(differences))
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    step = int(model.step.numpy())
    logger.info("resumed from %s at step %d (iteration %d)", manager.latest_checkpoint, step,
                step // model.steps_per_iteration)
    return step


def prepare(config: StarGANConfig, verify_images: bool = True) -> tuple[StarGANConfig, RunData, StarGAN]:
    """Resolves and checks the config, reads the data and builds the model: everything before fit.

    Seeds every generator first, so the initial weights are a function of config.seed.
    """
    config = resolve_data_dirs(config).validate()
    data = load_run_data(config, verify_images=verify_images)
    keras.utils.set_random_seed(config.seed)
    return config, data, build_model(config, data.layout)


def train(config: StarGANConfig, verify_images: bool = True, num_samples: int = 8,
          callbacks: tuple = ()) -> StarGAN:
    """Trains (or resumes) a StarGAN run to config.num_iters iterations under --strategy; returns the model.

    Every worker restores the latest checkpoint of the shared model_save_dir; only the chief writes.
    `callbacks` run after ours on every step. Raises NonFiniteError when a loss turns NaN or infinite, and
    TrainingInterrupted after checkpointing when SIGTERM or SIGINT arrives.
    """
    strategy = distribute.create_strategy(config)
    chief = distribute.is_chief(strategy)
    if chief:
        recover_checkpoints(config.model_save_dir)
    with strategy.scope():
        config, data, model = prepare(config, verify_images)
        manager = checkpoint_manager(model, config.model_save_dir, config.keep_checkpoints)
        start_step = restore_or_start(model, manager, config)
    if chief:
        write_run_file(config.model_save_dir, config, data.layout)
    total_steps = config.num_iters * model.steps_per_iteration
    for name, split in data.splits.items():
        logger.info("%s: %d train / %d test images, labels %s", name, len(split.train), len(split.test),
                    ", ".join(split.train.names))
    logger.info("label vector: %s", ", ".join(data.layout.names))
    logger.info("G has %d parameters, D %d; checkpoints in %s, samples in %s, TensorBoard logs in %s",
                model.generator.count_params(), model.discriminator.count_params(), config.model_save_dir,
                config.sample_dir, config.log_dir if config.use_tensorboard else "(off)")
    if start_step >= total_steps:
        logger.info("the run already reached %d iterations: nothing to train", config.num_iters)
        return model
    batches = {name: data.fixed_batch(name, num_samples, config.image_size) for name in data.splits}
    writer = tf.summary.create_file_writer(config.log_dir) if config.use_tensorboard and chief else None
    images_per_iteration = config.batch_size * model.steps_per_iteration
    # The NaN guard comes first: it must stop a non-finite step before anything saves it.
    ours = [NonFiniteLossGuard(), LogCallback(config.log_step, config.num_iters, images_per_iteration, writer)]
    if chief:
        ours += [SampleCallback(batches, data.layout, config.sample_dir, config.sample_step, writer),
                 CheckpointCallback(manager, config.model_save_step)]
        if config.g_attention_at or config.d_attention_at:
            ours.append(AttentionMapCallback(batches, data.layout, config.sample_dir, config.sample_step,
                                             parse_attention_query(config.attention_query)))
    with SignalStop() as signal_stop:
        try:
            distribute.fit(model, strategy, data.training_dataset(config, start_step), total_steps - start_step,
                           callbacks=[*ours, signal_stop, *callbacks], verbose=1 if sys.stdout.isatty() else 0)
        finally:
            if writer:
                writer.close()
    iteration = int(model.iteration.numpy())
    if signal_stop.signal_number is not None and iteration < config.num_iters:
        raise TrainingInterrupted(f"stopped by {signal.Signals(signal_stop.signal_number).name} at iteration "
                                  f"{iteration} of {config.num_iters}; checkpoint {manager.latest_checkpoint}; "
                                  f"run the same command again to resume", signal_stop.signal_number)
    return model

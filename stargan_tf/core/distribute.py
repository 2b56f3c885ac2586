"""Training on one device, several GPUs or several machines with one loop: the strategy, the chief, and fit.

`fit` is model.fit for any family's model under any tf.distribute strategy. Keras's own fit cannot serve here:
StarGAN's G update (every n_critic-th step) syncs the replicas, and a sync inside a tf.cond fails under a
strategy; and in Keras 3.15 fit fails outright under MultiWorkerMirroredStrategy. So the loop takes each step's
Python options from the model (model.step_options: one traced step per distinct value) and drives the same Keras
callbacks fit would.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os

import keras
import tensorflow as tf

from stargan_tf.core.config import ConfigError, TrainingConfig

logger = logging.getLogger("stargan_tf")


class ClusterError(RuntimeError):
    """A worker of a multi-worker run is gone: every worker must restart (with --resume) from the checkpoint."""


def create_strategy(config: TrainingConfig) -> tf.distribute.Strategy:
    """The strategy --strategy and --devices ask for. Create it first: multi_worker starts a server."""
    strategy = _new_strategy(config)
    check_batch_size(config.batch_size, strategy)
    return strategy


def _new_strategy(config: TrainingConfig) -> tf.distribute.Strategy:
    if config.strategy == "default":
        return tf.distribute.get_strategy()
    if config.strategy == "mirrored":
        if config.devices:
            available = {_device_name(device.name) for device in tf.config.list_logical_devices()}
            missing = [device for device in config.devices if _device_name(device) not in available]
            if missing:
                raise ConfigError(f"--devices: no device {', '.join(missing)} here; available: "
                                  f"{', '.join(sorted(available))}")
        strategy = tf.distribute.MirroredStrategy(list(config.devices) or None)
        logger.info("mirrored strategy over %s", ", ".join(strategy.extended.worker_devices))
        return strategy
    if "TF_CONFIG" not in os.environ:
        logger.warning("--strategy=multi_worker without TF_CONFIG: training as a cluster of this one machine")
    else:
        _check_tf_config(os.environ["TF_CONFIG"])
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    resolver = strategy.cluster_resolver
    logger.info("multi-worker strategy: task %s:%s of %d replicas (%s)", resolver.task_type, resolver.task_id,
                strategy.num_replicas_in_sync, "chief" if is_chief(strategy) else "not the chief")
    return strategy


def split_cpu(count: int) -> None:
    """Splits the CPU into `count` logical devices, to run mirrored training without GPUs (tests, benchmarks).

    Must run before TensorFlow initializes its devices, i.e. before any op.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def _device_name(name: str) -> str:
    """'/job:localhost/replica:0/task:0/device:GPU:1', '/gpu:1' and 'GPU:1' all as 'GPU:1'."""
    return name.split("device:")[-1].lstrip("/").upper()


def _check_tf_config(text: str) -> None:
    try:
        tf_config = json.loads(text)
        tf_config["cluster"], tf_config["task"]["type"], tf_config["task"]["index"]
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"TF_CONFIG must be JSON like {{\"cluster\": {{\"worker\": [\"host:port\", ...]}}, "
                          f"\"task\": {{\"type\": \"worker\", \"index\": 0}}}}; got {text!r} ({error!r})") from None


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes checkpoints, samples and summaries: always, except on non-chief workers."""
    return strategy.extended.should_checkpoint


def check_batch_size(batch_size: int, strategy: tf.distribute.Strategy) -> int:
    """The per-replica batch; the global batch must split evenly, so replicas' means average to the global one."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ConfigError(f"--batch_size={batch_size} (the global batch) must be divisible by the {replicas} "
                          f"replicas in sync")
    return batch_size // replicas


def distribute_dataset(dataset: tf.data.Dataset, strategy: tf.distribute.Strategy):
    """Splits each global batch over the replicas in order: worker k of n gets the k-th per-replica slice.

    Sharding by DATA (not by file) keeps every global batch, with its per-example draws, the one a single
    device would see.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def fit(model, strategy: tf.distribute.Strategy, dataset: tf.data.Dataset, steps: int,
        callbacks=(), verbose: int = 0) -> keras.callbacks.History:
    """model.fit(dataset, epochs=1, steps_per_epoch=steps, callbacks=callbacks) on any strategy.

    The model (and both optimizers) must have been built under strategy.scope(). Logs are global-batch means,
    as on one device. Stops early when a callback sets model.stop_training.
    """
    check_batch_size(model.config.batch_size, strategy)
    iterator = iter(distribute_dataset(dataset, strategy))
    callback_list = keras.callbacks.CallbackList(list(callbacks), add_history=True, add_progbar=verbose > 0,
                                                 model=model, verbose=verbose, epochs=1, steps=steps)
    train_step = _distributed_train_step(model, strategy)
    first_step = int(model.step.numpy())
    model.stop_training = False
    logs = {}
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    for batch in range(steps):
        callback_list.on_train_batch_begin(batch)
        iteration = (first_step + batch) // model.steps_per_iteration
        try:
            logs = train_step(iterator, **model.step_options(iteration))
        except tf.errors.UnavailableError as error:  # A peer died: its collectives were aborted.
            raise ClusterError(f"a worker of the cluster is gone (collectives aborted at step "
                               f"{first_step + batch}): restart every worker with --resume: training "
                               "continues from the last checkpoint") from error
        callback_list.on_train_batch_end(batch, logs)
        if model.stop_training:
            break
    callback_list.on_epoch_end(0, logs)
    callback_list.on_train_end(logs)
    logger.info("trained to step %d; weights fingerprint %s", int(model.step.numpy()), weights_fingerprint(model))
    return model.history


def _distributed_train_step(model, strategy: tf.distribute.Strategy):
    """A tf.function running model.train_step on every replica; each distinct set of Python options (the model's
    step_options) is one trace."""

    @tf.function
    def train_step(iterator, **options):
        logs = strategy.run(model.train_step, args=(next(iterator),), kwargs=options)
        names = sorted(logs)
        # Means of equal per-replica batches average to the global-batch mean: one all-reduce for all logs.
        means = strategy.reduce(tf.distribute.ReduceOp.MEAN,
                                strategy.run(lambda values: tf.stack([values[name] for name in names]),
                                             args=(logs,)), axis=None)
        return dict(zip(names, tf.unstack(means)))

    return train_step


def weights_fingerprint(model) -> str:
    """A short hash of every network's weights: workers in sync log the same one."""
    digest = hashlib.sha256()
    for weight in [weight for network in model.networks.values() for weight in network.weights]:
        digest.update(weight.numpy().tobytes())
    return digest.hexdigest()[:16]

"""StarGAN v2 training: the model with its four optimizers, checkpoints, sample grids and fit.

Reuses the v1 training machinery (run.json, resume checks, the iteration callbacks for logs and checkpoints).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.config import ConfigError
from stargan_tf.config_v2 import StarGANv2Config
from stargan_tf.data.domains import DomainData, DomainLayout, read_domain_data, sample_batch, training_dataset
from stargan_tf.models.v2.stargan_v2 import StarGANv2
from stargan_tf.samples import save_png
from stargan_tf.samples_v2 import latent_grid, reference_grid
from stargan_tf.training import (RUN_FILE, CheckpointCallback, IterationCallback, LogCallback, restore_or_start,
                                 weights_checkpoint, write_run_file)

logger = logging.getLogger("stargan_tf")


def build_model(config: StarGANv2Config, layout: DomainLayout) -> StarGANv2:
    """A compiled StarGAN v2 with the official Adam settings (F's learning rate its own)."""
    def adam(learning_rate):
        # torch's Adam epsilon; the weight decay is added to the gradients by the model (torch semantics).
        return keras.optimizers.Adam(learning_rate, beta_1=config.beta1, beta_2=config.beta2, epsilon=1e-8)

    model = StarGANv2(config, layout.names)
    model.compile(g_optimizer=adam(config.lr), f_optimizer=adam(config.f_lr), e_optimizer=adam(config.lr),
                  d_optimizer=adam(config.lr))
    return model


def checkpoint_manager(model: StarGANv2, directory: str, max_to_keep: int) -> tf.train.CheckpointManager:
    """Checkpoints hold G, F, E, D, their moving averages, the four optimizers and the step counter."""
    networks = {name: weights_checkpoint(getattr(model, name)) for name in (
        "generator", "mapping_network", "style_encoder", "discriminator", "generator_ema", "mapping_network_ema",
        "style_encoder_ema")}
    optimizers = {name: getattr(model, name) for name in ("g_optimizer", "f_optimizer", "e_optimizer",
                                                          "d_optimizer")}
    checkpoint = tf.train.Checkpoint(step=model.step, **networks, **optimizers)
    return tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep, checkpoint_name="ckpt")


class SampleCallback(IterationCallback):
    """Writes latent-guided and reference-guided grids of fixed validation images every sample_step iterations."""

    def __init__(self, sources, references, reference_domains, z_codes, sample_dir: str, every: int):
        super().__init__(every)
        self.sources, self.references, self.reference_domains = sources, references, reference_domains
        self.z_codes, self.sample_dir = z_codes, sample_dir

    def on_iteration(self, iteration, logs):
        os.makedirs(self.sample_dir, exist_ok=True)
        save_png(latent_grid(self.model, self.sources, self.z_codes),
                 os.path.join(self.sample_dir, f"{iteration:06d}-latent.png"))
        save_png(reference_grid(self.model, self.sources, self.references, self.reference_domains),
                 os.path.join(self.sample_dir, f"{iteration:06d}-reference.png"))

    def on_train_end(self, logs=None):
        self.on_iteration(int(self.model.iteration.numpy()), {})


def resolve_data_dirs(config: StarGANv2Config) -> StarGANv2Config:
    """Without --train_img_dir, the embedded synthetic v2 data (created once) for training and validation."""
    if config.train_img_dir:
        return config
    from stargan_tf.data.synthetic_v2 import ensure_synthetic_domains

    root = ensure_synthetic_domains(config.synthetic_cache_dir or None)
    logger.info("no --train_img_dir given: using the embedded synthetic StarGAN v2 data in %s", root)
    return dataclasses.replace(config, train_img_dir=os.path.join(root, "train"),
                               val_img_dir=os.path.join(root, "val"))


def prepare(config: StarGANv2Config, verify_images: bool = True) -> tuple[StarGANv2Config, DomainData, StarGANv2]:
    """Resolves and checks the config, reads the data and builds the model (initial weights from config.seed)."""
    config = resolve_data_dirs(config).validate()
    data = read_domain_data(config.train_img_dir, config.val_img_dir, verify_images)
    if len(data.train) < config.batch_size:
        raise ConfigError(f"--batch_size={config.batch_size} is larger than the {len(data.train)} training images")
    keras.utils.set_random_seed(config.seed)
    return config, data, build_model(config, data.layout)


def _check_domains(directory: str, layout: DomainLayout) -> None:
    """Refuses to resume a run whose checkpoint was trained on other domains (the heads would be mislabelled)."""
    path = os.path.join(directory, RUN_FILE)
    if os.path.isfile(path):
        with open(path) as f:
            stored = json.load(f)["layout"].get("domains")
        if stored is not None and tuple(stored) != layout.names:
            raise ConfigError(f"cannot resume {directory}: its checkpoint has domains {stored}, the data has "
                              f"{list(layout.names)}")


def train(config: StarGANv2Config, verify_images: bool = True, samples_per_domain: int = 2,
          num_styles: int = 3) -> StarGANv2:
    """Trains (or resumes) a StarGAN v2 run to config.num_iters iterations; returns the model."""
    config, data, model = prepare(config, verify_images)
    manager = checkpoint_manager(model, config.model_save_dir, config.keep_checkpoints)
    if manager.latest_checkpoint is not None and config.resume:
        _check_domains(config.model_save_dir, data.layout)
    start_step = restore_or_start(model, manager, config)
    write_run_file(config.model_save_dir, config, data.layout)
    counts = data.train.labels.sum(axis=0).astype(int)
    logger.info("domains %s: %s training images, %d validation images", ", ".join(data.layout.names),
                "/".join(map(str, counts)), len(data.val))
    logger.info("G has %d parameters, F %d, E %d, D %d; checkpoints in %s, samples in %s",
                *(net.count_params() for net in (model.generator, model.mapping_network, model.style_encoder,
                                                 model.discriminator)), config.model_save_dir, config.sample_dir)
    if start_step >= config.num_iters:
        logger.info("the run already reached %d iterations: nothing to train", config.num_iters)
        return model
    sources, _ = sample_batch(data.val, samples_per_domain, config.image_size)
    references, reference_domains = sample_batch(data.val, 1, config.image_size)
    z_codes = np.random.default_rng(config.seed).standard_normal((num_styles, config.latent_dim)).astype(np.float32)
    callbacks = [LogCallback(config.log_step, config.num_iters, config.batch_size),
                 SampleCallback(sources, references, reference_domains, z_codes, config.sample_dir,
                                config.sample_step),
                 CheckpointCallback(manager, config.model_save_step)]
    dataset = training_dataset(data.train, config.image_size, config.batch_size, config.latent_dim, config.seed,
                               config.randcrop_prob, start_batch=start_step)
    model.fit(dataset, epochs=1, steps_per_epoch=config.num_iters - start_step, callbacks=callbacks, shuffle=False,
              verbose=1 if sys.stdout.isatty() else 0)
    return model

"""Turns a config into the run's data: the datasets' files and splits, the label layout, the tf.data input."""
from __future__ import annotations

import dataclasses
import logging

import tensorflow as tf

from stargan_tf.core.config import ConfigError
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.data import pipeline
from stargan_tf.data.celeba import read_celeba
from stargan_tf.data.files import LabeledFiles, drop_unreadable
from stargan_tf.data.rafd import read_rafd
from stargan_tf.data.labels import LabelLayout, make_layout

logger = logging.getLogger("stargan_tf")


@dataclasses.dataclass(frozen=True)
class Split:
    """One dataset's train and test files and its image crop size."""

    train: LabeledFiles
    test: LabeledFiles
    crop_size: int


@dataclasses.dataclass(frozen=True)
class RunData:
    """Everything the training loop needs to know about the data."""

    layout: LabelLayout
    splits: dict  # dataset name -> Split, in the order batches alternate

    def training_dataset(self, config: StarGANConfig, start_step: int = 0) -> tf.data.Dataset:
        """Endless batches for model.fit, alternating datasets when there are two, from overall step start_step."""
        count = len(self.splits)
        datasets = []
        for index, (name, split) in enumerate(self.splits.items()):
            # Dataset `index` serves steps index, index + count, ...: that many batches come before start_step.
            start_batch = (start_step - index + count - 1) // count
            labels = self.layout.embed(name, split.train.labels)
            datasets.append(pipeline.training_dataset(split.train, labels, split.crop_size, config.image_size,
                                                      config.batch_size, config.seed + 1000 * index, start_batch))
        return datasets[0] if count == 1 else pipeline.alternating(datasets, start_step)

    def fixed_batch(self, dataset: str, count: int, image_size: int, split: str = "test"):
        """(images, full-layout labels) of the first `count` images of a split, for sample grids."""
        chosen = self.splits[dataset]
        files = chosen.test if split == "test" and len(chosen.test) else chosen.train
        images, labels = pipeline.load_batch(files, count, chosen.crop_size, image_size)
        return images, self.layout.embed(dataset, labels)


def resolve_data_dirs(config: StarGANConfig) -> StarGANConfig:
    """Fills in the synthetic dataset's directories for every dataset given no directory (creating it once)."""
    needs_celeba = "celeba" in config.datasets and not (config.celeba_image_dir or config.attr_path)
    needs_rafd = "rafd" in config.datasets and not config.rafd_image_dir
    if not (needs_celeba or needs_rafd):
        return config
    from stargan_tf.data.synthetic import ensure_synthetic_data

    data = ensure_synthetic_data(config.synthetic_cache_dir or None)
    updates = {}
    if needs_celeba:
        updates.update(celeba_image_dir=data.celeba_image_dir, attr_path=data.attr_path)
    if needs_rafd:
        updates["rafd_image_dir"] = data.rafd_image_dir
    logger.info("no data directory given for %s: using the embedded synthetic data in %s",
                " and ".join(d for d, needed in (("celeba", needs_celeba), ("rafd", needs_rafd)) if needed), data.root)
    return dataclasses.replace(config, **updates)


def load_run_data(config: StarGANConfig, verify_images: bool = True) -> RunData:
    """Reads the configured datasets, checks their files and builds the label layout."""
    splits, rafd_classes = {}, ()
    if "celeba" in config.datasets:
        if not (config.celeba_image_dir and config.attr_path):
            raise ConfigError("--celeba_image_dir and --attr_path go together: give both or neither")
        train, test = read_celeba(config.celeba_image_dir, config.attr_path, config.selected_attrs,
                                  config.celeba_test_size)
        splits["celeba"] = Split(train, test, config.celeba_crop_size)
    if "rafd" in config.datasets:
        train, test = read_rafd(config.rafd_image_dir, config.rafd_test_fraction)
        if len(train.names) != config.c2_dim:
            raise ConfigError(f"--c2_dim={config.c2_dim} but {config.rafd_image_dir} has {len(train.names)} "
                              f"class folders ({', '.join(train.names)})")
        rafd_classes = train.names
        splits["rafd"] = Split(train, test, config.rafd_crop_size)
    if verify_images:
        splits = {name: Split(drop_unreadable(split.train, f"{name} train"),
                              drop_unreadable(split.test, f"{name} test"),
                              split.crop_size)
                  for name, split in splits.items()}
    for name, split in splits.items():
        if len(split.train) < config.batch_size:
            raise ConfigError(f"--batch_size={config.batch_size} is larger than the {len(split.train)} "
                              f"{name} training images")
    layout = make_layout(config.datasets, config.selected_attrs, rafd_classes)
    return RunData(layout, splits)

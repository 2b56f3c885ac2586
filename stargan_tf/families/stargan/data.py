"""Turns a config into the run's data: the datasets' files and splits, the label layout, the tf.data input."""
from __future__ import annotations

import dataclasses
import logging
import os

import tensorflow as tf

from stargan_tf.core.config import ConfigError
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.data import pipeline
from stargan_tf.data.affectnet import is_repackaged, read_affectnet_csv, read_affectnet_folders
from stargan_tf.data.affectnet_faces import aligned_files
from stargan_tf.data.celeba import read_celeba
from stargan_tf.data.files import LabeledFiles, drop_unreadable
from stargan_tf.data.rafd import read_rafd
from stargan_tf.data.labels import ONEHOT, LabelLayout, make_layout

logger = logging.getLogger("stargan_tf")


@dataclasses.dataclass(frozen=True)
class Split:
    """One dataset's train and test files, its image crop size and whether its classes are drawn balanced."""

    train: LabeledFiles
    test: LabeledFiles
    crop_size: int
    balanced: bool = False


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
                                                      config.batch_size, config.seed + 1000 * index, start_batch,
                                                      split.balanced))
        return datasets[0] if count == 1 else pipeline.alternating(datasets, start_step)

    def summary(self) -> list[str]:
        """Start-up lines: each dataset's image counts and labels, and the training images per class of one-hot
        datasets (with how they are drawn)."""
        lines = []
        for name, split in self.splits.items():
            lines.append(f"{name}: {len(split.train)} train / {len(split.test)} test images, labels "
                         f"{', '.join(split.train.names)}")
            if self.layout.segment(name).kind == ONEHOT:
                counts = ", ".join(f"{label} {int(count)}" for label, count in
                                   zip(split.train.names, split.train.labels.sum(axis=0)))
                drawn = "drawn class-balanced" if split.balanced else "drawn in proportion"
                lines.append(f"{name} training images per class ({drawn}): {counts}")
        return lines

    def fixed_batch(self, dataset: str, count: int, image_size: int, split: str = "test"):
        """(images, full-layout labels) of `count` images spread over a split, for sample grids and evaluation."""
        chosen = self.splits[dataset]
        files = chosen.test if split == "test" and len(chosen.test) else chosen.train
        images, labels = pipeline.load_batch(files, count, chosen.crop_size, image_size)
        return images, self.layout.embed(dataset, labels)


def resolve_data_dirs(config: StarGANConfig) -> StarGANConfig:
    """Fills in the synthetic dataset's directories for every dataset given no directory (creating it once)."""
    needs_celeba = "celeba" in config.datasets and not (config.celeba_image_dir or config.attr_path)
    needs_rafd = "rafd" in config.datasets and not config.rafd_image_dir
    needs_affectnet = "affectnet" in config.datasets and not (
        config.affectnet_image_dir or config.affectnet_train_csv or config.affectnet_val_csv)
    updates = {}
    if needs_celeba or needs_rafd:
        from stargan_tf.data.synthetic import ensure_synthetic_data

        data = ensure_synthetic_data(config.synthetic_cache_dir or None)
        if needs_celeba:
            updates.update(celeba_image_dir=data.celeba_image_dir, attr_path=data.attr_path)
        if needs_rafd:
            updates["rafd_image_dir"] = data.rafd_image_dir
        logger.info("no data directory given for %s: using the embedded synthetic data in %s",
                    " and ".join(d for d, needed in (("celeba", needs_celeba), ("rafd", needs_rafd)) if needed),
                    data.root)
    if needs_affectnet:
        from stargan_tf.data.synthetic_affectnet import ensure_synthetic_affectnet

        image_dir, train_csv, val_csv = ensure_synthetic_affectnet(config.synthetic_cache_dir or None)
        updates.update(affectnet_image_dir=image_dir, affectnet_train_csv=train_csv, affectnet_val_csv=val_csv)
        logger.info("no data directory given for affectnet: using the embedded synthetic data in %s",
                    os.path.dirname(image_dir))
    return dataclasses.replace(config, **updates) if updates else config


def read_celeba_split(config: StarGANConfig) -> Split:
    """CelebA's split: the attribute file's official train/test split of the image folder."""
    if not (config.celeba_image_dir and config.attr_path):
        raise ConfigError("--celeba_image_dir and --attr_path go together: give both or neither")
    train, test = read_celeba(config.celeba_image_dir, config.attr_path, config.selected_attrs,
                              config.celeba_test_size)
    return Split(train, test, config.celeba_crop_size)


def read_rafd_split(config: StarGANConfig) -> Split:
    """RaFD's split: a fixed fraction of every class folder held out, --c2_dim checked against the folders."""
    train, test = read_rafd(config.rafd_image_dir, config.rafd_test_fraction)
    if len(train.names) != config.c2_dim:
        raise ConfigError(f"--c2_dim={config.c2_dim} but {config.rafd_image_dir} has {len(train.names)} "
                          f"class folders ({', '.join(train.names)})")
    return Split(train, test, config.rafd_crop_size)


def read_affectnet_split(config: StarGANConfig) -> Split:
    """AffectNet's split: CelebA-aligned crops of the CSVs' faces (made once, then cached), or the re-packaged
    class folders."""
    image_dir = config.affectnet_image_dir
    if config.affectnet_train_csv or config.affectnet_val_csv:
        if not (config.affectnet_train_csv and config.affectnet_val_csv):
            raise ConfigError("--affectnet_train_csv and --affectnet_val_csv go together: give both or neither")
        annotations = read_affectnet_csv(image_dir, config.affectnet_train_csv, config.affectnet_val_csv)
        train, test = (aligned_files(split, config.synthetic_cache_dir) for split in annotations)
    elif image_dir and is_repackaged(image_dir):
        train, test = read_affectnet_folders(image_dir)
    else:
        raise ConfigError(f"--affectnet_image_dir={image_dir!r}: expected a folder with train/<class>/ and "
                          f"val/<class>/, or the photo folder with --affectnet_train_csv and --affectnet_val_csv")
    return Split(train, test, config.affectnet_crop_size, config.affectnet_balanced)


SPLIT_READERS = {"celeba": read_celeba_split, "rafd": read_rafd_split, "affectnet": read_affectnet_split}


def load_run_data(config: StarGANConfig, verify_images: bool = True) -> RunData:
    """Reads the configured datasets (in the order their batches alternate), checks their files and builds the
    label layout."""
    splits = {name: SPLIT_READERS[name](config) for name in config.datasets}
    if verify_images:
        splits = {name: dataclasses.replace(split, train=drop_unreadable(split.train, f"{name} train"),
                                            test=drop_unreadable(split.test, f"{name} test"))
                  for name, split in splits.items()}
    for name, split in splits.items():
        if len(split.train) < config.batch_size:
            raise ConfigError(f"--batch_size={config.batch_size} is larger than the {len(split.train)} "
                              f"{name} training images")
    classes = {name: split.train.names for name, split in splits.items() if name != "celeba"}
    layout = make_layout(config.datasets, config.selected_attrs, classes.get("rafd", ()), classes.get("affectnet", ()))
    return RunData(layout, splits)

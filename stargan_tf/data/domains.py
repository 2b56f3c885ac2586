"""StarGAN v2 data: domain folders in the AFHQ / CelebA-HQ layout and the class-balanced tf.data input.

Every random draw (domains, images, latent codes, crops, flips) is a function of the seed and the example's
position, so a resumed run sees exactly the batches an uninterrupted run would, as in the v1 pipeline.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
import tensorflow as tf

from stargan_tf.data.files import DataError, LabeledFiles, decode_image, drop_unreadable, read_class_folders
from stargan_tf.data.pipeline import resize_and_scale

logger = logging.getLogger("stargan_tf")

CROP_SCALE = (0.8, 1.0)  # the official RandomResizedCrop's area and aspect-ratio ranges
CROP_RATIO = (0.9, 1.1)


@dataclasses.dataclass(frozen=True)
class DomainLayout:
    """The domains of a StarGAN v2 run, in label order (sorted folder names); stored in run.json."""

    names: tuple[str, ...]

    def to_json(self) -> dict:
        return {"domains": list(self.names)}


@dataclasses.dataclass(frozen=True)
class DomainData:
    """Training and validation files of a StarGAN v2 run (labels one-hot over the domains)."""

    layout: DomainLayout
    train: LabeledFiles
    val: LabeledFiles


def read_domain_data(train_dir: str, val_dir: str = "", verify_images: bool = True) -> DomainData:
    """Reads train_dir/<domain>/* and val_dir/<domain>/* (no val_dir: samples come from the training images)."""
    train = read_class_folders(train_dir, "StarGAN v2 training directory")
    val = read_class_folders(val_dir, "StarGAN v2 validation directory") if val_dir else train
    if val.names != train.names:
        raise DataError(f"validation domains {list(val.names)} in {val_dir} differ from the training domains "
                        f"{list(train.names)} in {train_dir}")
    if verify_images:
        train = drop_unreadable(train, "train")
        val = drop_unreadable(val, "val") if val_dir else train
    counts = train.labels.sum(axis=0)
    for name, count in zip(train.names, counts):
        if count == 0:
            raise DataError(f"domain {name} has no readable training images in {train_dir}")
    return DomainData(DomainLayout(train.names), train, val)


def decode(path):
    """Any JPEG/PNG/BMP/GIF file as uint8 RGB [H, W, 3]."""
    return decode_image(tf.io.read_file(path))


def load_image(path, image_size: int):
    """Reads an image file as RGB, resized to S x S (squashed, like the official Resize), in [-1, 1]."""
    return resize_and_scale(decode(path), image_size)


def augment(image, image_size: int, randcrop_prob: float, seed):
    """Official training transform: with probability randcrop_prob a random crop (area 0.8-1, aspect 0.9-1.1),
    then resize to S x S, random horizontal flip, [-1, 1]. seed: int64 [2]."""
    seeds = tf.random.experimental.stateless_split(seed, 3)

    def crop():
        begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
            tf.shape(image), tf.zeros([1, 0, 4]), seed=seeds[1], min_object_covered=0.0,
            aspect_ratio_range=CROP_RATIO, area_range=CROP_SCALE, max_attempts=10,
            use_image_if_no_bounding_boxes=True)
        return tf.slice(image, begin, size)

    use_crop = tf.random.stateless_uniform([], seed=seeds[0]) < randcrop_prob
    # The crop's dynamic size hides the channel count; without it Keras runs G's, E's and D's first
    # convolution through XLA (its workaround for grouped convolutions), which is slower on CPU.
    image = tf.ensure_shape(tf.cond(use_crop, crop, lambda: image), [None, None, 3])
    return tf.image.stateless_random_flip_left_right(resize_and_scale(image, image_size), seed=seeds[2])


def training_dataset(files: LabeledFiles, image_size: int, batch_size: int, latent_dim: int, seed: int,
                     randcrop_prob: float = 0.5, start_batch: int = 0) -> tf.data.Dataset:
    """Endless batches {x_src, y_src, x_ref, x_ref2, y_ref, z_trg, z_trg2}, starting at batch start_batch.

    Class-balanced, as the official sampler: each source and each reference domain is drawn uniformly, then an
    image uniformly within it; x_ref and x_ref2 are two images of the reference domain y_ref (the target).
    """
    domain_ids = files.labels.argmax(axis=1)
    order = np.argsort(domain_ids, kind="stable")
    counts = np.bincount(domain_ids, minlength=files.labels.shape[1])
    paths = tf.constant(np.asarray(files.paths)[order])
    offsets = tf.constant(np.concatenate([[0], np.cumsum(counts)[:-1]]), tf.int32)
    counts = tf.constant(counts, tf.int32)
    num_domains = files.labels.shape[1]

    def pick(domain, u):
        """Path of image floor(u * count) of a domain."""
        index = tf.minimum(tf.cast(u * tf.cast(counts[domain], tf.float32), tf.int32), counts[domain] - 1)
        return paths[offsets[domain] + index]

    def image(domain, u, augment_seed):
        return augment(decode(pick(domain, u)), image_size, randcrop_prob, augment_seed)

    def example(position):
        seeds = tf.random.experimental.stateless_split(tf.stack([tf.constant(seed, tf.int64), position]), 5)
        u = tf.random.stateless_uniform([5], seed=seeds[0])
        y_src = tf.minimum(tf.cast(u[0] * num_domains, tf.int32), num_domains - 1)
        y_ref = tf.minimum(tf.cast(u[1] * num_domains, tf.int32), num_domains - 1)
        z = tf.random.stateless_normal([2, latent_dim], seed=seeds[1])
        return {"x_src": image(y_src, u[2], seeds[2]), "y_src": y_src,
                "x_ref": image(y_ref, u[3], seeds[3]), "x_ref2": image(y_ref, u[4], seeds[4]),
                "y_ref": y_ref, "z_trg": z[0], "z_trg2": z[1]}

    dataset = (tf.data.Dataset.range(start_batch * batch_size, np.iinfo(np.int64).max)
               .map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
               .ignore_errors(log_warning=True)
               .batch(batch_size, drop_remainder=True))
    return dataset.prefetch(tf.data.AUTOTUNE)


def sample_batch(files: LabeledFiles, per_domain: int, image_size: int):
    """(images [K*per_domain,S,S,3], domains int [K*per_domain]): the first images of each domain, unaugmented."""
    domain_ids = files.labels.argmax(axis=1)
    chosen = [i for k in range(files.labels.shape[1]) for i in np.flatnonzero(domain_ids == k)[:per_domain]]
    images = tf.stack([load_image(files.paths[i], image_size) for i in chosen])
    return images.numpy(), domain_ids[chosen].astype(np.int32)

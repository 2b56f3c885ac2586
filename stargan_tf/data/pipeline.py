"""tf.data input pipelines: decode, center-crop, resize, flip, batch, and the per-example random draws.

Every random draw (shuffle order, flip, target-label permutation, gradient-penalty alpha) is a function of
the seed and the element's position, so a run resumed at step N sees exactly the batches an uninterrupted
run would, and a distributed run splits the draws across replicas exactly like the images.
"""
import numpy as np
import tensorflow as tf

from stargan_tf.data.files import LabeledFiles, decode_image
from stargan_tf.data.labels import permuted_targets

SQUARE = 0  # crop_size meaning "the largest centred square" of whatever size the image has


def load_image(path, crop_size: int, image_size: int):
    """Reads any JPEG/PNG/BMP/GIF as RGB (alpha dropped, gray expanded), center-crops, resizes, scales to [-1, 1].

    crop_size SQUARE (0) crops the largest centred square of each image, whatever its size.
    """
    return preprocess(decode_image(tf.io.read_file(path)), crop_size, image_size)


def preprocess(image, crop_size: int, image_size: int):
    """uint8 RGB [.., H, W, 3] -> float32 [.., S, S, 3] in [-1, 1]: center crop (padding if smaller), resize.

    crop_size SQUARE (0) crops the largest centred square, whatever the image's size."""
    if crop_size == SQUARE:
        crop_size = tf.minimum(tf.shape(image)[-3], tf.shape(image)[-2])
    return resize_and_scale(tf.image.resize_with_crop_or_pad(image, crop_size, crop_size), image_size)


def resize_and_scale(image, image_size: int):
    """uint8 RGB [.., H, W, 3] -> float32 [.., S, S, 3] in [-1, 1]: antialiased resize to S x S."""
    image = tf.image.resize(tf.cast(image, tf.float32), [image_size, image_size], antialias=True)
    return tf.clip_by_value(image / 127.5 - 1.0, -1.0, 1.0)


def _with_draws(batch, seed: int, batch_size: int):
    """Adds target labels (a permutation of the batch's labels) and the gradient-penalty alpha per example."""
    batch_index = batch.pop("position")[0] // batch_size
    batch["target_label"] = permuted_targets(batch["label"], seed=tf.stack([tf.cast(seed, tf.int64), batch_index]))
    batch["alpha"] = tf.random.stateless_uniform([tf.shape(batch["label"])[0], 1, 1, 1],
                                                 seed=tf.stack([tf.cast(seed + 1, tf.int64), batch_index]))
    return batch


def shuffled_order(count: int, seed: int) -> tf.data.Dataset:
    """Endless example indices: every example once per epoch, in a new seeded order each epoch."""
    return tf.data.Dataset.range(count).shuffle(count, seed=seed, reshuffle_each_iteration=True).repeat()


def balanced_order(class_ids: np.ndarray, seed: int) -> tf.data.Dataset:
    """Endless example indices drawing every class equally often: a seeded class choice, then the next example of
    that class's own endless shuffled order (so rare classes repeat and frequent ones are subsampled)."""
    class_ids = np.asarray(class_ids)
    classes = np.unique(class_ids)
    per_class = [tf.data.Dataset.from_tensor_slices(np.flatnonzero(class_ids == class_id).astype(np.int64))
                 .shuffle(int((class_ids == class_id).sum()), seed=seed + 1 + int(class_id),
                          reshuffle_each_iteration=True).repeat()
                 for class_id in classes]
    return tf.data.Dataset.sample_from_datasets(per_class, seed=seed)


def training_dataset(files: LabeledFiles, labels: np.ndarray, crop_size: int, image_size: int, batch_size: int,
                     seed: int, start_batch: int = 0, balanced: bool = False) -> tf.data.Dataset:
    """Endless shuffled, flipped batches {image, label, target_label, alpha}, starting at batch start_batch.

    balanced draws every class (files' one-hot labels) equally often instead of every example once per epoch.
    """
    paths = tf.constant(files.paths)
    label_table = tf.constant(labels, tf.float32)

    def load(position, index):
        image = load_image(tf.gather(paths, index), crop_size, image_size)
        image = tf.image.stateless_random_flip_left_right(image, seed=tf.stack([tf.cast(seed, tf.int64), position]))
        return {"image": image, "label": tf.gather(label_table, index), "position": position}

    order = balanced_order(files.labels.argmax(axis=1), seed) if balanced else shuffled_order(len(files), seed)
    dataset = (order
               .enumerate()
               .skip(start_batch * batch_size)
               .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
               # A file that passed the up-front check but still fails to decode is dropped, not fatal.
               .ignore_errors(log_warning=True)
               .batch(batch_size, drop_remainder=True)
               .map(lambda batch: _with_draws(batch, seed, batch_size)))
    return dataset.prefetch(tf.data.AUTOTUNE)


def alternating(datasets, start_step: int = 0) -> tf.data.Dataset:
    """Interleaves batches of several datasets in turn (A, B, A, B, ...), resuming at overall step start_step."""
    count = len(datasets)
    choice = tf.data.Dataset.range(count).repeat().skip(start_step % count)
    return tf.data.Dataset.choose_from_datasets(list(datasets), choice)


def load_batch(files: LabeledFiles, count: int, crop_size: int, image_size: int):
    """`count` images spread evenly over a split (all of it when count >= its size), as one fixed, unflipped array
    batch for samples and evaluation: a split sorted by class (RaFD's folders) then shows every class, not one."""
    picks = files.subset(np.linspace(0, len(files) - 1, min(count, len(files))).round().astype(int))
    images = tf.stack([load_image(path, crop_size, image_size) for path in picks.paths])
    return images.numpy(), picks.labels

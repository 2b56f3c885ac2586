"""Style transfer accuracy: does a reference-guided output take its reference's style, and how many styles do
latent codes give one image?

The embedded synthetic v2 data names each image's hair colour in its file name (`00012-blond.jpg`), the style a
style code should carry. A second classifier, trained on the real training images' hair colours, judges the
outputs. Data without such names (real AFHQ or CelebA-HQ folders) have no style labels and get neither figure.
"""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from stargan_tf.data.files import LabeledFiles
from stargan_tf.data.labels import ONEHOT, LabelLayout, Segment
from stargan_tf.data.domains import load_image
from stargan_tf.data.synthetic_domains import HAIR_STYLES
from stargan_tf.evaluation import classifier as classifier_lib

SEGMENT = "hair"
STYLES = tuple(HAIR_STYLES)  # label order of the style classifier
SUBDIRECTORY = "style"  # the style classifier's folder inside the evaluation's --classifier_dir


def style_layout() -> LabelLayout:
    """The style classifier's label layout: one softmax over the hair colours."""
    return LabelLayout((Segment(SEGMENT, ONEHOT, STYLES, 0),))


def style_labels(files: LabeledFiles) -> np.ndarray | None:
    """Each file's style index (its name, without extension, ends with `-<style>`), or None when any file has no
    known style: then the data carry no style labels."""
    labels = []
    for path in files.paths:
        style = os.path.splitext(os.path.basename(path))[0].rpartition("-")[2]
        if style not in STYLES:
            return None
        labels.append(STYLES.index(style))
    return np.asarray(labels, np.int64)


def train_style_classifier(files: LabeledFiles, labels: np.ndarray, image_size: int, steps: int, seed: int = 0,
                           batch_size: int = 32):
    """A classifier of the styles fitted to `steps` batches of the real images, shuffled by seed."""
    onehot = np.eye(len(STYLES), dtype=np.float32)[labels]
    batches = (tf.data.Dataset.from_tensor_slices((list(files.paths), onehot)).shuffle(len(files), seed=seed)
               .repeat().map(lambda path, label: (load_image(path, image_size), label)).batch(batch_size))
    return classifier_lib.fit_classifier(batches, style_layout(), image_size, steps, seed)


def ensure_style_classifier(classifier_dir: str, files: LabeledFiles, labels: np.ndarray, image_size: int,
                            steps: int, seed: int = 0):
    """The style classifier saved in <classifier_dir>/style, trained there first when there is none."""
    return classifier_lib.ensure_classifier(os.path.join(classifier_dir, SUBDIRECTORY), style_layout(), image_size,
                                            lambda: train_style_classifier(files, labels, image_size, steps, seed))


def style_figures(predicted: np.ndarray, num_outs: int, reference_styles: np.ndarray | None = None) -> dict:
    """Per-output `style_correct` (predicted == the reference's style, when references are given) and per source
    image `styles_per_image` (distinct predicted styles over its num_outs outputs), from the predicted styles of
    num_outs output batches of the same n source images, concatenated ([num_outs * n])."""
    per_image = predicted.reshape(num_outs, -1)
    figures = {"styles_per_image": np.array([len(np.unique(column)) for column in per_image.T], np.float64)}
    if reference_styles is not None:
        figures["style_correct"] = predicted == reference_styles
    return figures

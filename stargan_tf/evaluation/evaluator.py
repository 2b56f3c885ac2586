"""Evaluates a generator G(images, labels) on a run's held-out images: the domain classifier's accuracy on real
images, then every test image translated to every target domain, classified, reconstructed and compared.

`evaluate_generator` takes any callable generator, classifier and feature extractor; `evaluate_checkpoint` loads
a stargan_tf run directory and writes the report and sample grids. StarGAN v2 (evaluator_v2.py) reuses the
classifier, feature and checkpoint helpers.
"""
from __future__ import annotations

import collections
import logging
import os
import time

import numpy as np

from stargan_tf.config import ConfigError
from stargan_tf.data import pipeline
from stargan_tf.data.sources import RunData, load_run_data, resolve_data_dirs
from stargan_tf.evaluation import classifier as classifier_lib
from stargan_tf.evaluation import metrics, report as report_lib
from stargan_tf.labels import LabelLayout, sample_targets
from stargan_tf.samples import save_png, translation_grid
from stargan_tf.training import build_model, checkpoint_manager, read_run_config

logger = logging.getLogger("stargan_tf")

DEFAULT_CLASSIFIER_STEPS = 2000
GRID_IMAGES = 8


def batched(fn, *arrays, batch_size: int = 64) -> np.ndarray:
    """fn applied to consecutive slices of the arrays, outputs concatenated (bounded memory on large test sets)."""
    outputs = [np.asarray(fn(*(a[i:i + batch_size] for a in arrays))) for i in range(0, len(arrays[0]), batch_size)]
    return np.concatenate(outputs)


def reference_features(features, data: RunData, dataset: str, image_size: int, count: int) -> tuple:
    """(features, full-layout labels) of up to `count` real training images of a dataset, spread over the split."""
    split = data.splits[dataset]
    chosen = np.unique(np.linspace(0, len(split.train) - 1, min(count, len(split.train))).astype(int))
    images, labels = pipeline.load_batch(split.train.subset(chosen), len(chosen), split.crop_size, image_size)
    return batched(features, images), data.layout.embed(dataset, labels)


def evaluate_generator(generator, classifier, features, data: RunData, image_size: int, datasets=None,
                       max_images: int = 0, reference_images: int = 1000, batch_size: int = 64) -> dict:
    """Translation quality of `generator` on the held-out images of `datasets` (default: all of the run's).

    generator(images, labels) -> images and classifier(images) -> logits [N, logit_dim] in the run's layout;
    features(images) -> [N, D] for the Fréchet distance. Images are [N, S, S, 3] in [-1, 1].
    """
    layout = data.layout
    datasets = list(datasets or data.splits)
    result = {"real": {}, "translation": {}}
    references = {name: reference_features(features, data, name, image_size, reference_images)
                  for name in data.splits}
    for dataset in datasets:
        split = data.splits[dataset]
        if not len(split.test):
            logger.warning("%s has no held-out images: evaluating on its training images", dataset)
        count = max_images if max_images > 0 else len(split.test) or len(split.train)
        images, labels = data.fixed_batch(dataset, count, image_size)
        result["real"][dataset] = dict(metrics.real_accuracy(batched(classifier, images), labels, layout, dataset),
                                       images=len(images))
        scores, rec_errors = [], []
        translated_features = collections.defaultdict(list)
        for name, target in sample_targets(layout, dataset, labels):
            fakes = batched(generator, images, target, batch_size=batch_size)
            reconstructed = batched(generator, fakes, labels, batch_size=batch_size)
            rec_errors.append(np.abs(reconstructed - images).mean() / 2.0)  # [-1, 1] -> [0, 1] pixel units
            score = metrics.score_target(layout, name, labels, target, batched(classifier, fakes))
            scores.append(dict(score, reconstruction_l1=float(rec_errors[-1])))
            segment = metrics.target_segment(layout, target)
            asked = metrics.asked_positions(segment, name)
            fake_features = batched(features, fakes)
            for domain, feature in zip(metrics.domain_names(segment, asked, target[:, asked]), fake_features):
                translated_features[(segment.dataset, tuple(asked), domain)].append(feature)
        result["translation"][dataset] = {
            "images": len(images), "targets": scores, "reconstruction_l1": float(np.mean(rec_errors)),
            "by_target_dataset": _summaries(scores),
            "frechet": _frechet_by_domain(translated_features, references, layout)}
    return result


def _summaries(scores) -> dict:
    """Mean accuracy, error and preservation of the targets in each target dataset."""
    summary = {}
    for dataset in dict.fromkeys(score["dataset"] for score in scores):
        chosen = [score for score in scores if score["dataset"] == dataset]
        accuracy = float(np.mean([score["accuracy"] for score in chosen]))
        summary[dataset] = {"accuracy": accuracy, "error": 1.0 - accuracy}
        kept = [score["preservation"] for score in chosen if "preservation" in score]
        if kept:
            summary[dataset]["preservation"] = float(np.mean(kept))
    return summary


def _frechet_by_domain(translated_features, references, layout) -> dict:
    """Fréchet distance between the translated images of each target domain and the real images of that domain."""
    distances = {}
    for (dataset, asked, domain), fake_features in translated_features.items():
        real_features, real_labels = references[dataset]
        segment = layout.segment(dataset)
        real_domains = np.array(metrics.domain_names(segment, list(asked), real_labels[:, list(asked)]))
        real = real_features[real_domains == domain]
        if len(real) >= 2 and len(fake_features) >= 2:
            distances[domain] = metrics.frechet_distance(real, np.stack(fake_features))
    return distances


def inception_features(weights_path: str):
    """Pool features (2048) of InceptionV3 loaded from a local weights file (no download): images in [-1, 1]."""
    import keras
    import tensorflow as tf

    if not os.path.isfile(weights_path):
        raise ConfigError(f"--inception_weights={weights_path}: no such file (InceptionV3 no-top ImageNet weights)")
    network = keras.applications.InceptionV3(include_top=False, weights=weights_path, pooling="avg",
                                             input_shape=(299, 299, 3))
    # InceptionV3 expects [-1, 1] inputs, the range our images already have; only the size changes.
    return lambda images: network(tf.image.resize(images, [299, 299], antialias=True), training=False)


def load_generator(checkpoint_dir: str):
    """(config with data dirs resolved, run data, StarGAN model restored from the latest checkpoint)."""
    config = resolve_data_dirs(read_run_config(checkpoint_dir))
    data = load_run_data(config, verify_images=False)
    model = build_model(config, data.layout)
    restore_latest(model, checkpoint_manager(model, checkpoint_dir, max_to_keep=1), checkpoint_dir)
    return config, data, model


def restore_latest(model, manager, checkpoint_dir: str) -> None:
    """Restores a run directory's newest checkpoint into `model` (any model family; optimizer state may stay)."""
    if manager.latest_checkpoint is None:
        raise ConfigError(f"--checkpoint_dir={checkpoint_dir} has run.json but no checkpoint")
    manager.checkpoint.restore(manager.latest_checkpoint).expect_partial()
    logger.info("restored %s (iteration %d)", manager.latest_checkpoint, int(model.iteration.numpy()))


def ensure_classifier(directory: str, layout: LabelLayout, image_size: int, train):
    """The classifier saved in `directory`, trained there first by train() -> keras.Model when there is none."""
    if not classifier_lib.has_classifier(directory):
        logger.info("no classifier in %s: training one on the run's real training images", directory)
        classifier_lib.save_classifier(train(), directory, layout)
    return classifier_lib.load_classifier(directory, layout, image_size)


def frechet_features(classifier, inception_weights: str = "") -> tuple:
    """(features(images) -> [N, D], the distance's name, what the features are): InceptionV3 pool features
    ("FID") given a local weights file, else the domain classifier's penultimate layer ("FD-classifier")."""
    if inception_weights:
        return inception_features(inception_weights), "FID", f"InceptionV3 pool ({inception_weights})"
    return classifier_lib.feature_model(classifier), "FD-classifier", "domain classifier penultimate layer"


def evaluate_checkpoint(checkpoint_dir: str, classifier_dir: str, output_dir: str, datasets=None,
                        classifier_steps: int = DEFAULT_CLASSIFIER_STEPS, inception_weights: str = "",
                        max_images: int = 0, report_name: str = "report") -> dict:
    """Evaluates a run directory's latest checkpoint; writes <report_name>.json, .txt and one sample grid per
    dataset (<report_name>-<dataset>.png) to output_dir, and returns the report."""
    config, data, model = load_generator(checkpoint_dir)
    unknown = sorted(set(datasets or ()) - set(data.splits))
    if unknown:
        raise ConfigError(f"--dataset: the model was trained on {', '.join(data.splits)}, not {', '.join(unknown)}")
    start = time.time()
    classifier = ensure_classifier(classifier_dir, data.layout, config.image_size,
                                   lambda: classifier_lib.train_classifier(config, data, classifier_steps))
    classifier_seconds = time.time() - start
    features, frechet_name, frechet_description = frechet_features(classifier, inception_weights)
    start = time.time()
    result = evaluate_generator(model.generator, classifier, features, data, config.image_size, datasets, max_images)
    report = dict(result, checkpoint=checkpoint_dir, iteration=int(model.iteration.numpy()),
                  image_size=config.image_size, classifier_dir=classifier_dir, frechet_name=frechet_name,
                  frechet_features=frechet_description, classifier_seconds=round(classifier_seconds, 1),
                  evaluation_seconds=round(time.time() - start, 1))
    os.makedirs(output_dir, exist_ok=True)
    for dataset in result["translation"]:
        images, labels = data.fixed_batch(dataset, GRID_IMAGES, config.image_size)
        grid, columns = translation_grid(model.generator, images, labels, data.layout, dataset)
        save_png(grid, os.path.join(output_dir, f"{report_name}-{dataset}.png"))
        report["translation"][dataset]["grid_columns"] = columns
    report_lib.write_report(report, os.path.join(output_dir, report_name + ".json"))
    with open(os.path.join(output_dir, report_name + ".txt"), "w") as f:
        f.write(report_lib.format_table(report) + "\n")
    return report

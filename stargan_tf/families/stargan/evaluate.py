"""Evaluates a generator G(images, labels) on a run's held-out images: the domain classifier's accuracy on real
images, then every test image translated to every target domain, classified, reconstructed and compared.

`evaluate_generator` takes any callable generator, classifier and feature extractor; `evaluate_run` evaluates a
restored run and writes the report and sample grids.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import os
import time

import keras
import numpy as np

from stargan_tf.core.config import ConfigError
from stargan_tf.core.grids import save_png
from stargan_tf.data import pipeline
from stargan_tf.data.labels import sample_targets
from stargan_tf.evaluation import classifier as classifier_lib
from stargan_tf.evaluation import metrics, report as report_lib
from stargan_tf.evaluation.classifier import DEFAULT_CLASSIFIER_STEPS
from stargan_tf.evaluation.features import batched, frechet_features
from stargan_tf.evaluation.report import number, percent
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.families.stargan.data import RunData
from stargan_tf.families.stargan.samples import translation_grid

logger = logging.getLogger("stargan_tf")

GRID_IMAGES = 8


def train_classifier(config: StarGANConfig, data: RunData, steps: int, batch_size: int = 32,
                     learning_rate: float = 1e-3) -> keras.Model:
    """Trains a classifier for `steps` batches of real training images (datasets alternating, flipped at random)."""
    keras.utils.set_random_seed(config.seed)  # Before the dataset: its shuffle order follows the global seed.
    batches = (data.training_dataset(dataclasses.replace(config, batch_size=batch_size))
               .map(lambda batch: (batch["image"], batch["label"])))
    return classifier_lib.fit_classifier(batches, data.layout, config.image_size, steps, config.seed, learning_rate)


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
        flat = metrics.flat_pixels(images)
        result["real"][dataset] = dict(metrics.real_accuracy(batched(classifier, images), labels, layout, dataset),
                                       images=len(images), speckle=metrics.speckle(images, flat))
        scores, rec_errors, speckles = [], [], []
        translated_features = collections.defaultdict(list)
        for name, target in sample_targets(layout, dataset, labels):
            fakes = batched(generator, images, target, batch_size=batch_size)
            reconstructed = batched(generator, fakes, labels, batch_size=batch_size)
            rec_errors.append(np.abs(reconstructed - images).mean() / 2.0)  # [-1, 1] -> [0, 1] pixel units
            speckles.append(metrics.speckle(fakes, flat))
            score = metrics.score_target(layout, name, labels, target, batched(classifier, fakes))
            scores.append(dict(score, reconstruction_l1=float(rec_errors[-1])))
            segment = metrics.target_segment(layout, target)
            asked = metrics.asked_positions(segment, name)
            fake_features = batched(features, fakes)
            for domain, feature in zip(metrics.domain_names(segment, asked, target[:, asked]), fake_features):
                translated_features[(segment.dataset, tuple(asked), domain)].append(feature)
        result["translation"][dataset] = {
            "images": len(images), "targets": scores, "reconstruction_l1": float(np.mean(rec_errors)),
            "speckle": float(np.mean(speckles)),
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


def evaluate_run(config, data: RunData, model, checkpoint_dir: str, classifier_dir: str, output_dir: str,
                 datasets=None, classifier_steps: int = DEFAULT_CLASSIFIER_STEPS, inception_weights: str = "",
                 max_images: int = 0, report_name: str = "report") -> dict:
    """Evaluates a restored run (its config, data and model); writes <report_name>.json, .txt and one sample grid
    per dataset (<report_name>-<dataset>.png) to output_dir, and returns the report."""
    unknown = sorted(set(datasets or ()) - set(data.splits))
    if unknown:
        raise ConfigError(f"--dataset: the model was trained on {', '.join(data.splits)}, not {', '.join(unknown)}")
    start = time.time()
    classifier = classifier_lib.ensure_classifier(classifier_dir, data.layout, config.image_size,
                                   lambda: train_classifier(config, data, classifier_steps))
    classifier_seconds = time.time() - start
    features, frechet_name, frechet_description = frechet_features(classifier, inception_weights)
    start = time.time()
    result = evaluate_generator(model.translator, classifier, features, data, config.image_size, datasets, max_images)
    report = dict(result, checkpoint=checkpoint_dir, iteration=int(model.iteration.numpy()),
                  image_size=config.image_size, classifier_dir=classifier_dir, frechet_name=frechet_name,
                  frechet_features=frechet_description, classifier_seconds=round(classifier_seconds, 1),
                  evaluation_seconds=round(time.time() - start, 1))
    os.makedirs(output_dir, exist_ok=True)
    for dataset in result["translation"]:
        images, labels = data.fixed_batch(dataset, GRID_IMAGES, config.image_size)
        grid, columns = translation_grid(model.translator, images, labels, data.layout, dataset)
        save_png(grid, os.path.join(output_dir, f"{report_name}-{dataset}.png"))
        report["translation"][dataset]["grid_columns"] = columns
    report_lib.write_report(report, os.path.join(output_dir, report_name + ".json"))
    with open(os.path.join(output_dir, report_name + ".txt"), "w") as f:
        f.write(format_table(report) + "\n")
    return report


def format_table(report: dict) -> str:
    """The report as a plain-text table, one row per (source dataset, target dataset), then per target."""
    frechet = report.get("frechet_name", "FD")
    rows = [(f"real {dataset} ({real['images']})", dataset, real["accuracy"], 1.0 - real["accuracy"], None, None,
             real.get("speckle")) for dataset, real in report["real"].items()]
    for source, translation in report["translation"].items():
        for target_dataset, summary in translation["by_target_dataset"].items():
            rows.append((f"{source} -> {target_dataset}" + (" (cross)" if target_dataset != source else ""),
                         target_dataset, summary["accuracy"], summary["error"], summary.get("preservation"),
                         translation["reconstruction_l1"], translation.get("speckle")))
    # Columns as wide as their longest entry (dataset names vary: celeba, affectnet, ...).
    label_width, target_width = (max([minimum] + [len(row[column]) + 2 for row in rows])
                                 for column, minimum in ((0, 24), (1, 10)))
    lines = [f"checkpoint {report.get('checkpoint', '?')} (iteration {report.get('iteration', '?')}, "
             f"{report.get('image_size', '?')}px)", "",
             f"{'images':<{label_width}}{'targets':<{target_width}}{'accuracy':>10}{'error':>10}{'preserved':>11}"
             f"{'rec L1':>9}{'speckle':>9}"]
    for label, target, accuracy, error, preservation, l1, speckle in rows:
        lines.append(f"{label:<{label_width}}{target:<{target_width}}{percent(accuracy):>10}{percent(error):>10}"
                     f"{percent(preservation):>11}{number(l1):>9}{number(speckle):>9}")
    lines += ["", "per target domain (accuracy / preservation):"]
    for source, translation in report["translation"].items():
        cells = [f"{score['target']} {percent(score['accuracy'])}"
                 + (f" / {percent(score['preservation'])}" if "preservation" in score else "")
                 for score in translation["targets"]]
        lines.append(f"  {source}: " + ", ".join(cells))
    lines += ["", f"{frechet} per target domain (real training images vs translations; lower is closer):"]
    for source, translation in report["translation"].items():
        lines.append(f"  {source}: " + ", ".join(f"{domain} {value:.2f}"
                                                  for domain, value in translation["frechet"].items()))
    lines += ["", "classifier accuracy on real images per label:"]
    for dataset, real in report["real"].items():
        lines.append(f"  {dataset}: " + ", ".join(f"{name} {percent(value)}"
                                                   for name, value in real["per_label"].items()))
    return "\n".join(lines)

"""Evaluates StarGAN v2 like the official metrics/eval.py, for latent-guided and reference-guided synthesis.

For every task (source domain, target domain != source), each validation image of the source domain is
translated to the target `num_outs` times: with random latent codes z (latent-guided), or with the styles of
validation images of the target domain drawn at random (reference-guided). The outputs give:
- accuracy: the fraction the domain classifier (trained on real training images) assigns to the target;
- the Fréchet distance to real training images of the target (FID with Inception weights, else FD-classifier);
- diversity: per source image, the mean distance over the num_outs * (num_outs - 1) / 2 pairs of its outputs,
  as LPIPS (given its weight files), as the distance of unit-normalised features (the Fréchet distance's
  features) and as pixel L1;
- on data whose file names carry a style (the embedded synthetic data's hair colours, style_judge.py): style
  accuracy, the fraction of reference-guided outputs whose style is the reference's, and styles per image, the
  distinct styles among one source image's num_outs outputs.
Each figure is reported per task, per target domain (the outputs of every source pooled) and as the mean over
the tasks (the official summary).
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import os
import time
import types
from typing import Callable

import numpy as np
import tensorflow as tf

from stargan_tf.core.config import ConfigError
from stargan_tf.core.grids import save_png
from stargan_tf.data.domains import DomainData, sample_batch, training_dataset
from stargan_tf.data.labels import ONEHOT, LabelLayout, Segment
from stargan_tf.evaluation import classifier as classifier_lib
from stargan_tf.evaluation import metrics, report as report_lib
from stargan_tf.evaluation.classifier import DEFAULT_CLASSIFIER_STEPS
from stargan_tf.evaluation.features import batched, frechet_features
from stargan_tf.evaluation.lpips import load_lpips
from stargan_tf.evaluation.report import number, percent
from stargan_tf.families.stargan_v2.config import StarGANv2Config
from stargan_tf.families.stargan_v2.samples import latent_grid, reference_grid
from stargan_tf.families.stargan_v2 import style_judge

logger = logging.getLogger("stargan_tf")

DEFAULT_NUM_OUTS = 10  # outputs per source image and task, as the official evaluation
MODES = ("latent", "reference")
SEGMENT = "domains"  # the name of the classifier's one softmax segment over the v2 domains
GRID_SOURCES, GRID_STYLES = 2, 4  # grid rows per domain; latent codes per domain in the latent grid


def classifier_layout(domains) -> LabelLayout:
    """The domain classifier's label layout for StarGAN v2 domains: one softmax over them."""
    return LabelLayout((Segment(SEGMENT, ONEHOT, tuple(domains), 0),))


def train_domain_classifier(config: StarGANv2Config, data: DomainData, steps: int, batch_size: int = 32):
    """A domain classifier fitted to `steps` class-balanced batches of augmented real training images (the
    training pipeline's source images)."""
    num_domains = len(data.layout.names)
    batches = (training_dataset(data.train, config.image_size, batch_size, 1, config.seed, config.randcrop_prob)
               .map(lambda batch: (batch["x_src"], tf.one_hot(batch["y_src"], num_domains))))
    return classifier_lib.fit_classifier(batches, classifier_layout(data.layout.names), config.image_size, steps,
                                         config.seed)


def domain_indices(files, domain: int, count: int = 0) -> np.ndarray:
    """Positions in `files` of the first `count` images (0: all) of one domain."""
    indices = np.flatnonzero(files.labels.argmax(axis=1) == domain)
    return indices[:count] if count > 0 else indices


def domain_images(files, domain: int, image_size: int, count: int = 0) -> np.ndarray:
    """The first `count` images (0: all) of one domain, unaugmented: [n, S, S, 3] in [-1, 1]."""
    subset = files.subset(domain_indices(files, domain, count))
    return sample_batch(subset, len(subset), image_size)[0]


@dataclasses.dataclass(frozen=True)
class Judges:
    """What measures translations: classifier(images) -> logits [N, K] over the domains, features(images) -> [N, D]
    (the Fréchet distance's and the feature diversity's), an lpips.LPIPS or None, and a style classifier
    (images -> logits over the styles) or None."""

    classifier: Callable
    features: Callable
    lpips: object = None
    style: Callable | None = None

    def measure(self, group, target: int, reference_styles: np.ndarray | None = None) -> dict:
        """Per-output `correct` and `features`, per-source-image diversities, of num_outs output batches [n, ...]
        of the same n source images; with a style classifier also style_judge.style_figures (reference_styles:
        the style of each output's reference, [num_outs * n])."""
        outputs = np.concatenate(group)
        output_features = batched(self.features, outputs)
        measured = {"correct": np.argmax(batched(self.classifier, outputs), axis=1) == target,
                    "features": output_features,
                    "pixel_diversity": metrics.mean_pairwise_distance(group, metrics.pixel_l1_distance),
                    "feature_diversity": metrics.mean_pairwise_distance(np.split(output_features, len(group)),
                                                                        metrics.feature_distance)}
        if self.lpips is not None:
            measured["lpips"] = metrics.mean_pairwise_distance([self.lpips.features(images) for images in group],
                                                               self.lpips.distance)
        if self.style is not None:
            predicted = np.argmax(batched(self.style, outputs), axis=1)
            measured.update(style_judge.style_figures(predicted, len(group), reference_styles))
        return measured


def evaluate_translator(model, judges: Judges, data: DomainData, image_size: int, latent_dim: int,
                        num_outs: int = DEFAULT_NUM_OUTS, max_images: int = 0, reference_images: int = 1000,
                        batch_size: int = 16, seed: int = 0, val_styles: np.ndarray | None = None) -> dict:
    """The figures of the module docstring for `model` on `data`'s validation images.

    model: latent_guided(images, domains, z) and reference_guided(images, references, domains) -> images.
    max_images caps the source images per domain; reference_images the real training images per domain the
    Fréchet distance compares with; val_styles: each validation image's style (with judges.style).
    """
    if num_outs < 2:
        raise ConfigError(f"--num_outs={num_outs}: diversity needs at least 2 outputs per source image")
    names = data.layout.names
    layout = classifier_layout(names)
    sources = [domain_images(data.val, k, image_size, max_images) for k in range(len(names))]
    real_labels = layout.embed(SEGMENT, np.eye(len(names), dtype=np.float32)[
        np.repeat(np.arange(len(names)), [len(images) for images in sources])])
    real_logits = batched(judges.classifier, np.concatenate(sources))
    result = {"real": dict(metrics.real_accuracy(real_logits, real_labels, layout, SEGMENT), images=len(real_labels)),
              "source_images": {name: len(images) for name, images in zip(names, sources)}}
    styles = None
    if judges.style is not None:  # each domain's validation images' styles, in the order of `sources`
        styles = [val_styles[domain_indices(data.val, k, max_images)] for k in range(len(names))]
        predicted = np.argmax(batched(judges.style, np.concatenate(sources)), axis=1)
        result["real"]["style_accuracy"] = float(np.mean(predicted == np.concatenate(styles)))
    real_features = [batched(judges.features, domain_images(data.train, k, image_size, reference_images))
                     for k in range(len(names))]
    # The distance of real validation images to the training images: what a perfect translator would score.
    result["real"]["frechet"] = {name: metrics.frechet_distance(real, batched(judges.features, images))
                                 for name, real, images in zip(names, real_features, sources)
                                 if len(real) >= 2 and len(images) >= 2}
    for mode in MODES:
        rng = np.random.default_rng(seed)
        tasks, per_target = {}, {}
        for target, target_name in enumerate(names):
            pooled = collections.defaultdict(list)
            for source, source_name in enumerate(names):
                if source == target:
                    continue
                measured = collections.defaultdict(list)
                for start in range(0, len(sources[source]), batch_size):
                    group, picks = _translations(model, mode, sources[source][start:start + batch_size],
                                                 sources[target], target, num_outs, latent_dim, rng)
                    # Output j * n + i took reference picks[i, j].
                    reference_styles = None if picks is None or styles is None else styles[target][picks.T].ravel()
                    for key, value in judges.measure(group, target, reference_styles).items():
                        measured[key].append(value)
                        pooled[key].append(value)
                tasks[f"{source_name}2{target_name}"] = dict(source=source_name, target=target_name,
                                                             **_summary(measured, real_features[target]))
            per_target[target_name] = _summary(pooled, real_features[target])
        figures = [key for key in next(iter(tasks.values())) if key not in ("source", "target", "outputs")]
        mean = {key: (None if any(task[key] is None for task in tasks.values())
                      else float(np.mean([task[key] for task in tasks.values()]))) for key in figures}
        result[mode] = {"tasks": tasks, "per_target": per_target, "mean": mean}
    return result


def _translations(model, mode: str, sources, references, target: int, num_outs: int, latent_dim: int,
                  rng) -> tuple[list[np.ndarray], np.ndarray | None]:
    """(num_outs batches [n, S, S, 3], picks): the sources translated to `target`, each batch with new random
    styles (latent codes: picks None; or references drawn without repeats per source image while there are
    enough: picks [n, num_outs], the reference of each source image in each batch)."""
    domains = np.full([len(sources)], target, np.int32)
    if mode == "latent":
        return [np.asarray(model.latent_guided(sources, domains,
                                               rng.standard_normal((len(sources), latent_dim)).astype(np.float32)))
                for _ in range(num_outs)], None
    picks = np.stack([rng.choice(len(references), num_outs, replace=len(references) < num_outs) for _ in sources])
    return [np.asarray(model.reference_guided(sources, references[picks[:, j]], domains))
            for j in range(num_outs)], picks


def _summary(measured: dict, real_features) -> dict:
    """Accuracy, Fréchet distance (None with fewer than 2 images on a side) and mean diversities of the outputs
    `Judges.measure` measured (lists of its per-chunk values)."""
    outputs = {key: np.concatenate(values) for key, values in measured.items()}
    fake_features = outputs["features"]
    enough = len(real_features) >= 2 and len(fake_features) >= 2
    summary = {"outputs": len(fake_features), "accuracy": float(np.mean(outputs["correct"])),
               "frechet": metrics.frechet_distance(real_features, fake_features) if enough else None}
    for key in ("lpips", "feature_diversity", "pixel_diversity", "styles_per_image"):
        if key in outputs:
            summary[key] = float(np.mean(outputs[key]))
    if "style_correct" in outputs:
        summary["style_accuracy"] = float(np.mean(outputs["style_correct"]))
    return summary


def write_grids(model, data: DomainData, image_size: int, latent_dim: int, output_dir: str, report_name: str,
                seed: int = 0) -> dict:
    """Paper-style grids of the first validation images of each domain (model: as samples_v2 takes it):
    <name>-latent.png (GRID_STYLES latent codes per domain) and <name>-reference.png (the next validation images
    of each domain as references)."""
    images, domains = sample_batch(data.val, 2 * GRID_SOURCES, image_size)
    source_rows, reference_rows = [], []
    for k in range(len(data.layout.names)):
        rows = np.flatnonzero(domains == k)
        source_rows += list(rows[:GRID_SOURCES])
        reference_rows += list(rows[GRID_SOURCES:] if len(rows) > GRID_SOURCES else rows[-1:])
    z_codes = np.random.default_rng(seed).standard_normal((GRID_STYLES, latent_dim)).astype(np.float32)
    paths = {"latent": f"{report_name}-latent.png", "reference": f"{report_name}-reference.png"}
    save_png(latent_grid(model, images[source_rows], z_codes), os.path.join(output_dir, paths["latent"]))
    save_png(reference_grid(model, images[source_rows], images[reference_rows], domains[reference_rows]),
             os.path.join(output_dir, paths["reference"]))
    return paths


def load_lpips_option(alexnet_weights: str, lpips_weights: str):
    """LPIPS from both weight files, None from neither; ConfigError naming the flags for one alone."""
    if bool(alexnet_weights) != bool(lpips_weights):
        raise ConfigError("LPIPS needs both --alexnet_weights (torchvision AlexNet) and --lpips_weights (its linear "
                          "layers); give both, or neither for the feature-distance diversity only")
    return load_lpips(alexnet_weights, lpips_weights) if lpips_weights else None


def evaluate_run(config: StarGANv2Config, data: DomainData, model, checkpoint_dir: str, classifier_dir: str,
                 output_dir: str, classifier_steps: int = DEFAULT_CLASSIFIER_STEPS, inception_weights: str = "",
                 alexnet_weights: str = "", lpips_weights: str = "", max_images: int = 0,
                 num_outs: int = DEFAULT_NUM_OUTS, report_name: str = "report", seed: int = 0) -> dict:
    """Evaluates a restored StarGAN v2 run (its moving-average networks); writes <report_name>.json, .txt,
    -latent.png and -reference.png to output_dir and returns the report. Data whose file names carry styles also
    get a style classifier (in <classifier_dir>/style) and the style figures."""
    lpips = load_lpips_option(alexnet_weights, lpips_weights)
    start = time.time()
    classifier = classifier_lib.ensure_classifier(classifier_dir, classifier_layout(data.layout.names), config.image_size,
                                   lambda: train_domain_classifier(config, data, classifier_steps))
    train_styles, val_styles = style_judge.style_labels(data.train), style_judge.style_labels(data.val)
    style = None
    if train_styles is not None and val_styles is not None:
        style = style_judge.ensure_style_classifier(classifier_dir, data.train, train_styles, config.image_size,
                                                    classifier_steps, seed)
    classifier_seconds = time.time() - start
    features, frechet_name, frechet_description = frechet_features(classifier, inception_weights)
    start = time.time()
    # Traced once (per batch shape) instead of run layer by layer: the evaluation calls them hundreds of times.
    translator = types.SimpleNamespace(latent_guided=tf.function(model.latent_guided, reduce_retracing=True),
                                       reference_guided=tf.function(model.reference_guided, reduce_retracing=True),
                                       domains=model.domains)
    result = evaluate_translator(translator, Judges(classifier, features, lpips, style), data, config.image_size,
                                 config.latent_dim, num_outs, max_images, seed=seed, val_styles=val_styles)
    report = dict(result, model=StarGANv2Config.model_name, checkpoint=checkpoint_dir,
                  iteration=int(model.iteration.numpy()), image_size=config.image_size,
                  domains=list(data.layout.names), num_outs=num_outs, seed=seed, classifier_dir=classifier_dir,
                  frechet_name=frechet_name, frechet_features=frechet_description,
                  lpips_weights={"alexnet": alexnet_weights, "lpips": lpips_weights} if lpips else None,
                  classifier_seconds=round(classifier_seconds, 1), evaluation_seconds=round(time.time() - start, 1))
    os.makedirs(output_dir, exist_ok=True)
    report["grids"] = write_grids(translator, data, config.image_size, config.latent_dim, output_dir, report_name, seed)
    report_lib.write_report(report, os.path.join(output_dir, report_name + ".json"))
    with open(os.path.join(output_dir, report_name + ".txt"), "w") as f:
        f.write(format_table(report) + "\n")
    return report


def format_table(report: dict) -> str:
    """A StarGAN v2 report as a table: real-image accuracy, then per guidance mode one row per target domain and
    the mean over tasks, then every task on one line."""
    frechet = report.get("frechet_name", "FD")
    columns = [("accuracy", "accuracy", percent), ("frechet", frechet, lambda v: number(v, 2))]
    if report.get("lpips_weights"):
        columns.append(("lpips", "LPIPS", number))
    columns += [("feature_diversity", "feature div", number), ("pixel_diversity", "pixel L1 div", number)]
    real = report["real"]
    if "style_accuracy" in real:
        columns += [("style_accuracy", "style acc", percent), ("styles_per_image", "styles/image",
                                                                lambda v: number(v, 2))]
    lines = [f"checkpoint {report.get('checkpoint', '?')} (iteration {report.get('iteration', '?')}, "
             f"{report.get('image_size', '?')}px): {report.get('num_outs', '?')} outputs per source image and task",
             f"{frechet}: {report.get('frechet_features', '?')}; feature div: mean pairwise distance of the same "
             "features, unit-normalised" + ("" if report.get("lpips_weights") else
                                            "; LPIPS: not computed (no --lpips_weights / --alexnet_weights)"), "",
             f"real validation images ({real['images']}): accuracy {percent(real['accuracy'])} ("
             + ", ".join(f"{name} {percent(value)}" for name, value in real["per_label"].items()) + "); "
             f"{frechet} to the training images: "
             + ", ".join(f"{name} {value:.2f}" for name, value in real.get("frechet", {}).items())
             + (f"; style classifier accuracy {percent(real['style_accuracy'])} (style acc: reference-guided outputs "
                "of the reference's style; styles/image: distinct styles among one image's outputs)"
                if "style_accuracy" in real else ""), "",
             f"{'mode':<11}{'target':<16}" + "".join(f"{title:>14}" for _, title, _ in columns)]
    for mode in ("latent", "reference"):
        rows = list(report[mode]["per_target"].items()) + [("mean of tasks", report[mode]["mean"])]
        for target, figures in rows:
            lines.append(f"{mode:<11}{target:<16}"
                         + "".join(f"{show(figures.get(key)):>14}" for key, _, show in columns))
    lines += ["", "per task (source2target): " + " / ".join(title for _, title, _ in columns)]
    for mode in ("latent", "reference"):
        lines.append(f"  {mode}: " + ", ".join(
            f"{task} " + " / ".join(show(figures.get(key)) for key, _, show in columns)
            for task, figures in report[mode]["tasks"].items()))
    return "\n".join(lines)

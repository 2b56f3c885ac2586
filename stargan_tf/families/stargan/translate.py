"""Translating own photos with a StarGAN: named targets, edits of the photo's own labels, or every domain.

The model is used through its signatures (serving_default, labels, classify) like a TF Serving client, from a
checkpoint directory or an exported SavedModel.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os

import numpy as np
import tensorflow as tf

from stargan_tf.core.export import crop_and_resize
from stargan_tf.core.photos import (Report, ServedModel, TranslateError, prepare_output_dir, readable_photos, save_output,
                                    split_names)
from stargan_tf.data.labels import HAIR_COLORS, MULTILABEL, LabelLayout, sample_targets
from stargan_tf.families.stargan.attention_maps import attention_grid

logger = logging.getLogger("stargan_tf")


class Translator(ServedModel):
    """A trained StarGAN's signatures, used as a TF Serving client would: photos in, translations out."""

    def __init__(self, signatures, description: str, networks=None):
        """networks: (G, D) Keras models when loaded from a checkpoint (attention maps need them), else None."""
        super().__init__(signatures, description)
        self.networks = networks
        info = {name: value.numpy() for name, value in signatures["labels"]().items()}
        self.layout = LabelLayout.from_json(json.loads(info["layout"]))
        self.image_size, self.crop_size = int(info["image_size"]), int(info["crop_size"])

    @property
    def can_classify(self) -> bool:
        return "classify" in self.signatures

    def translate(self, photo: np.ndarray, target_labels: np.ndarray) -> np.ndarray:
        """uint8 [H,W,3] and one label vector [C] -> uint8 [S,S,3]."""
        outputs = self.signatures["serving_default"](image=tf.constant(photo[None]),
                                                     target_labels=tf.constant(target_labels[None], tf.float32))
        return outputs["translated"].numpy()[0]

    def logits(self, photo: np.ndarray) -> np.ndarray:
        """D_cls logits [logit_dim] of a photo."""
        return self.signatures["classify"](image=tf.constant(photo[None]))["logits"].numpy()[0]




@dataclasses.dataclass(frozen=True)
class Targets:
    """What each photo is translated to: named target domains, edits of the photo's own labels, or every domain.

    Names are label names of one dataset of the model. --target sets the named attributes (others off) or
    picks the named class; --edit turns attributes on (+) or off (-) relative to the photo's own labels,
    which come from --source or from D_cls; a hair colour turned on clears the other hair colours.
    """

    layout: LabelLayout
    dataset: str
    target: tuple[str, ...] = ()
    edits: tuple[tuple[str, str], ...] = ()  # (sign, name)
    source: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, layout: LabelLayout, target: str = "", edit: str = "", all_domains: bool = False,
              source: str | None = None) -> "Targets":
        """Checks names and modes (exactly one of target, edit, all_domains; none given means all_domains)."""
        if sum(map(bool, (target, edit, all_domains))) > 1:
            raise TranslateError("give only one of --target, --edit and --all_domains")
        edits = []
        for item in split_names(edit):
            if item[0] not in "+-":
                raise TranslateError(f"--edit: {item!r} must start with + (turn on) or - (turn off)")
            edits.append((item[0], item[1:].strip()))
        if edit and not edits:
            raise TranslateError("--edit: no attribute given")
        target_names, source_names = split_names(target), None if source is None else split_names(source)
        if target and not target_names:
            raise TranslateError("--target: no attribute given")
        named = target_names + [name for _, name in edits] + (source_names or [])
        datasets = {_dataset_of(layout, name) for name in named}
        if len(datasets) > 1:
            raise TranslateError(f"{', '.join(named)}: these names belong to different datasets "
                                 f"({', '.join(sorted(datasets))}); one photo is described by one dataset's labels")
        dataset = datasets.pop() if datasets else layout.segments[0].dataset
        targets = cls(layout, dataset, tuple(target_names), tuple(edits),
                      None if source_names is None else tuple(source_names))
        if target_names:
            targets._values(target_names, "--target")
        if source_names is not None:
            targets._values(source_names, "--source")
        targets._check_edits()
        return targets

    def _check_edits(self) -> None:
        segment = self.layout.segment(self.dataset)
        turned_on = [name for sign, name in self.edits if sign == "+"]
        if segment.kind == MULTILABEL:
            hair = [name for name in turned_on if name in HAIR_COLORS]
            if len(hair) > 1:
                raise TranslateError(f"--edit: hair colours exclude each other, got +{', +'.join(hair)}")
        elif self.edits and (len(turned_on) != 1 or len(self.edits) != 1):
            raise TranslateError(f"--edit: {self.dataset} labels are one-hot: give the one class to switch to "
                                 f"(e.g. +{segment.names[0]})")

    @property
    def needs_source(self) -> bool:
        """Whether the photos' own labels matter (edits and all-domain toggles start from them)."""
        return not self.target

    def _values(self, names, flag: str) -> np.ndarray:
        """The dataset's label values for a set of names (on; others off), checking exclusivity."""
        segment = self.layout.segment(self.dataset)
        values = np.zeros(segment.size, np.float32)
        values[[segment.names.index(name) for name in names]] = 1.0
        if segment.kind == MULTILABEL:
            hair = [name for name in names if name in HAIR_COLORS]
            if len(hair) > 1:
                raise TranslateError(f"{flag}: hair colours exclude each other, got {', '.join(hair)}")
        elif len(names) != 1:
            raise TranslateError(f"{flag}: {self.dataset} labels are one-hot: name exactly one of "
                                 f"{', '.join(segment.names)} (got {', '.join(names) or 'none'})")
        return values

    def source_values(self, logits: np.ndarray | None) -> np.ndarray:
        """The photo's own labels in its dataset's segment: from --source, else D_cls logits, else all off."""
        segment = self.layout.segment(self.dataset)
        if self.source is not None:
            return self._values(self.source, "--source")
        if logits is None:
            return np.zeros(segment.size, np.float32)
        own = logits[segment.offset:segment.stop]
        if segment.kind != MULTILABEL:
            return np.eye(segment.size, dtype=np.float32)[int(np.argmax(own))]
        values = (own > 0).astype(np.float32)
        hair = [i for i, name in enumerate(segment.names) if name in HAIR_COLORS]
        if values[hair].sum() > 1:  # D_cls may find two hair colours likely: keep the likelier one
            values[hair] = 0.0
            values[hair[int(np.argmax(own[hair]))]] = 1.0
        return values

    def for_photo(self, logits: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
        """(name, target label vector [C]) for each translation of a photo whose D_cls logits are given."""
        if self.target:
            values = self._values(self.target, "--target")
            return [("+".join(self.target), self.layout.embed(self.dataset, values[None])[0])]
        own = self.source_values(logits)
        if not self.edits:
            return [(name, target[0]) for name, target in
                    sample_targets(self.layout, self.dataset, self.layout.embed(self.dataset, own[None]))]
        segment = self.layout.segment(self.dataset)
        values = own.copy()
        for sign, name in self.edits:
            if sign == "+" and (segment.kind != MULTILABEL or name in HAIR_COLORS):
                # Switching a one-hot class or a hair colour clears the others.
                values[[i for i, other in enumerate(segment.names)
                        if segment.kind != MULTILABEL or other in HAIR_COLORS]] = 0.0
            values[segment.names.index(name)] = 1.0 if sign == "+" else 0.0
        return [("".join(sign + name for sign, name in self.edits), self.layout.embed(self.dataset, values[None])[0])]


def _dataset_of(layout: LabelLayout, name: str) -> str:
    for segment in layout.segments:
        if name in segment.names:
            return segment.dataset
    valid = [label for segment in layout.segments for label in segment.names]
    raise TranslateError(f"unknown attribute {name!r}; this model knows: {', '.join(valid)}")




def check_attention(translator: Translator) -> None:
    """Raises TranslateError unless the model can show attention maps (a checkpoint with self-attention blocks)."""
    if translator.networks is None:
        raise TranslateError(f"--save_attention needs a training checkpoint directory: {translator.description} "
                             "exports translations only, not attention maps")
    generator, discriminator = translator.networks
    if not generator.attention_at and not discriminator.attention_at:
        raise TranslateError(f"--save_attention: {translator.description} has no self-attention blocks (trained "
                             "without --g_attention_at / --d_attention_at)")


def attention_picture(translator: Translator, photo: np.ndarray, targets, query: tuple[float, float]) -> np.ndarray:
    """uint8 row [S, C*S, 3]: the photo with the query marked, then where each of G's attention blocks looks from
    the query position in each translation (targets: (name, label vector [C]) pairs), then each of D's blocks."""
    generator, discriminator = translator.networks
    images = crop_and_resize(photo[None], translator.crop_size, translator.image_size)
    batches = [(name, target[None]) for name, target in targets]
    grid, _ = attention_grid(generator, discriminator, images, None, translator.layout, None, query, batches)
    return grid


def translate_photos(translator: Translator, paths: list[str], output_dir: str, targets: Targets,
                     progress: bool = False, attention_query: tuple[float, float] | None = None) -> Report:
    """Translates each photo to its targets; writes <stem>_<target>.png at model size and <stem>_grid.png.

    The grid is one row like the paper's figures: the photo as the model sees it, then each translation.
    With attention_query, also <stem>_attention.png (see attention_picture). An unreadable photo is recorded in
    the report and skipped; the others are still translated.
    """
    if attention_query is not None:
        check_attention(translator)
    if targets.needs_source and targets.source is None and not translator.can_classify:
        logger.warning("%s has no classify signature and no --source was given: the photos' own labels are "
                       "taken as all off (export with --with_classifier to predict them)", translator.description)
    prepare_output_dir(output_dir)
    report = Report()
    for stem, photo in readable_photos(paths, report, progress):
        logits = translator.logits(photo) if translator.can_classify and targets.needs_source else None
        columns = [translator.model_input(photo)]
        photo_targets = targets.for_photo(logits)
        for name, target_labels in photo_targets:
            columns.append(translator.translate(photo, target_labels))
            save_output(columns[-1], os.path.join(output_dir, f"{stem}_{name}.png"), report)
        save_output(np.concatenate(columns, axis=1), os.path.join(output_dir, f"{stem}_grid.png"), report)
        if attention_query is not None:
            save_output(attention_picture(translator, photo, photo_targets, attention_query),
                        os.path.join(output_dir, f"{stem}_attention.png"), report)
    return report

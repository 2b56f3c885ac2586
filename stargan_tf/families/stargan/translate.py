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
from PIL import Image

from stargan_tf.core.photo_files import Report, TranslateError, prepare_output_dir, stopping_at_output_error
from stargan_tf.core.photos import (PhotoOptions, ServedModel, linear_steps, photo_inputs, save_interpolation,
                                    save_output, save_translations, split_names)
from stargan_tf.data.labels import HAIR_COLORS, MULTILABEL, LabelLayout, sample_targets
from stargan_tf.families.stargan.attention_maps import attention_grid
from stargan_tf.families.stargan.samples import draw_translation_grid

logger = logging.getLogger("stargan_tf")


class Translator(ServedModel):
    """A trained StarGAN's signatures, used as a TF Serving client would: model inputs in, translations out."""

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

    def translate(self, model_input: np.ndarray, target_labels: np.ndarray) -> np.ndarray:
        """A model input (uint8 [S,S,3]) translated to each label vector of target_labels [K, C]: uint8 [K,S,S,3]
        (one vector [C]: [S,S,3])."""
        labels = np.asarray(target_labels, np.float32)
        batch = np.atleast_2d(labels)
        images = {"image": np.repeat(model_input[None], len(batch), axis=0)}
        outputs = self.run("serving_default", "translate_float", images, target_labels=tf.constant(batch))
        return outputs if labels.ndim == 2 else outputs[0]

    def logits(self, model_input: np.ndarray) -> np.ndarray:
        """D_cls logits [logit_dim] of a model input (uint8 [S,S,3])."""
        if not self.takes_model_inputs:
            # classify has no float twin: sized as its crop, the input comes back from its S x S resize nearly as is.
            model_input = np.asarray(Image.fromarray(model_input).resize((self.crop_size,) * 2, Image.BILINEAR))
        return self.signatures["classify"](image=tf.constant(model_input[None]))["logits"].numpy()[0]


def parse_strength(item: str, flag: str) -> tuple[str, float]:
    """(name, value) of 'name' (value 1) or 'name:value' with value in [0, 1]: how far to go towards the label."""
    name, colon, text = item.partition(":")
    if not colon:
        return item.strip(), 1.0
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.0 <= value <= 1.0:
        raise TranslateError(f"{flag}: {item!r}: the value after ':' must be a number from 0 to 1 "
                             f"(e.g. {name.strip()}:0.5)")
    return name.strip(), value


def _labelled(name: str, value: float) -> str:
    """How output files name a label and its value: Blond_Hair, or Blond_Hair@0.5 (Windows forbids ':')."""
    return name if value == 1.0 else f"{name}@{value:g}"


@dataclasses.dataclass(frozen=True)
class Targets:
    """What each photo is translated to: named target domains, edits of the photo's own labels, or every domain.

    Names are label names of one dataset of the model, each with an optional value in [0, 1] ('Blond_Hair:0.5').
    --target sets the named attributes to their values (others off) or picks the named class; --edit moves
    attributes on (+) or off (-) relative to the photo's own labels, which come from --source or from D_cls, by
    its value (0: the photo's own label, 1: fully); a hair colour turned on clears the other hair colours as much.
    """

    layout: LabelLayout
    dataset: str
    target: tuple[tuple[str, float], ...] = ()  # (name, value)
    edits: tuple[tuple[str, str, float], ...] = ()  # (sign, name, value)
    source: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, layout: LabelLayout, target: str = "", edit: str = "", all_domains: bool = False,
              source: str | None = None) -> "Targets":
        """Checks names, values and modes (exactly one of target, edit, all_domains; none given means all_domains)."""
        if sum(map(bool, (target, edit, all_domains))) > 1:
            raise TranslateError("give only one of --target, --edit and --all_domains")
        edits = []
        for item in split_names(edit):
            if item[0] not in "+-":
                raise TranslateError(f"--edit: {item!r} must start with + (turn on) or - (turn off)")
            edits.append((item[0], *parse_strength(item[1:], "--edit")))
        if edit and not edits:
            raise TranslateError("--edit: no attribute given")
        target_values = [parse_strength(item, "--target") for item in split_names(target)]
        source_names = None if source is None else split_names(source)
        if target and not target_values:
            raise TranslateError("--target: no attribute given")
        named = [name for name, _ in target_values] + [name for _, name, _ in edits] + (source_names or [])
        datasets = {_dataset_of(layout, name) for name in named}
        if len(datasets) > 1:
            raise TranslateError(f"{', '.join(named)}: these names belong to different datasets "
                                 f"({', '.join(sorted(datasets))}); one photo is described by one dataset's labels")
        dataset = datasets.pop() if datasets else layout.segments[0].dataset
        targets = cls(layout, dataset, tuple(target_values), tuple(edits),
                      None if source_names is None else tuple(source_names))
        if target_values:
            targets._values(target_values, "--target")
        if source_names is not None:
            targets._values([(name, 1.0) for name in source_names], "--source")
        targets._check_edits()
        return targets

    def _check_edits(self) -> None:
        segment = self.layout.segment(self.dataset)
        turned_on = [name for sign, name, _ in self.edits if sign == "+"]
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

    def _values(self, named_values, flag: str) -> np.ndarray:
        """The dataset's label values for (name, value) pairs (others off), checking exclusivity."""
        segment = self.layout.segment(self.dataset)
        values = np.zeros(segment.size, np.float32)
        names = [name for name, _ in named_values]
        for name, value in named_values:
            values[segment.names.index(name)] = value
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
            return self._values([(name, 1.0) for name in self.source], "--source")
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

    def source_vector(self, logits: np.ndarray | None = None) -> np.ndarray:
        """The photo's own labels as a full label vector [C] (see source_values): where interpolations start."""
        return self.layout.embed(self.dataset, self.source_values(logits)[None])[0]

    def for_photo(self, logits: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
        """(name, target label vector [C]) for each translation of a photo whose D_cls logits are given."""
        if self.target:
            values = self._values(self.target, "--target")
            name = "+".join(_labelled(name, value) for name, value in self.target)
            return [(name, self.layout.embed(self.dataset, values[None])[0])]
        own = self.source_values(logits)
        if not self.edits:
            return [(name, target[0]) for name, target in
                    sample_targets(self.layout, self.dataset, self.layout.embed(self.dataset, own[None]))]
        segment = self.layout.segment(self.dataset)
        values = own.copy()
        for sign, name, value in self.edits:
            edited = values.copy()
            if sign == "+" and (segment.kind != MULTILABEL or name in HAIR_COLORS):
                # Switching a one-hot class or a hair colour clears the others.
                edited[[i for i, other in enumerate(segment.names)
                        if segment.kind != MULTILABEL or other in HAIR_COLORS]] = 0.0
            edited[segment.names.index(name)] = 1.0 if sign == "+" else 0.0
            values += value * (edited - values)
        name = "".join(sign + _labelled(name, value) for sign, name, value in self.edits)
        return [(name, self.layout.embed(self.dataset, values[None])[0])]


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


def attention_picture(translator: Translator, model_inputs: np.ndarray, targets,
                      query: tuple[float, float]) -> np.ndarray:
    """uint8 rows [N*S, C*S, 3], one per model input (uint8 [N,S,S,3]): the input with the query marked, then
    where each of G's attention blocks looks from the query position in each translation (targets: (name, label
    vectors [N, C]) pairs), then each of D's blocks."""
    generator, discriminator = translator.networks
    images = model_inputs.astype(np.float32) / 127.5 - 1.0
    grid, _ = attention_grid(generator, discriminator, images, None, translator.layout, None, query, targets)
    return grid


def face_logits(translator: Translator, model_inputs, predict: bool = True) -> list:
    """D_cls logits [logit_dim] of each model input (uint8 [S,S,3]): where its own labels come from; None for
    each when not predicted (no classify signature, or the labels are given)."""
    predict = predict and translator.can_classify
    return [translator.logits(model_input) if predict else None for model_input in model_inputs]


def translate_targets(translator: Translator, model_inputs, face_targets) -> np.ndarray:
    """Each model input translated to its own (name, label vector [C]) targets (Targets.for_photo of its logits):
    uint8 [faces, targets, S,S,3]."""
    return np.stack([translator.translate(model_input, np.stack([vector for _, vector in targets]))
                     for model_input, targets in zip(model_inputs, face_targets)])


def translate_photos(translator: Translator, paths: list[str], output_dir: str, targets: Targets,
                     options: PhotoOptions = PhotoOptions(),
                     attention_query: tuple[float, float] | None = None) -> Report:
    """Translates each photo to its targets; writes <stem>_<target>.png for each target and <stem>_grid.png.

    options.align says what the model sees (core.photos.PhotoOptions): with faces aligned, <stem>_<target>.png is
    the whole photo with each face's translation pasted back, and the grid has a row per face; otherwise both are
    at model size. The grid's rows are like the paper's figures: the model input, then each translation. Each
    face's own labels (edits, all domains) are its D_cls prediction unless --source gives them.
    With options.interpolate N, also <stem>_<target>_strip.png and <stem>_<target>.gif: N label vectors from the
    photo's own labels to the target (core.photos.save_interpolation). With attention_query, also
    <stem>_attention.png (see attention_picture). Photos that cannot be used are recorded in the report and
    skipped; the others are still translated. An output that cannot be written stops it (report.failure).
    """
    options = options.resolve()
    if attention_query is not None:
        check_attention(translator)
    own_labels = targets.needs_source or options.interpolate > 0
    if own_labels and targets.source is None and not translator.can_classify:
        logger.warning("%s has no classify signature and no --source was given: the photos' own labels are "
                       "taken as all off (export with --with_classifier to predict them)", translator.description)
    predict = own_labels and targets.source is None and translator.can_classify
    prepare_output_dir(output_dir)
    report = Report()
    with stopping_at_output_error(report):
        for stem, inputs in photo_inputs(translator, paths, report, options):
            model_inputs = np.stack(inputs.model_inputs)
            logits = face_logits(translator, model_inputs, predict)
            face_targets = [targets.for_photo(own_logits) for own_logits in logits]
            names = [name for name, _ in face_targets[0]]
            outputs = translate_targets(translator, model_inputs, face_targets)
            save_translations(inputs, names, outputs, output_dir, stem, report)
            save_output(draw_translation_grid(model_inputs, outputs, translator.layout, "", names,
                                              inputs.row_names() if len(model_inputs) > 1 else None),
                        os.path.join(output_dir, f"{stem}_grid.png"), report)
            for index, name in enumerate(names if options.interpolate else ()):
                steps = np.stack([translator.translate(model_input, linear_steps(targets.source_vector(own_logits),
                                                                                 face[index][1], options.interpolate))
                                  for model_input, own_logits, face in zip(model_inputs, logits, face_targets)])
                save_interpolation(inputs, steps, output_dir, f"{stem}_{name}", report)
            if attention_query is not None:
                batches = [(name, np.stack([face[index][1] for face in face_targets]))
                           for index, name in enumerate(names)]
                save_output(attention_picture(translator, model_inputs, batches, attention_query),
                            os.path.join(output_dir, f"{stem}_attention.png"), report)
    return report

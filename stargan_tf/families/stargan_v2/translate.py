"""Translating own photos with a StarGAN v2 model: random styles per target domain, or a reference photo's style.

The model is used through its signatures (latent_guided, reference_guided, info) like a TF Serving client,
from a checkpoint directory or an exported SavedModel.
"""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import tensorflow as tf

from stargan_tf.core.faces import AlignedFace
from stargan_tf.core.photo_files import (Report, TranslateError, list_photos, output_stems, prepare_output_dir,
                                         read_photo, stopping_at_output_error)
from stargan_tf.core.photos import (PhotoOptions, ServedModel, linear_steps, photo_inputs, save_interpolation,
                                    save_output, save_translations, split_names)
from stargan_tf.families.stargan_v2.samples import draw_latent_grid, draw_reference_grid
from stargan_tf.families.stargan_v2 import landmark_alignment
from stargan_tf.families.stargan_v2.serving import LANDMARKS, LATENT, REFERENCE

DEFAULT_NUM_STYLES = 3


class StyleTranslator(ServedModel):
    """A StarGAN v2 model's signatures, used as a TF Serving client would: model inputs in, diverse translations out."""

    def __init__(self, signatures, description: str):
        super().__init__(signatures, description)
        info = {name: value.numpy() for name, value in signatures["info"]().items()}
        self.domains = tuple(name.decode() for name in info["domains"])
        self.image_size, self.crop_size = int(info["image_size"]), int(info["crop_size"])
        self.latent_dim = int(info["latent_dim"])
        alignment = json.loads(info["alignment"].decode())
        self.landmark_template = (landmark_alignment.check_template(alignment["template_landmarks"], "info alignment")
                                  if alignment.get("method") == "landmarks" else None)
        if self.landmark_template is not None and LANDMARKS not in signatures:
            raise TranslateError(f"{description}: its faces are framed by FAN landmarks, but it has no {LANDMARKS} "
                                 f"signature")

    def prepare_face(self, photo: np.ndarray, face) -> AlignedFace:
        """A detected face framed as the model was trained: as CelebA-HQ (FAN landmarks) when the model says so."""
        if self.landmark_template is None:
            return super().prepare_face(photo, face)
        return landmark_alignment.prepare_face(photo, face, self.image_size, self.landmark_template, self.landmarks)

    def landmarks(self, image: np.ndarray) -> np.ndarray:
        """The FAN's 98 landmarks [98, 2] of one uint8 image [H,W,3]."""
        return self.signatures[LANDMARKS](image=tf.constant(image[None]))["landmarks"].numpy()[0]

    def latent_guided(self, model_input: np.ndarray, domains, z) -> np.ndarray:
        """A model input (uint8 [S,S,3]), target domain indices [K] and latent codes [K, latent_dim] -> uint8
        [K,S,S,3]."""
        images = {"image": np.repeat(model_input[None], len(domains), axis=0)}
        return self.run(LATENT, LATENT + "_float", images, domain=tf.constant(domains, tf.int32),
                        z=tf.constant(z, tf.float32))

    def reference_guided(self, model_input: np.ndarray, reference_input: np.ndarray, domain: int) -> np.ndarray:
        """Model inputs (uint8 [S,S,3]) of a photo and of a reference, the reference's domain -> uint8 [S,S,3]: the
        photo in that domain with the reference's style."""
        images = {"image": model_input[None], "reference": reference_input[None]}
        return self.run(REFERENCE, REFERENCE + "_float", images, domain=tf.constant([domain], tf.int32))[0]


@dataclasses.dataclass(frozen=True)
class StyleTargets:
    """What each photo becomes: num_styles random styles (z codes shared by every photo and domain) for each target
    domain, or, with reference photos, the style of each reference in the references' domain."""

    domain_names: tuple[str, ...]
    targets: tuple[int, ...] = ()  # latent-guided: target domain indices
    z: np.ndarray | None = None  # latent-guided: [num_styles, latent_dim]
    references: tuple[str, ...] = ()  # reference-guided: photo paths
    reference_domain: int | None = None

    @property
    def latent(self) -> bool:
        return not self.references

    @classmethod
    def parse(cls, translator: StyleTranslator, target: str = "", all_domains: bool = False,
              num_styles: int | None = None, seed: int = 0, reference: str | None = None,
              reference_domain: str | None = None) -> "StyleTargets":
        """Checks the options of one guidance mode: latent (target or all_domains, num_styles, seed) or reference
        (reference and the reference's domain, which the model cannot tell by itself)."""
        domains = translator.domains
        if target and all_domains:
            raise TranslateError("give only one of --target and --all_domains")
        if reference:
            mixed = [flag for flag, given in (("--num_styles", num_styles is not None), ("--target", bool(target)),
                                              ("--all_domains", all_domains)) if given]
            if mixed:
                raise TranslateError(f"{', '.join(mixed)}: latent-guided options, but --reference asks for "
                                     f"reference-guided translation (the outputs are in the reference's domain)")
            if not reference_domain:
                raise TranslateError(f"--reference needs --reference_domain: the domain the reference photo belongs "
                                     f"to ({', '.join(domains)}); its style is read with that domain's style "
                                     f"encoder and the outputs are in that domain")
            index = _domain_index(domains, reference_domain, "--reference_domain")
            return cls(domains, references=tuple(list_photos(reference, "--reference")), reference_domain=index)
        if reference_domain:
            raise TranslateError("--reference_domain is the domain of a --reference photo: give --reference too")
        num_styles = DEFAULT_NUM_STYLES if num_styles is None else num_styles
        if num_styles < 1:
            raise TranslateError(f"--num_styles={num_styles}: must be at least 1")
        names = split_names(target)
        if target and not names:
            raise TranslateError("--target: no domain given")
        targets = [_domain_index(domains, name, "--target") for name in names] or range(len(domains))
        z = np.random.default_rng(seed).standard_normal([num_styles, translator.latent_dim]).astype(np.float32)
        return cls(domains, targets=tuple(targets), z=z)


def _domain_index(domains, name: str, flag: str) -> int:
    if name not in domains:
        raise TranslateError(f"{flag}: unknown domain {name!r}; this model's domains: {', '.join(domains)}")
    return domains.index(name)


def _reference_inputs(translator: StyleTranslator, targets: StyleTargets, options: PhotoOptions,
                      report: Report) -> list[tuple[str, np.ndarray]]:
    """(stem, model input) of each usable reference photo, aligned as the photos are (its largest face); the others
    are recorded in the report and skipped, and none usable is an error."""
    references, skipped = [], []
    for stem, path in zip(output_stems(list(targets.references)), targets.references):
        try:
            photo = read_photo(path, options.max_pixels)
            references.append((stem, translator.inputs(photo, path, options).model_inputs[0]))
        except TranslateError as error:
            skipped.append((path, str(error)))
    if not references:
        raise TranslateError(f"--reference: no usable reference photo ({'; '.join(reason for _, reason in skipped)})")
    report.skipped += skipped
    return references


def latent_outputs(translator: StyleTranslator, model_inputs, targets: StyleTargets) -> tuple[list[str], np.ndarray]:
    """(names <domain>_style<i>, outputs uint8 [inputs, domains x styles, S,S,3]): each model input (uint8
    [S,S,3]) in each target domain with each of the targets' latent codes."""
    num_styles = len(targets.z)
    domains = np.repeat(targets.targets, num_styles)
    z = np.tile(targets.z, [len(targets.targets), 1])
    outputs = np.stack([translator.latent_guided(model_input, domains, z) for model_input in model_inputs])
    return [f"{targets.domain_names[domain]}_style{i % num_styles + 1}" for i, domain in enumerate(domains)], outputs


def reference_outputs(translator: StyleTranslator, model_inputs, references, domain: int) -> np.ndarray:
    """Each model input with each reference's style (references: model inputs of that domain): uint8
    [inputs, references, S,S,3]."""
    return np.stack([[translator.reference_guided(model_input, reference, domain) for reference in references]
                     for model_input in model_inputs])


def interpolation_steps(translator: StyleTranslator, model_inputs, targets: StyleTargets, domain: int,
                        frames: int) -> np.ndarray:
    """Each model input in the domain with latent codes in `frames` steps from the targets' first code to their
    second: uint8 [inputs, frames, S,S,3]."""
    z_steps = linear_steps(targets.z[0], targets.z[1], frames)
    return np.stack([translator.latent_guided(model_input, np.full(len(z_steps), domain), z_steps)
                     for model_input in model_inputs])


def translate_styles(translator: StyleTranslator, paths: list[str], output_dir: str, targets: StyleTargets,
                     options: PhotoOptions = PhotoOptions()) -> Report:
    """Translates each photo; writes each output and one grid of all model inputs, like the paper's figures.

    Latent-guided: <stem>_<domain>_style<i>.png and latent_grid.png (a row per model input: the input, then for
    each target domain its num_styles outputs). Reference-guided: <stem>_<domain>_<reference>.png and
    reference_grid.png (the references on top, then a row per model input). With faces aligned (options.align)
    each output is the whole photo with the faces' translations pasted back and references are aligned too;
    otherwise outputs are at model size. With options.interpolate N (latent-guided), also <stem>_<domain>_strip.png
    and <stem>_<domain>.gif: N latent codes from the first style's to the second's. Photos and references that
    cannot be used are recorded and skipped; an output that cannot be written stops it (report.failure).
    """
    options = options.resolve()
    if options.interpolate and (not targets.latent or len(targets.z) < 2):
        raise TranslateError("--interpolate: StarGAN v2 interpolates between the first two latent codes: it needs "
                             "latent-guided translation with --num_styles of at least 2 (a reference's style cannot "
                             "be interpolated through the model's signatures)")
    prepare_output_dir(output_dir)
    report, rows = Report(), []
    references = [] if targets.latent else _reference_inputs(translator, targets, options, report)
    with stopping_at_output_error(report):
        for stem, inputs in photo_inputs(translator, paths, report, options):
            if targets.latent:
                names, outputs = latent_outputs(translator, inputs.model_inputs, targets)
            else:
                domain_name = targets.domain_names[targets.reference_domain]
                outputs = reference_outputs(translator, inputs.model_inputs,
                                            [reference for _, reference in references], targets.reference_domain)
                names = [f"{domain_name}_{reference_stem}" for reference_stem, _ in references]
            save_translations(inputs, names, outputs, output_dir, stem, report)
            rows += zip(inputs.model_inputs, outputs, inputs.row_names(stem))
            for domain in targets.targets if options.interpolate else ():
                steps = interpolation_steps(translator, inputs.model_inputs, targets, domain, options.interpolate)
                save_interpolation(inputs, steps, output_dir, f"{stem}_{targets.domain_names[domain]}", report)
        if rows:
            sources, outputs, row_names = zip(*rows)
            sources, outputs = np.stack(sources), np.stack(outputs)
            if targets.latent:
                grid = draw_latent_grid(sources, outputs, [targets.domain_names[domain] for domain in targets.targets],
                                        len(targets.z), row_names)
                name = "latent_grid.png"
            else:
                reference_inputs = np.stack([reference for _, reference in references])
                domain_name = targets.domain_names[targets.reference_domain]
                grid = draw_reference_grid(sources, reference_inputs, outputs,
                                           [f"{stem} ({domain_name})" for stem, _ in references], row_names)
                name = "reference_grid.png"
            save_output(grid, os.path.join(output_dir, name), report)
    return report

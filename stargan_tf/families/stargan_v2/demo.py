"""StarGAN v2's demo page: the photo in a chosen domain with a random style (its seed shown and editable) or a
reference photo's style, and the interpolation strip and GIF of stargan-translate's --interpolate.

A seed gives the latent codes StyleTargets.parse gives for --seed: the result of seed s here is the first style of
`stargan-translate --target=<domain> --seed=s`, the strip runs from its first style to its second.
"""
from __future__ import annotations

import os
import random

import gradio as gr
import numpy as np

from stargan_tf.core import demo
from stargan_tf.core.photos import Report, TranslateError, save_interpolation
from stargan_tf.families.stargan_v2.translate import (StyleTargets, StyleTranslator, interpolation_steps,
                                                       latent_outputs, reference_outputs)

MAX_FRAMES = 16  # interpolation frames the page offers
MAX_SEED = 2 ** 31 - 1


def new_seed() -> int:
    """A random style seed (the page shows it, so a style one likes can be had again)."""
    return random.randint(0, MAX_SEED)


def parse_seed(value) -> int:
    """The seed field's value as a whole number from 0 to MAX_SEED; TranslateError otherwise."""
    try:
        seed = int(value)
    except (TypeError, ValueError):
        seed = None
    if seed is None or seed != float(value) or not 0 <= seed <= MAX_SEED:
        raise TranslateError(f"Style seed: {value!r} is not a whole number from 0 to {MAX_SEED}.")
    return seed


class StarGANv2Page:
    """The page of one StarGAN v2 translator: its handlers (plain functions of the fields' values) and its layout."""

    def __init__(self, translator: StyleTranslator, settings: demo.DemoSettings):
        self.translator, self.settings = translator, settings

    def warm_up(self) -> None:
        """One latent-guided translation of a blank photo, before the page is served (see demo.warm_up)."""
        z = np.zeros((1, self.translator.latent_dim), np.float32)
        demo.warm_up(self.translator, self.settings, lambda model_input: self.translator.latent_guided(
            model_input, [0], z))

    def on_upload(self, value) -> list:
        """(state: the photo prepared, status) for a new photo, or an error."""
        if not value:
            return [None, "Upload a photo (or take one with the webcam)."]
        try:
            photo = demo.read_upload(self.translator, value, self.settings)
        except TranslateError as error:
            return [None, demo.error_text(error)]
        return [photo, f"{photo.message} Pick a domain and press Translate or New random style."]

    def on_translate(self, value, state, domain: str, seed, reference, frames) -> list:
        """(state, status, the photo translated, its faces before and after, interpolation strip, GIF): latent-guided
        with the seed's style, or reference-guided when a reference photo is given; an error and no images
        otherwise."""
        photo = state
        try:
            photo = demo.cached_upload(self.translator, value, photo, self.settings)
            model_inputs = np.stack(photo.inputs.model_inputs)
            frames = int(frames or 0)
            if frames == 1:
                raise TranslateError("Interpolation frames: 1 frame is no interpolation; give 2 or more (0: none).")
            if reference:
                outputs, how, strip, gif = self.reference_guided(model_inputs, domain, reference, frames)
            else:
                outputs, how, strip, gif = self.latent_guided(photo, model_inputs, domain, parse_seed(seed), frames)
        except TranslateError as error:
            return [photo, demo.error_text(error), None, None, None, None]
        return [photo, f"{photo.message} Translated to {domain} {how}.", photo.inputs.picture(outputs),
                demo.before_after(model_inputs, outputs), strip, gif]

    def latent_guided(self, photo: demo.UploadedPhoto, model_inputs, domain: str, seed: int, frames: int):
        """(outputs uint8 [faces,S,S,3], how it was done, the strip (enlarged, a row per face), the GIF's path; None
        for both without frames)."""
        targets = StyleTargets.parse(self.translator, target=domain, num_styles=2 if frames else 1, seed=seed)
        outputs = latent_outputs(self.translator, model_inputs, targets)[1][:, 0]
        if not frames:
            return outputs, f"with the random style of seed {seed}", None, None
        steps = interpolation_steps(self.translator, model_inputs, targets, targets.targets[0], frames)
        folder, name = demo.request_dir(), f"{os.path.splitext(photo.name)[0]}_{domain}"
        save_interpolation(photo.inputs, steps, folder, name, Report())
        strip = demo.face_grid(steps, ["style 1"] + [""] * (frames - 2) + ["style 2"])
        return (outputs, f"with the random style of seed {seed}; the strip and GIF run in {frames} steps from it to "
                         f"the seed's second style", strip, os.path.join(folder, f"{name}.gif"))

    def reference_guided(self, model_inputs, domain: str, reference, frames: int):
        """(outputs uint8 [faces,S,S,3], how it was done, None, None): the reference's style, read in `domain`."""
        uploaded = demo.read_upload(self.translator, reference, self.settings, "a reference photo")
        index = self.translator.domains.index(domain)
        outputs = reference_outputs(self.translator, model_inputs, [uploaded.inputs.model_inputs[0]], index)[:, 0]
        how = f"with the style of the reference photo ({uploaded.message.rstrip('.')})"
        if frames:
            how += ("; no interpolation strip: it runs between two random styles (remove the reference to have "
                    "one)")
        return outputs, how, None, None

    def build(self) -> gr.Blocks:
        """The page: the photo, domain, style seed or reference, interpolation frames; then the results."""
        domains = list(self.translator.domains)
        with demo.page("StarGAN v2 demo") as blocks:
            gr.Markdown(f"## StarGAN v2\n{self.translator.description}: domains {', '.join(domains)}; images "
                        f"{self.translator.image_size} pixels. Photos up to {self.settings.max_pixels / 1e6:g} "
                        f"megapixels.")
            state = gr.State()
            with gr.Row():
                with gr.Column():
                    photo, status = demo.photo_column()
                with gr.Column():
                    domain = gr.Dropdown(domains, value=domains[0], label="Target domain", elem_id="domain")
                    with gr.Row():
                        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Style seed",
                                         elem_id="seed")
                        new_style = gr.Button("New random style", elem_id="new-style")
                    reference = demo.photo_input("Reference photo (optional): its style, read as the target domain",
                                                 "reference")
                    frames = gr.Slider(0, MAX_FRAMES, value=0, step=1, label="Interpolation frames (0: none)")
                    button = gr.Button("Translate", variant="primary", elem_id="translate")
            with gr.Row():
                result = demo.image_output("The photo translated", "result")
                faces = demo.image_output("Faces as the model sees them", "faces")
            with gr.Row():
                strip = demo.image_output("Interpolation strip", "strip")
                gif = demo.image_output("Interpolation GIF", "gif")
            inputs = [photo, state, domain, seed, reference, frames]
            outputs = [state, status, result, faces, strip, gif]
            demo.on_model(photo.change, self.on_upload, [photo], [state, status])
            demo.on_model(button.click, self.on_translate, inputs, outputs)
            demo.on_model(new_style.click(new_seed, None, seed, queue=False).then, self.on_translate, inputs, outputs)
        return blocks


def build_page(translator: StyleTranslator, settings: demo.DemoSettings) -> gr.Blocks:
    """The StarGAN v2 demo page of a translator, its model warmed up."""
    page = StarGANv2Page(translator, settings)
    page.warm_up()
    return page.build()

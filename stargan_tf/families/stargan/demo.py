"""StarGAN's demo page: the photo's own labels as boxes to tick or untick (or an expression to pick), each change
with a strength, translated as stargan-translate's --edit translates: every face found, pasted back.

The boxes start from the largest face's labels, predicted by D_cls when the model has it (else all off); each
face's edits then apply to its own labels, as with --edit.
"""
from __future__ import annotations

import dataclasses

import gradio as gr
import numpy as np

from stargan_tf.core import demo
from stargan_tf.core.photos import TranslateError
from stargan_tf.data.labels import HAIR_COLORS, MULTILABEL, Segment
from stargan_tf.families.stargan.translate import Targets, Translator, face_logits, translate_targets

TITLES = {"celeba": "CelebA attributes", "rafd": "RaFD expression", "affectnet": "AffectNet expression"}  # how the page names each dataset's labels


@dataclasses.dataclass(frozen=True, eq=False)
class Analysis:
    """An uploaded photo with the D_cls logits of each of its model inputs (None each without a classifier)."""

    photo: demo.UploadedPhoto
    logits: list


def edit_text(segment: Segment, own: np.ndarray, wanted: np.ndarray, strengths) -> str:
    """translate's --edit turning the own labels [size] into the wanted ones (each change with its strength, 0 to
    1), e.g. '+Blond_Hair:0.5,-Young:1'; '' when they are equal. A one-hot class switched on implies the old one off."""
    changes = [("+" if on else "-", name, strength)
               for name, was, on, strength in zip(segment.names, own, wanted, strengths) if bool(was) != bool(on)]
    if segment.kind != MULTILABEL:
        changes = [change for change in changes if change[0] == "+"]
    return ",".join(f"{sign}{name}:{strength:g}" for sign, name, strength in changes)


class StarGANPage:
    """The page of one StarGAN translator: its handlers (plain functions of the fields' values) and its layout."""

    def __init__(self, translator: Translator, settings: demo.DemoSettings):
        self.translator, self.settings = translator, settings
        self.segments = translator.layout.segments

    def analyze(self, value, cached: Analysis | None = None) -> Analysis:
        """The uploaded photo prepared and its faces' own labels predicted (cached if it is the same photo);
        TranslateError saying what is wrong."""
        photo = demo.cached_upload(self.translator, value, cached and cached.photo, self.settings)
        if cached is not None and photo is cached.photo:
            return cached
        return Analysis(photo, face_logits(self.translator, photo.inputs.model_inputs))

    def own_values(self, analysis: Analysis, segment: Segment) -> np.ndarray:
        """The largest face's own labels in a dataset's segment (all off without a classifier)."""
        return Targets(self.translator.layout, segment.dataset).source_values(analysis.logits[0])

    def start_values(self, analysis: Analysis) -> list:
        """Each label field's value for the photo: a box per attribute, the class of a one-hot dataset (none when
        its own class is unknown)."""
        values = []
        for segment in self.segments:
            own = self.own_values(analysis, segment)
            if segment.kind == MULTILABEL:
                values += [bool(value) for value in own]
            else:
                values.append(segment.names[int(np.argmax(own))] if own.any() else None)
        return values

    def warm_up(self) -> None:
        """One classification and translation of a blank photo, before the page is served (see demo.warm_up)."""
        layout = self.translator.layout
        target = layout.embed(self.segments[0].dataset, np.zeros((1, self.segments[0].size), np.float32))[0]

        def translate(model_input):
            face_logits(self.translator, [model_input])
            self.translator.translate(model_input, target)

        demo.warm_up(self.translator, self.settings, translate)

    def labels_message(self) -> str:
        """Where the fields' starting values come from."""
        if self.translator.can_classify:
            return ("The fields start from the photo's own labels, as the model's classifier (D_cls) sees them (the "
                    "largest face's).")
        return ("This model has no classifier (export it with --with_classifier to have one), so the fields start "
                "off.")

    def on_upload(self, value) -> list:
        """(state, status, each label field's value) for a new photo, or an error and the fields unchanged."""
        label_count = sum(_field_count(segment) for segment in self.segments)
        if not value:
            return [None, "Upload a photo (or take one with the webcam).", *[gr.update()] * label_count]
        try:
            analysis = self.analyze(value)
        except TranslateError as error:
            return [None, demo.error_text(error), *[gr.update()] * label_count]
        message = f"{analysis.photo.message} {self.labels_message()} Change some and press Translate."
        return [analysis, message, *self.start_values(analysis)]

    def wanted(self, segment: Segment, labels: list, strengths: list) -> tuple[np.ndarray, list]:
        """(label values [size], strength of each) that a segment's fields ask for."""
        if segment.kind == MULTILABEL:
            return np.asarray(labels, np.float32), list(strengths)
        values = np.zeros(segment.size, np.float32)
        if labels[0] is not None:
            values[segment.names.index(labels[0])] = 1.0
        return values, list(strengths) * segment.size

    def on_translate(self, value, state, dataset: str, *fields) -> list:
        """(state, status, the photo translated, its faces before and after) for the label and strength fields'
        values (label fields first, then strengths, in segment order); an error and no images otherwise."""
        analysis = state
        try:
            analysis = self.analyze(value, analysis)
            segment = self.translator.layout.segment(dataset)
            wanted, strengths = self.wanted(segment, *self._fields(segment, fields))
            text = edit_text(segment, self.own_values(analysis, segment), wanted, strengths)
            if not text:
                raise TranslateError("Nothing to translate: the fields still show the photo's own labels. Tick or "
                                     "untick an attribute (or pick another expression) first.")
            targets = Targets.parse(self.translator.layout, edit=text)
            model_inputs = np.stack(analysis.photo.inputs.model_inputs)
            outputs = translate_targets(self.translator, model_inputs,
                                        [targets.for_photo(logits) for logits in analysis.logits])[:, 0]
        except TranslateError as error:
            return [analysis, demo.error_text(error), None, None]
        return [analysis, f"{analysis.photo.message} Translated with the changes {text} (name:strength).",
                analysis.photo.inputs.picture(outputs), demo.before_after(model_inputs, outputs)]

    def _fields(self, segment: Segment, fields) -> tuple[list, list]:
        """(label fields, strength fields) of a segment among all fields' values."""
        counts = [_field_count(other) for other in self.segments]
        index = self.segments.index(segment)
        total = sum(counts)
        start = sum(counts[:index])
        return (list(fields[start:start + counts[index]]),
                list(fields[total + start:total + start + counts[index]]))

    def build(self) -> gr.Blocks:
        """The page: the photo and the label fields, Translate, then the result and the faces before and after."""
        labels, strengths, groups = [], [], []
        with demo.page("StarGAN demo") as blocks:
            gr.Markdown(f"## StarGAN\n{self.translator.description}: faces {self.translator.image_size} pixels. "
                        f"Photos up to {self.settings.max_pixels / 1e6:g} megapixels.")
            state = gr.State()
            with gr.Row():
                with gr.Column():
                    photo, status = demo.photo_column()
                with gr.Column():
                    dataset = gr.Radio([(TITLES.get(s.dataset, s.dataset), s.dataset) for s in self.segments],
                                       value=self.segments[0].dataset, label="Change",
                                       visible=len(self.segments) > 1)
                    for index, segment in enumerate(self.segments):
                        with gr.Group(visible=index == 0) as group:
                            segment_labels, segment_strengths = _segment_fields(segment)
                        labels += segment_labels
                        strengths += segment_strengths
                        groups.append(group)
                    button = gr.Button("Translate", variant="primary", elem_id="translate")
            with gr.Row():
                result = demo.image_output("The photo translated", "result")
                faces = demo.image_output("Faces as the model sees them", "faces")
            demo.on_model(photo.change, self.on_upload, [photo], [state, status, *labels])
            demo.on_model(button.click, self.on_translate, [photo, state, dataset, *labels, *strengths],
                          [state, status, result, faces])
            if len(groups) > 1:
                dataset.change(lambda chosen: [gr.update(visible=s.dataset == chosen) for s in self.segments],
                               [dataset], groups, queue=False, api_visibility="private")
        return blocks


def _field_count(segment: Segment) -> int:
    """Label fields of a segment: a box per attribute, or one choice of class."""
    return segment.size if segment.kind == MULTILABEL else 1


def _segment_fields(segment: Segment) -> tuple[list, list]:
    """(label fields, strength sliders) of a segment: a box and a slider per attribute, or a class choice and one
    slider."""
    def slider(label):
        return gr.Slider(0.0, 1.0, value=1.0, step=0.05, label=label)

    if segment.kind == MULTILABEL:
        labels, strengths = [], []
        for name in segment.names:
            with gr.Row():
                labels.append(gr.Checkbox(label=name, elem_id=f"label-{name}"))
                strengths.append(slider(f"{name} strength"))
        _exclusive([box for box, name in zip(labels, segment.names) if name in HAIR_COLORS])
        return labels, strengths
    title = TITLES.get(segment.dataset, segment.dataset)
    choice = gr.Radio(list(segment.names), label=title, elem_id=f"label-{segment.dataset}")
    return [choice], [slider(f"{title} strength")]


def _exclusive(boxes: list) -> None:
    """Ticking one of the boxes unticks the others, as the translation does (a hair colour clears the others)."""
    for box in boxes:
        others = [other for other in boxes if other is not box]
        if others:
            box.input(_untick(len(others)), [box], others, queue=False, api_visibility="private")


def _untick(count: int):
    """The handler of a box that unticks `count` other boxes when it is ticked (Gradio: one output, one value)."""
    def untick(ticked: bool):
        updates = [False if ticked else gr.update()] * count
        return updates if count > 1 else updates[0]

    return untick


def build_page(translator: Translator, settings: demo.DemoSettings) -> gr.Blocks:
    """The StarGAN demo page of a translator, its model warmed up."""
    page = StarGANPage(translator, settings)
    page.warm_up()
    return page.build()

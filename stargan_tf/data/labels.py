"""Label layout (one dataset or both with the mask vector) and target-label making, as plain functions."""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

HAIR_COLORS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")
MULTILABEL, ONEHOT = "multilabel", "onehot"


@dataclasses.dataclass(frozen=True)
class Segment:
    """One dataset's slice of the label vector: its name, loss kind, label names and offset."""

    dataset: str
    kind: str
    names: tuple[str, ...]
    offset: int

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def stop(self) -> int:
        return self.offset + self.size


@dataclasses.dataclass(frozen=True)
class LabelLayout:
    """Where each dataset's labels sit in G's label input and D's logits.

    Joint training lays labels out as [celeba labels | rafd labels | mask], the mask one-hot telling which
    dataset a sample comes from; D's logits are the same minus the mask.
    """

    segments: tuple[Segment, ...]

    @property
    def with_mask(self) -> bool:
        return len(self.segments) > 1

    @property
    def logit_dim(self) -> int:
        return sum(segment.size for segment in self.segments)

    @property
    def label_dim(self) -> int:
        return self.logit_dim + (len(self.segments) if self.with_mask else 0)

    @property
    def names(self) -> list[str]:
        """Name of every position of the label vector, mask positions as 'mask:<dataset>'."""
        names = [name for segment in self.segments for name in segment.names]
        if self.with_mask:
            names += [f"mask:{segment.dataset}" for segment in self.segments]
        return names

    def segment(self, dataset: str) -> Segment:
        for segment in self.segments:
            if segment.dataset == dataset:
                return segment
        raise KeyError(f"dataset {dataset!r} is not in this label layout ({[s.dataset for s in self.segments]})")

    def embed(self, dataset: str, labels: np.ndarray) -> np.ndarray:
        """Places one dataset's labels [N, size] into full label vectors [N, label_dim] (zeros elsewhere, mask set)."""
        segment = self.segment(dataset)
        labels = np.asarray(labels, np.float32)
        if labels.ndim != 2 or labels.shape[1] != segment.size:
            raise ValueError(f"{dataset} labels: expected shape [N, {segment.size}], got {list(labels.shape)}")
        full = np.zeros((labels.shape[0], self.label_dim), np.float32)
        full[:, segment.offset:segment.stop] = labels
        if self.with_mask:
            full[:, self.logit_dim + self.segments.index(segment)] = 1.0
        return full

    def to_json(self) -> dict:
        return {"segments": [dataclasses.asdict(segment) for segment in self.segments]}

    @classmethod
    def from_json(cls, values: dict) -> "LabelLayout":
        """The layout to_json describes (as stored in run.json and in an export's labels signature)."""
        return cls(tuple(Segment(**{**segment, "names": tuple(segment["names"])}) for segment in values["segments"]))


def make_layout(datasets, celeba_attrs=(), rafd_classes=(), affectnet_classes=()) -> LabelLayout:
    """The layout for the datasets trained on, in order ('celeba' multi-label, 'rafd' and 'affectnet' one-hot)."""
    classes = {"rafd": tuple(rafd_classes), "affectnet": tuple(affectnet_classes)}
    segments, offset = [], 0
    for dataset in datasets:
        kind, names = (MULTILABEL, tuple(celeba_attrs)) if dataset == "celeba" else (ONEHOT, classes[dataset])
        segments.append(Segment(dataset, kind, names, offset))
        offset += len(names)
    return LabelLayout(tuple(segments))


def permuted_targets(labels, seed):
    """Target labels: a random permutation of the batch's own labels (realistic combinations), stateless."""
    order = tf.argsort(tf.random.stateless_uniform([tf.shape(labels)[0]], seed=seed))
    return tf.gather(labels, order)


def hair_color_indices(attr_names) -> list[int]:
    """Positions of the hair-colour attributes among the selected ones (they exclude each other)."""
    return [i for i, name in enumerate(attr_names) if name in HAIR_COLORS]


def celeba_sample_targets(labels: np.ndarray, attr_names) -> list[np.ndarray]:
    """One target batch per selected attribute, as the paper's figures: set a hair colour, or toggle the rest.

    Setting a hair colour clears the other selected hair colours, so targets never ask for two at once.
    """
    labels = np.asarray(labels, np.float32)
    hair = hair_color_indices(attr_names)
    targets = []
    for i in range(len(attr_names)):
        target = labels.copy()
        if i in hair:
            target[:, hair] = 0.0
            target[:, i] = 1.0
        else:
            target[:, i] = 1.0 - target[:, i]
        targets.append(target)
    return targets


def onehot_sample_targets(batch_size: int, num_classes: int) -> list[np.ndarray]:
    """One target batch per class, every sample set to that class."""
    return [np.tile(np.eye(num_classes, dtype=np.float32)[i], (batch_size, 1)) for i in range(num_classes)]


def sample_targets(layout: LabelLayout, dataset: str, labels: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(name, full-layout target labels) for every target domain, for a batch from `dataset`.

    A joint model also gets the other dataset's domains (its labels with the other part of the mask), the
    cross-dataset translation the mask vector makes possible.
    """
    own = layout.segment(dataset)
    own_labels = np.asarray(labels, np.float32)[:, own.offset:own.stop]
    targets = []
    for segment in layout.segments:
        if segment.kind == MULTILABEL:
            # For the other dataset's attributes there are no known labels: start from all zeros.
            start = own_labels if segment is own else np.zeros((len(own_labels), segment.size), np.float32)
            domain_labels = celeba_sample_targets(start, segment.names)
        else:
            domain_labels = onehot_sample_targets(len(own_labels), segment.size)
        targets += [(name, layout.embed(segment.dataset, values)) for name, values in zip(segment.names, domain_labels)]
    return targets

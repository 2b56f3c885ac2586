"""Which target label vectors a StarGAN takes, checked where clients send them: in the serving graph (asserts) and,
with the same messages, before a TFLite model runs (TFLite carries no asserts).

Valid: every label finite and in [0, 1] (fractions are partial strengths and interpolation steps); with two datasets,
exactly one mask bit set; a one-hot dataset's labels summing to at most 1 (one class, or fractions towards classes).
NaN, CelebA's -1/1 or two mask bits would otherwise translate, without a word, into a black or meaningless image.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from stargan_tf.data.labels import ONEHOT, LabelLayout

NAME = "target_labels"
ONEHOT_TOLERANCE = 1e-5  # float rounding of an interpolation step between two classes: (1 - f) + f


def label_rules(layout: LabelLayout) -> list[tuple]:
    """(rule, message) pairs: rule(labels float32 [N, C]) -> bool [N], whether each example keeps it; the message says
    what is expected, naming the tensor. Written with TensorFlow ops, so the graph and Python run the same rules."""
    rules = [(lambda labels: tf.reduce_all((labels >= 0.0) & (labels <= 1.0), axis=1),  # False for NaN
              f"{NAME}: expected every label finite and in [0, 1] (1: on, 0: off, a fraction: partial strength)")]
    if layout.with_mask:
        names = ", ".join(layout.names[layout.logit_dim:])

        def one_mask_bit(labels):
            mask = labels[:, layout.logit_dim:]
            return tf.reduce_all((mask == 0.0) | (mask == 1.0), axis=1) & (tf.reduce_sum(mask, axis=1) == 1.0)

        rules.append((one_mask_bit, f"{NAME}: expected exactly one of the mask labels ({names}) 1 and the others 0 "
                                    "(the dataset whose labels are given)"))
    for segment in layout.segments:
        if segment.kind == ONEHOT:
            rules.append((lambda labels, segment=segment: tf.reduce_sum(labels[:, segment.offset:segment.stop], axis=1)
                          <= 1.0 + ONEHOT_TOLERANCE,
                          f"{NAME}: the {segment.dataset} labels ({', '.join(segment.names)}) are one-hot: expected "
                          "one class 1 and the others 0 (fractions summing to at most 1: partial strength)"))
    return rules


def require_valid_labels(labels, layout: LabelLayout):
    """labels [N, C] in the graph, failing at run time with the first broken rule's message, the examples that break
    it and their label vectors."""
    checks = []
    for rule, message in label_rules(layout):
        keeps = rule(labels)
        checks.append(tf.debugging.Assert(tf.reduce_all(keeps), [
            f"{message}; got, in example(s)", tf.where(~keeps)[:, 0], "the label vectors", labels[~keeps]],
            summarize=64))
    with tf.control_dependencies(checks):
        return tf.identity(labels)


def check_labels(labels: np.ndarray, layout: LabelLayout) -> None:
    """ValueError with the message require_valid_labels gives, for labels [N, C] checked in Python."""
    for rule, message in label_rules(layout):
        broken = np.flatnonzero(~rule(tf.constant(labels, tf.float32)).numpy())
        if broken.size:
            raise ValueError(f"{message}; got, in example(s) {broken.tolist()}: the label vectors "
                             f"{labels[broken].tolist()}")

"""StarGAN sample grids like the paper's figures: each row an input image followed by its translation to every domain."""
import itertools

import numpy as np

from stargan_tf.core.grids import labelled_grid, to_uint8
from stargan_tf.data.labels import LabelLayout, sample_targets


def draw_translation_grid(inputs, outputs, layout: LabelLayout, dataset: str, target_names,
                          row_names=None) -> np.ndarray:
    """uint8 labelled grid: a row per input (uint8 [N,S,S,3], of `dataset`, '' if unknown), then its outputs
    [N,T,S,S,3] under their target names; a joint model's columns are grouped by dataset, the input under its own
    dataset. Names that are no domain (edits such as '+Blond_Hair-Young') get no group."""
    tiles = np.concatenate([np.asarray(inputs)[:, None], np.asarray(outputs)], axis=1)
    names, groups = ["input"] + list(target_names), None
    if layout.with_mask:
        owner = {name: segment.dataset for segment in layout.segments for name in segment.names}
        owners = [dataset] + [owner.get(name, "") for name in target_names]
        groups = [(group, len(list(run))) for group, run in itertools.groupby(owners)]
    return labelled_grid(tiles, names, row_names, column_groups=groups)


def translation_grid(generator, images, labels, layout: LabelLayout, dataset: str) -> tuple[np.ndarray, list[str]]:
    """(uint8 labelled grid, column names): the inputs [N,S,S,3], then their translation to each of T domains."""
    targets = sample_targets(layout, dataset, labels)
    outputs = np.stack([np.asarray(generator(images, target)) for _, target in targets], axis=1)
    names = [name for name, _ in targets]
    return draw_translation_grid(to_uint8(images), to_uint8(outputs), layout, dataset, names), ["input"] + names

"""StarGAN sample grids like the paper's figures: each row an input image followed by its translation to every domain."""
import numpy as np

from stargan_tf.core.grids import tile_grid, to_uint8
from stargan_tf.data.labels import LabelLayout, sample_targets


def translation_grid(generator, images, labels, layout: LabelLayout, dataset: str) -> tuple[np.ndarray, list[str]]:
    """(uint8 grid [N*S, (1+T)*S, 3], column names): the inputs, then their translation to each of T domains."""
    targets = sample_targets(layout, dataset, labels)
    columns = [np.asarray(images)] + [np.asarray(generator(images, target)) for _, target in targets]
    return to_uint8(tile_grid(np.stack(columns, axis=1))), ["input"] + [name for name, _ in targets]

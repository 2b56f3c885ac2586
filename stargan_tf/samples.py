"""Sample grids like the paper's figures: each row an input image followed by its translation to every domain."""
import numpy as np
from PIL import Image

from stargan_tf.labels import LabelLayout, sample_targets


def to_uint8(images) -> np.ndarray:
    """[-1, 1] float images -> uint8 [0, 255]."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def translation_grid(generator, images, labels, layout: LabelLayout, dataset: str) -> tuple[np.ndarray, list[str]]:
    """(uint8 grid [N*S, (1+T)*S, 3], column names): the inputs, then their translation to each of T domains."""
    targets = sample_targets(layout, dataset, labels)
    columns = [np.asarray(images)] + [np.asarray(generator(images, target)) for _, target in targets]
    return to_uint8(tile_grid(np.stack(columns, axis=1))), ["input"] + [name for name, _ in targets]


def tile_grid(tiles) -> np.ndarray:
    """Images [R, C, S, S, 3] (an array or nested lists) -> one image [R*S, C*S, 3], row r made of tiles[r]."""
    tiles = np.asarray(tiles)
    rows, columns, height, width, channels = tiles.shape
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * height, columns * width, channels)


def save_png(image: np.ndarray, path: str) -> None:
    """Writes a uint8 RGB array as PNG."""
    Image.fromarray(image).save(path)

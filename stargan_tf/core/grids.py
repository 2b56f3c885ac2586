"""Image grids and PNG files: uint8 conversion, tiling images into one picture, writing it."""
import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
    """[-1, 1] float images -> uint8 [0, 255]."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def tile_grid(tiles) -> np.ndarray:
    """Images [R, C, S, S, 3] (an array or nested lists) -> one image [R*S, C*S, 3], row r made of tiles[r]."""
    tiles = np.asarray(tiles)
    rows, columns, height, width, channels = tiles.shape
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * height, columns * width, channels)


def save_png(image: np.ndarray, path: str) -> None:
    """Writes a uint8 RGB array as PNG."""
    Image.fromarray(image).save(path)

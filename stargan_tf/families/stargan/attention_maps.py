"""Pictures of where the self-attention blocks look: one query position's attention weights over the image."""
import numpy as np

from stargan_tf.data.labels import LabelLayout, sample_targets
from stargan_tf.core.grids import labelled_grid, to_uint8

_HEAT_COLOR = np.array([255.0, 40.0, 0.0])  # attention weight, blended over a grey copy of the image
_QUERY_COLOR = np.array([0, 255, 0], np.uint8)
_HEAT_OPACITY = 0.75


def query_cell(query: tuple[float, float], height: int, width: int) -> tuple[int, int]:
    """The (row, col) cell of a height x width grid holding the point query = (row, col) fractions of the image."""
    row, col = query
    return min(int(row * height), height - 1), min(int(col * width), width - 1)


def mark_query(images: np.ndarray, query: tuple[float, float]) -> np.ndarray:
    """uint8 images [N, H, W, 3] with a green square at the query position (a copy)."""
    marked = images.copy()
    height, width = images.shape[1:3]
    row, col = query_cell(query, height, width)
    half = max(1, min(height, width) // 64)
    marked[:, max(0, row - half):row + half + 1, max(0, col - half):col + half + 1] = _QUERY_COLOR
    return marked


def attention_overlay(images, attention, query: tuple[float, float]) -> np.ndarray:
    """uint8 [N, H, W, 3]: the query position's attention weights as heat over a grey copy of the images.

    images [N, H, W, 3] in [-1, 1]; attention [N, h, w, h, w] from a SelfAttention block on an h x w feature map.
    Each map is scaled to its own maximum, so a block that spreads its attention evenly shows as uniform heat.
    """
    images, attention = np.asarray(images, np.float32), np.asarray(attention, np.float32)
    height, width = images.shape[1:3]
    map_height, map_width = attention.shape[1:3]
    weights = attention[(slice(None),) + query_cell(query, map_height, map_width)]  # [N, h, w]
    weights = weights / np.maximum(weights.max(axis=(1, 2), keepdims=True), 1e-12)
    rows, cols = np.arange(height) * map_height // height, np.arange(width) * map_width // width
    heat = (weights[:, rows][:, :, cols] * _HEAT_OPACITY)[..., None]  # nearest-neighbour upsampling
    grey = to_uint8(images).astype(np.float32).mean(axis=-1, keepdims=True)
    return mark_query(np.round((1.0 - heat) * grey + heat * _HEAT_COLOR).astype(np.uint8), query)


def attention_grid(generator, discriminator, images, labels, layout: LabelLayout, dataset: str,
                   query: tuple[float, float], targets=None) -> tuple[np.ndarray, list[str]]:
    """(uint8 labelled grid, column names): where each attention block looks from the query position.

    Columns: the inputs with the query marked; for each target domain (`targets`, (name, labels [N, C]) pairs;
    default: those of the sample grids) and each of G's blocks, the heat over G's translation to that domain;
    for each of D's blocks, the heat over the inputs. Headers: the block names, under their target domain (G) or
    under "D on input".
    """
    columns, names, blocks, groups = [mark_query(to_uint8(images), query)], ["input"], ["input"], [("", 1)]
    if generator.attention_at:
        for target_name, target in targets if targets is not None else sample_targets(layout, dataset, labels):
            outputs, maps = generator(images, target, return_attention=True)
            for stage, attention in zip(generator.attention_at, maps):
                columns.append(attention_overlay(outputs, attention, query))
                names.append(f"{target_name} G:{stage}")
                blocks.append(f"G:{stage}")
            groups.append((target_name, len(maps)))
    if discriminator.attention_at:
        maps = discriminator(images, return_attention=True)[2]
        for stage, attention in zip(discriminator.attention_at, maps):
            columns.append(attention_overlay(images, attention, query))
            names.append(f"D:{stage}")
            blocks.append(f"D:{stage}")
        groups.append(("D on input", len(maps)))
    return labelled_grid(np.stack(columns, axis=1), blocks, column_groups=groups), names

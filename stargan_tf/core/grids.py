"""Image grids and PNG files: uint8 conversion, tiling images into one picture, labelling it, writing it."""
from __future__ import annotations

import dataclasses
import functools
import math
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MIN_TILE = 96  # px: smaller tiles are enlarged to at least this, so that a domain name fits above one
FONT_SIZE, LINE_HEIGHT, PAD = 13, 16, 4  # px
NAME_LINES = 2  # lines a column name may wrap to (after '_' or ' '); longer names are cut with '…'
ROW_NAME_WIDTH = 72  # px of the margin left of the tiles that holds row names
BACKGROUND, INK = 255, (0, 0, 0)


def to_uint8(images) -> np.ndarray:
    """[-1, 1] float images -> uint8 [0, 255]."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def tile_grid(tiles) -> np.ndarray:
    """Images [R, C, S, S, 3] (an array or nested lists) -> one image [R*S, C*S, 3], row r made of tiles[r]."""
    tiles = np.asarray(tiles)
    rows, columns, height, width, channels = tiles.shape
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * height, columns * width, channels)


@dataclasses.dataclass(frozen=True)
class GridLayout:
    """Where labelled_grid puts things: tiles of `tile` px (the images enlarged `scale` times) below a header of
    `top` px (column names, and group names above them) and right of a margin of `left` px (row names)."""

    rows: int
    columns: int
    scale: int
    tile: int
    top: int
    left: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.top + self.rows * self.tile, self.left + self.columns * self.tile, 3


def grid_layout(rows: int, columns: int, tile_size: int, scale: int | None = None, grouped: bool = False,
                row_names: bool = False) -> GridLayout:
    """The layout of a labelled grid of rows x columns tiles of tile_size px; scale None: the smallest whole
    factor making tiles at least MIN_TILE px. It depends on counts only, so a grid's size is known in advance."""
    scale = scale or max(1, math.ceil(MIN_TILE / tile_size))
    top = 2 * PAD + (NAME_LINES + grouped) * LINE_HEIGHT
    return GridLayout(rows, columns, scale, tile_size * scale, top, ROW_NAME_WIDTH if row_names else 0)


@functools.lru_cache(maxsize=1)
def _font():
    return ImageFont.load_default(size=FONT_SIZE)  # Pillow's own TrueType font (Pillow >= 10.1): no font files


def fit_lines(text: str, width: int, max_lines: int) -> list[str]:
    """text in at most max_lines lines of at most width px, broken after '_' or ' ' and cut with '…' if needed."""
    font, lines = _font(), []
    for word in re.findall(r"[^_ ]+[_ ]*|[_ ]+", text):
        if lines and font.getlength((lines[-1] + word).rstrip()) <= width:
            lines[-1] += word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + ["".join(lines[max_lines - 1:])]
    return [_cut(line.rstrip(), width) for line in lines]


def _cut(text: str, width: int) -> str:
    """text, shortened to end in '…' if it is wider than width px."""
    font = _font()
    if font.getlength(text) <= width:
        return text
    while len(text) > 1 and font.getlength(text.rstrip() + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _write(draw, lines, center_x: int, bottom: int) -> None:
    """Lines of text centred on center_x, the last one ending at bottom."""
    for i, line in enumerate(reversed(lines)):
        draw.text((center_x, bottom - i * LINE_HEIGHT), line, fill=INK, font=_font(), anchor="md")


def labelled_grid(tiles, column_names, row_names=None, column_groups=None, scale: int | None = None) -> np.ndarray:
    """uint8 image of tiles [R, C, S, S, 3] (uint8) with a name above each column, readable at any tile size.

    column_names: C names ('' for none), wrapped to the tile width. column_groups: (name, span) pairs covering the
    C columns in order, names written above their columns' names (e.g. a domain over its styles). row_names: R
    names left of the rows. Tiles are enlarged scale times (nearest neighbour; default: see grid_layout).
    """
    tiles = np.asarray(tiles)
    if tiles.ndim != 5 or tiles.shape[2] != tiles.shape[3] or tiles.shape[4] != 3 or tiles.dtype != np.uint8:
        raise ValueError(f"tiles: expected uint8 [rows, columns, S, S, 3], got {tiles.dtype} {list(tiles.shape)}")
    rows, columns, size = tiles.shape[:3]
    counts = {"column_names": (column_names, columns), "row_names": (row_names, rows),
              "column_groups spans": (None if column_groups is None else [None] * sum(s for _, s in column_groups),
                                      columns)}
    for argument, (values, expected) in counts.items():
        if values is not None and len(values) != expected:
            raise ValueError(f"{argument}: expected {expected} for a grid of {rows} x {columns} tiles, got "
                             f"{len(values)}")
    layout = grid_layout(rows, columns, size, scale, column_groups is not None, row_names is not None)
    canvas = np.full(layout.shape, BACKGROUND, np.uint8)
    canvas[layout.top:, layout.left:] = tile_grid(tiles).repeat(layout.scale, axis=0).repeat(layout.scale, axis=1)
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    tile, x0 = layout.tile, layout.left
    start = 0
    for name, span in column_groups or ():
        if name:
            left, right = x0 + start * tile + PAD, x0 + (start + span) * tile - PAD
            _write(draw, fit_lines(name, right - left, 1), (left + right) // 2, PAD + LINE_HEIGHT - 3)
            draw.line([(left, PAD + LINE_HEIGHT), (right, PAD + LINE_HEIGHT)], fill=INK)
        start += span
    for column, name in enumerate(column_names):
        _write(draw, fit_lines(name, tile - PAD, NAME_LINES), x0 + column * tile + tile // 2, layout.top - PAD)
    for row, name in enumerate(row_names or ()):
        lines = fit_lines(name, layout.left - 2 * PAD, max(1, tile // LINE_HEIGHT))
        middle = layout.top + row * tile + tile // 2 + len(lines) * LINE_HEIGHT // 2
        _write(draw, lines, layout.left // 2, middle)
    return np.asarray(image)


def save_png(image: np.ndarray, path: str) -> None:
    """Writes a uint8 RGB array as PNG."""
    Image.fromarray(image).save(path)

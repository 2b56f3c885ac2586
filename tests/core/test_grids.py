"""Labelled grids: tiles enlarged untouched below readable column names, the layout known from the counts."""
import numpy as np
import pytest
from PIL import ImageFont

from stargan_tf.core.grids import (BACKGROUND, FONT_SIZE, LINE_HEIGHT, MIN_TILE, PAD, ROW_NAME_WIDTH, fit_lines,
                                   grid_layout, labelled_grid, tile_grid)


def tiles_of(rows, columns, size):
    return np.random.default_rng(0).integers(0, 256, [rows, columns, size, size, 3], dtype=np.uint8)


def test_tiles_are_enlarged_untouched_below_the_header_and_right_of_the_row_names():
    tiles = tiles_of(2, 3, 16)
    grid = labelled_grid(tiles, ["input", "Black_Hair", ""], row_names=["reference", ""],
                         column_groups=[("", 1), ("celeba", 2)])
    layout = grid_layout(2, 3, 16, grouped=True, row_names=True)
    assert layout.scale == 6 and layout.tile == MIN_TILE and layout.left == ROW_NAME_WIDTH
    assert grid.shape == layout.shape == (layout.top + 2 * 96, ROW_NAME_WIDTH + 3 * 96, 3)
    body = grid[layout.top:, layout.left:]
    np.testing.assert_array_equal(body, tile_grid(tiles).repeat(6, axis=0).repeat(6, axis=1))
    header, margin = grid[:layout.top, layout.left:], grid[layout.top:, :layout.left]
    inked = [(header[:, column * 96:(column + 1) * 96] != BACKGROUND).any() for column in range(3)]
    assert inked == [True, True, True]  # the third column: no name, but the 'celeba' group rule spans it
    assert (header[PAD + LINE_HEIGHT + 1:, 2 * 96:] == BACKGROUND).all()  # ... and no name below the rule
    assert (margin[:96] != BACKGROUND).any() and (margin[96:] == BACKGROUND).all()


def test_an_explicit_scale_and_large_tiles_are_kept():
    assert grid_layout(1, 1, 128).scale == 1 and grid_layout(1, 1, 32).scale == 3
    assert labelled_grid(tiles_of(1, 2, 8), ["a", "b"], scale=2).shape == (grid_layout(1, 2, 8, 2).top + 16, 32, 3)


def test_names_fit_the_tile_wrapping_after_underscores_then_cut_with_an_ellipsis():
    assert fit_lines("Black_Hair", MIN_TILE - PAD, 2) == ["Black_Hair"]
    assert fit_lines("contemptuous", MIN_TILE - PAD, 2) == ["contemptuous"]
    assert fit_lines("Black_Hair", 40, 2) == ["Black_", "Hair"]
    lines = fit_lines("Wearing_Necklace_And_Earrings", 60, 2)
    assert lines[0] == "Wearing_" and lines[1].endswith("…") and len(lines) == 2
    assert all(ImageFont.load_default(size=FONT_SIZE).getlength(line) <= 60 for line in lines)


def test_wrong_counts_name_the_argument():
    with pytest.raises(ValueError, match=r"column_names: expected 2 for a grid of 1 x 2 tiles, got 1"):
        labelled_grid(tiles_of(1, 2, 8), ["a"])
    with pytest.raises(ValueError, match=r"column_groups spans: expected 2"):
        labelled_grid(tiles_of(1, 2, 8), ["a", "b"], column_groups=[("x", 3)])
    with pytest.raises(ValueError, match=r"tiles: expected uint8 \[rows, columns, S, S, 3\], got float32"):
        labelled_grid(np.zeros([1, 2, 8, 8, 3], np.float32), ["a", "b"])

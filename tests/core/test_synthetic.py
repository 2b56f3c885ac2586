"""Tests for the synthetic CelebA / RaFD generator: format, determinism, caching, separability."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stargan_tf.data.synthetic import (
    CELEBA_ATTRIBUTES,
    MARKER_NAME,
    RAFD_EXPRESSIONS,
    SYNTHETIC_CELEBA_ATTRS,
    ensure_synthetic_data,
    write_celeba,
    write_rafd,
)

HAIR = SYNTHETIC_CELEBA_ATTRS[:3]


def _read_attrs(attr_path):
    """Parse list_attr_celeba.txt the way a loader would (split on whitespace)."""
    lines = Path(attr_path).read_text().splitlines()
    count, names = int(lines[0]), lines[1].split()
    rows = [line.split() for line in lines[2:] if line.strip()]
    files = [r[0] for r in rows]
    values = np.array([[int(v) for v in r[1:]] for r in rows])
    return count, names, files, values


def _to_32(path, crop):
    """Centre-crop crop x crop and area-downscale to 32x32, as the training pipeline does."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    left, top = (w - crop) // 2, (h - crop) // 2
    small = img.crop((left, top, left + crop, top + crop)).resize((32, 32), Image.BOX)
    return np.asarray(small, np.float32).ravel() / 255.0


def _holdout_accuracy(x, y, lam=1.0):
    """Train a ridge (least-squares, one-vs-rest) linear classifier on raw 32x32 pixels of the
    first half, return accuracy on the second half. Chance level if the drawn cue were missing."""
    n = len(x) // 2
    mean = x[:n].mean(0)
    xtr, xte = x[:n] - mean, x[n:] - mean
    classes = np.unique(y[:n])
    targets = np.where(y[:n, None] == classes[None], 1.0, -1.0)
    w = np.linalg.solve(xtr.T @ xtr + lam * np.eye(x.shape[1]), xtr.T @ targets)
    return float(np.mean(classes[(xte @ w).argmax(1)] == y[n:]))


def _tree_bytes(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    return write_celeba(tmp_path_factory.mktemp("celeba"), 240, seed=3)


@pytest.fixture(scope="module")
def rafd(tmp_path_factory):
    return write_rafd(tmp_path_factory.mktemp("rafd"), 50, seed=3)


def test_deterministic_and_seed_dependent(tmp_path):
    write_celeba(tmp_path / "a" / "celeba", 6, seed=7)
    write_rafd(tmp_path / "a" / "rafd", 2, seed=7)
    write_celeba(tmp_path / "b" / "celeba", 6, seed=7)
    write_rafd(tmp_path / "b" / "rafd", 2, seed=7)
    write_celeba(tmp_path / "c" / "celeba", 6, seed=8)
    write_rafd(tmp_path / "c" / "rafd", 2, seed=8)
    a, b, c = (_tree_bytes(tmp_path / k) for k in "abc")
    assert len(a) == 6 + 1 + 2 * len(RAFD_EXPRESSIONS)
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if k.suffix == ".jpg")


def test_celeba_attribute_file(celeba):
    image_dir, attr_path = celeba
    count, names, files, values = _read_attrs(attr_path)
    assert count == len(files) == 240
    assert names == list(CELEBA_ATTRIBUTES) and len(names) == 40
    assert values.shape == (240, 40) and set(np.unique(values)) == {1, -1}
    assert sorted(os.listdir(image_dir)) == files == [f"{i:06d}.jpg" for i in range(1, 241)]
    col = {name: values[:, i] for i, name in enumerate(names)}
    hair = np.stack([col[h] for h in HAIR], 1)
    assert np.all((hair == 1).sum(1) == 1)
    assert np.all((hair == 1).sum(0) == 80)  # balanced
    for attr in ("Male", "Young"):
        assert 0.3 < np.mean(col[attr] == 1) < 0.7
    assert np.all(col["No_Beard"] == -col["Male"])
    assert np.all(col["Gray_Hair"] == -1)
    for name in files[:20]:
        with Image.open(Path(image_dir) / name) as img:
            assert img.size == (178, 218) and img.mode == "RGB"


def test_rafd_layout(rafd):
    assert sorted(os.listdir(rafd)) == list(RAFD_EXPRESSIONS) == sorted(RAFD_EXPRESSIONS)
    for expression in RAFD_EXPRESSIONS:
        files = sorted(os.listdir(Path(rafd) / expression))
        assert len(files) == 50
        with Image.open(Path(rafd) / expression / files[0]) as img:
            assert img.size == (256, 256) and img.mode == "RGB"


def test_celeba_attributes_separable_at_32px(celeba):
    image_dir, attr_path = celeba
    _, names, files, values = _read_attrs(attr_path)
    x = np.stack([_to_32(Path(image_dir) / f, 178) for f in files])
    col = {name: values[:, i] for i, name in enumerate(names)}
    hair = np.argmax(np.stack([col[h] for h in HAIR], 1), 1)
    assert _holdout_accuracy(x, hair) > 0.9
    assert _holdout_accuracy(x, col["Male"]) > 0.9
    assert _holdout_accuracy(x, col["Young"]) > 0.9
    # Hair colour alone shows in the brightness of the fringe above the forehead.
    top = np.median(x.reshape(-1, 32, 32, 3)[:, 2:4, 12:20].mean(3), (1, 2))
    black, blond, brown = (top[hair == k] for k in range(3))
    assert black.max() + 0.1 < brown.min() and brown.max() + 0.1 < blond.min()


def test_rafd_expressions_separable_at_32px(rafd):
    x, y = [], []
    for k, expression in enumerate(RAFD_EXPRESSIONS):
        for name in sorted(os.listdir(Path(rafd) / expression)):
            x.append(_to_32(Path(rafd) / expression / name, 256))
            y.append(k)
    order = np.random.default_rng(0).permutation(len(y))
    assert _holdout_accuracy(np.stack(x)[order], np.array(y)[order]) > 0.9


def test_ensure_synthetic_data_reuses_and_repairs(tmp_path):
    kwargs = dict(cache_dir=tmp_path, celeba_images=6, rafd_per_class=2, seed=1)
    data = ensure_synthetic_data(**kwargs)
    root = Path(data.root)
    assert root.parent == tmp_path and (root / MARKER_NAME).is_file()
    assert len(os.listdir(data.celeba_image_dir)) == 6
    assert _read_attrs(data.attr_path)[0] == 6
    assert sorted(os.listdir(data.rafd_image_dir)) == list(RAFD_EXPRESSIONS)
    assert [p.name for p in tmp_path.iterdir()] == [root.name]  # no temp dir left behind

    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    assert ensure_synthetic_data(**kwargs) == data
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == mtimes

    # A set without the marker (e.g. killed mid-way) is regenerated from scratch.
    (root / MARKER_NAME).unlink()
    first = Path(data.celeba_image_dir) / "000001.jpg"
    expected = first.read_bytes()
    first.write_bytes(b"truncated")
    assert ensure_synthetic_data(**kwargs) == data
    assert (root / MARKER_NAME).is_file() and first.read_bytes() == expected


def test_ensure_synthetic_data_env_default(tmp_path, monkeypatch):
    monkeypatch.setenv("STARGAN_TF_CACHE", str(tmp_path))
    data = ensure_synthetic_data(celeba_images=3, rafd_per_class=1, seed=2)
    assert Path(data.root) == tmp_path / "synthetic-v1-seed2-c3-r1"
    assert (Path(data.root) / MARKER_NAME).is_file()

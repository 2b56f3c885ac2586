"""A synthetic data set in AffectNet's on-disk format: photos with one face each, training.csv and validation.csv.

The faces are the RaFD synthetic faces (their brows, eyes and mouth encode the expression), each scaled, turned
slightly and placed anywhere in a larger photo, so the 68 landmarks and the box in the CSV are what places it,
as in AffectNet. Classes are imbalanced like AffectNet's (Happy most, Contempt least), some rows are coded
8-10 (None, Uncertain, Non-Face) and some have no landmarks, so every path of the reader runs with no download.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from stargan_tf.core.faces import compose, invert, transform_points
from stargan_tf.data.affectnet import EXPRESSIONS, SKIPPED_CATEGORIES
from stargan_tf.data.synthetic import (RAFD_SIZE, _finish, _gradient_background, _hsv, _save_jpeg, build_once,
                                       default_cache_base, draw_placed_face)

HEADER = ("subDirectory_filePath", "face_x", "face_y", "face_width", "face_height", "facial_landmarks",
          "expression", "valence", "arousal")
# The synthetic face drawn for each expression code (RaFD's names); None and Uncertain get any of them.
DRAWN = ("neutral", "happy", "sad", "surprised", "fearful", "disgusted", "angry", "contemptuous")
# Share of training rows per code 0-10, roughly AffectNet's: Happy most, Contempt least, some 8-10.
TRAIN_SHARES = np.array([0.20, 0.36, 0.07, 0.05, 0.03, 0.02, 0.07, 0.02, 0.06, 0.06, 0.06])
NO_LANDMARKS_EVERY = 7  # every 7th face has an empty facial_landmarks field (placed by its box)
PHOTO_SIZE = (200, 170)  # (width, height)


def face_landmarks() -> np.ndarray:
    """The 68 points [68, 2] of the synthetic face in its drawing frame (origin at the face centre, 1 = 1 px at
    scale 1), in the 68-point order: jaw, brows, nose, eyes, outer and inner mouth."""
    jaw = [(70 * np.cos(t), -10 + 95 * np.sin(t)) for t in np.linspace(np.pi, 0, 17)]
    brows = [(x, -36.0) for x in np.linspace(-42, -10, 5)] + [(x, -36.0) for x in np.linspace(10, 42, 5)]
    nose = [(0.0, y) for y in np.linspace(-6, 24, 4)] + [(x, 28.0) for x in np.linspace(-10, 10, 5)]
    eyes = [(sx * 28 + 16 * np.cos(t), -12 - 6 * np.sin(t)) for sx in (-1, 1)
            for t in np.radians([180, 120, 60, 0, 300, 240])]
    mouth = [(32 * np.cos(t), 50 - 10 * np.sin(t)) for t in np.radians(180 - 30 * np.arange(12))]
    inner = [(20 * np.cos(t), 50 - 4 * np.sin(t)) for t in np.radians(180 - 45 * np.arange(8))]
    return np.array(jaw + brows + nose + eyes + mouth + inner)


def draw_photo(rng, code: int, size=PHOTO_SIZE) -> tuple[Image.Image, list[float], np.ndarray | None]:
    """(photo, face box [x, y, w, h], 68 landmarks or None for Non-Face): a face of the code's expression at a
    random position, scale (a third to a half of the photo's shorter side) and angle (within 12 degrees)."""
    width, height = size
    photo = _gradient_background(size, _hsv(rng.random(), 0.3, 0.8), _hsv(rng.random(), 0.3, 0.6), rng)
    if code == len(EXPRESSIONS) + SKIPPED_CATEGORIES.index("Non-Face"):
        x, y = rng.uniform(0, width / 2), rng.uniform(0, height / 2)
        return _finish(photo, rng), [x, y, width / 3, height / 3], None
    drawn = DRAWN[code] if code < len(DRAWN) else DRAWN[rng.integers(len(DRAWN))]
    tile, (cx, cy, scale) = draw_placed_face(rng, drawn)
    zoom = min(size) * rng.uniform(0.33, 0.5) / (180 * scale)  # the face oval is 180 drawing units tall
    angle = np.radians(rng.uniform(-12, 12))
    centre = rng.uniform([0.35 * width, 0.35 * height], [0.65 * width, 0.65 * height])
    rotation = zoom * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    tile_to_photo = np.concatenate([rotation, (centre - rotation @ [cx, cy])[:, None]], 1)
    to_tile = tuple(invert(tile_to_photo).ravel())
    face = tile.transform(size, Image.AFFINE, to_tile, resample=Image.BICUBIC)
    mask = Image.new("L", (RAFD_SIZE, RAFD_SIZE), 255).transform(size, Image.AFFINE, to_tile)
    photo.paste(face, (0, 0), mask)
    frame_to_photo = compose(tile_to_photo, np.array([[scale, 0, cx], [0, scale, cy]]))
    landmarks = transform_points(frame_to_photo, face_landmarks())
    low, high = landmarks.min(0), landmarks.max(0)
    return _finish(photo, rng), [*low, *(high - low)], landmarks


def class_codes(rng, count: int, shares=TRAIN_SHARES) -> np.ndarray:
    """count codes 0-10 in the given shares (every code at least once), shuffled."""
    per_code = np.maximum(1, np.round(shares / shares.sum() * count)).astype(int)
    return rng.permutation(np.repeat(np.arange(len(shares)), per_code))


def write_split(root: Path, csv_name: str, folder: str, codes, rng, size) -> str:
    """Draws a photo per code under root/Manually_Annotated_Images/<folder>/ and writes their CSV rows."""
    rows = []
    for index, code in enumerate(codes):
        photo, box, landmarks = draw_photo(rng, int(code), size)
        name = f"{folder}/{index:05d}.jpg"
        path = root / "Manually_Annotated_Images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _save_jpeg(photo, path)
        keep_points = landmarks is not None and index % NO_LANDMARKS_EVERY != NO_LANDMARKS_EVERY - 1
        points = ";".join(f"{value:.2f}" for value in landmarks.ravel()) if keep_points else ""
        valence, arousal = rng.uniform(-1, 1, 2)
        rows.append([name, *(f"{value:.1f}" for value in box), points, int(code), f"{valence:.3f}", f"{arousal:.3f}"])
    with open(root / csv_name, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(root / csv_name)


def write_affectnet(root, train_images: int, val_per_class: int, seed: int = 0, size=PHOTO_SIZE
                    ) -> tuple[str, str, str]:
    """Writes the set under root; returns (image folder, training.csv, validation.csv). The validation split has
    val_per_class faces of every expression and none coded 8-10, as AffectNet's."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    train_csv = write_split(root, "training.csv", "train", class_codes(rng, train_images), rng, size)
    val_codes = rng.permutation(np.repeat(np.arange(len(EXPRESSIONS)), val_per_class))
    val_csv = write_split(root, "validation.csv", "val", val_codes, rng, size)
    return str(root / "Manually_Annotated_Images"), train_csv, val_csv


def ensure_synthetic_affectnet(cache_dir=None, train_images: int = 2000, val_per_class: int = 25,
                               seed: int = 0) -> tuple[str, str, str]:
    """The cached synthetic AffectNet set (created once, like the CelebA + RaFD one): (image folder, training.csv,
    validation.csv)."""
    base = Path(cache_dir) if cache_dir else default_cache_base()
    root = base / f"synthetic-affectnet-v1-seed{seed}-t{train_images}-v{val_per_class}"
    build_once(root, lambda tmp: write_affectnet(tmp, train_images, val_per_class, seed),
               f"{train_images} training + {val_per_class * len(EXPRESSIONS)} validation AffectNet-format photos")
    return str(root / "Manually_Annotated_Images"), str(root / "training.csv"), str(root / "validation.csv")

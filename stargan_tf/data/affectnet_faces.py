"""AffectNet faces cut out as the model expects: aligned to the CelebA template once, into a cache of crops.

Each face is aligned with its own 68 landmarks reduced to core/faces.py's five points (eye centres, nose tip,
mouth corners), so AffectNet crops sit in the frame exactly as CelebA's img_align_celeba faces and as photos at
translation time. A face without landmarks is placed by its box instead (box_points).
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from stargan_tf.core import faces
from stargan_tf.core.photo_files import read_photo
from stargan_tf.data.affectnet import EXPRESSIONS, Annotations, one_hot
from stargan_tf.data.files import DataError, LabeledFiles
from stargan_tf.data.synthetic import build_once, default_cache_base

logger = logging.getLogger("stargan_tf")

ALIGN_VERSION = 2  # Part of the cache key: bump when the crops this module writes change.
BOX_MARGIN = 0.5  # Fraction of the box's longer side added on each side when there are no landmarks.
JPEG_QUALITY = 95
MANIFEST = "manifest.json"
# 0-based indices into the 68 points (1-based 37-42, 43-48, 31, 49, 55), in faces.LANDMARKS order.
LEFT_EYE, RIGHT_EYE, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = list(range(36, 42)), list(range(42, 48)), 30, 48, 54


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """68 landmarks [68, 2] -> faces.LANDMARKS' five points [5, 2]: eye centres, nose tip, mouth corners."""
    landmarks = np.asarray(landmarks, np.float64)
    return np.stack([landmarks[LEFT_EYE].mean(0), landmarks[RIGHT_EYE].mean(0), landmarks[NOSE_TIP],
                     landmarks[MOUTH_LEFT], landmarks[MOUTH_RIGHT]])


def box_points(box, margin: float = BOX_MARGIN) -> np.ndarray:
    """Five stand-in landmarks [5, 2] that align a face by its box: the box centre goes midway between the
    template's eye line and mouth (where a face box's centre sits), its longer side grown by margin on each side
    spans the frame's width (nose and both mouth corners at the mouth centre, the template's third point)."""
    template = faces.CELEBA_TEMPLATE
    x, y, width, height = box
    scale = max(width, height) * (1 + 2 * margin) / template.size[0]
    left_eye, right_eye, mouth = template.coordinates
    anchor = ((left_eye + right_eye) / 2 + mouth) / 2
    shift = np.array([x + width / 2, y + height / 2]) - scale * anchor
    frame_to_photo = np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]])
    left_eye, right_eye, mouth = faces.transform_points(frame_to_photo, template.coordinates)
    return np.stack([left_eye, right_eye, mouth, mouth, mouth])


def face_of(box, landmarks: np.ndarray) -> faces.Face:
    """The faces.Face to align: its own landmarks when it has them, else stand-ins from its box."""
    points = box_points(box) if np.isnan(landmarks).any() else five_points(landmarks)
    return faces.Face(tuple(float(value) for value in box), 1.0, points)


def align_photo(path: str, box, landmarks: np.ndarray) -> np.ndarray:
    """The face of one photo as a CelebA-aligned frame, uint8 [218, 178, 3]. The box and landmarks are in the
    photo's stored pixels (as TensorFlow decodes them): an EXIF orientation tag is not applied."""
    return faces.align_face(read_photo(path, exif_rotation=False), face_of(box, landmarks))[0]


def cache_root(annotations: Annotations, cache_dir: str = "") -> Path:
    """Where the aligned crops of this CSV live: keyed by its path, size, modification time and image folder."""
    info = os.stat(annotations.csv_path)
    key = (f"affectnet-align-v{ALIGN_VERSION} {os.path.abspath(annotations.csv_path)} {info.st_size} "
           f"{info.st_mtime_ns} {os.path.abspath(annotations.image_dir)}")
    base = Path(cache_dir) if cache_dir else default_cache_base()
    name = Path(annotations.csv_path).stem
    return base / "affectnet_aligned" / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def crop_name(row: int) -> str:
    """Where row's crop goes under the cache root: a thousand per folder, so no folder holds 300k files."""
    return f"{row // 1000:04d}/{row:07d}.jpg"


def write_aligned(annotations: Annotations, root: Path, workers: int | None = None) -> dict:
    """Aligns every face of annotations into root/<crop_name> with a manifest, photos in parallel threads;
    photos that cannot be read are logged by name and left out. Returns the manifest."""
    def align_one(row):
        try:
            frame = align_photo(annotations.paths[row], annotations.boxes[row], annotations.landmarks[row])
        except (OSError, ValueError) as error:  # unreadable photo, or landmarks that coincide
            return row, str(error)
        path = root / crop_name(row)
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(frame).save(path, quality=JPEG_QUALITY)
        return row, None

    start = time.monotonic()
    kept, unreadable = [], {}
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
        for row, problem in pool.map(align_one, range(len(annotations))):
            if problem:
                logger.warning("skipping AffectNet image %s (listed in %s): %s", annotations.paths[row],
                               annotations.csv_path, problem)
                unreadable[annotations.paths[row]] = problem
            else:
                kept.append(row)
    seconds = max(time.monotonic() - start, 1e-6)
    manifest = {"rows": [[crop_name(row), int(annotations.codes[row])] for row in kept],
                "unreadable": unreadable, "seconds": seconds, "images_per_second": len(annotations) / seconds}
    (root / MANIFEST).write_text(json.dumps(manifest))
    logger.info("aligned %d AffectNet faces in %.1f s (%.1f images/s)", len(kept), seconds,
                manifest["images_per_second"])
    return manifest


def aligned_files(annotations: Annotations, cache_dir: str = "") -> LabeledFiles:
    """The CelebA-aligned crops of annotations' faces, labelled one-hot, made once and then read from the cache."""
    root = cache_root(annotations, cache_dir)
    build_once(root, lambda tmp: write_aligned(annotations, tmp), f"{len(annotations)} aligned AffectNet faces")
    with open(root / MANIFEST, encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    if not rows:
        raise DataError(f"{annotations.csv_path}: none of the {len(annotations)} photos could be read")
    return LabeledFiles(tuple(str(root / name) for name, _ in rows), one_hot([code for _, code in rows]), EXPRESSIONS)

"""Faces framed as CelebA-HQ: the official StarGAN v2 `align_faces`, for models imported with `celeba_lm_mean.npz`.

The official CelebA-HQ model was trained on faces placed where the mean of CelebA-HQ's 98 FAN landmarks lies (the
`mean` array of celeba_lm_mean.npz, 256 px). Its `FaceAligner` moves a face's landmarks onto that mean: their
centroid onto its centroid, the axis through the eyes and mouth rotated onto its axis, scaled by the eye-centre
and mouth-corner distances. Here each face mtcnn finds is first framed from its 5 points, the FAN finds the 98
landmarks in that frame, and the official transform then takes the photo straight to the model input, so the face
can be pasted back like a CelebA-aligned one.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Callable

import numpy as np

from stargan_tf.core import faces
from stargan_tf.core.config import ConfigError

TEMPLATE_FILE = "landmark_template.json"  # in a run directory: the CelebA-HQ mean landmarks it was imported with
TEMPLATE_SIZE = 256  # the mean landmarks' frame, pixels
NUM_LANDMARKS = 98
# WFLW indices of mtcnn's 5 points (faces.LANDMARKS order): eye centres, nose tip, mouth corners.
FIVE_POINTS = (96, 97, 54, 76, 82)
EYE_LEFT, EYE_RIGHT = tuple(range(60, 68)) + (96,), tuple(range(68, 76)) + (97,)
MOUTH_LEFT, MOUTH_RIGHT = 76, 82
SCALE_POINTS = (96, 97, 76, 82)
# How far the landmark transform may stray from the detector's 5-point frame before it is not trusted.
MAX_SCALE, MAX_DEGREES, MAX_SHIFT = 1.5, 30.0, 48.0

logger = logging.getLogger("stargan_tf")


class TemplateError(ConfigError):
    """A landmark template that cannot be used; the message names the file."""


def read_official_mean(path: str) -> np.ndarray:
    """The `mean` array [98, 2] of the official celeba_lm_mean.npz, in our pixel convention (centres at +0.5)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "mean" not in archive.files:
                raise TemplateError(f"{path}: expected the official celeba_lm_mean.npz with a 'mean' array; it holds "
                                    f"{', '.join(archive.files) or 'nothing'}")
            mean = np.asarray(archive["mean"], np.float64)
    except (OSError, ValueError) as error:
        if isinstance(error, TemplateError):
            raise
        raise TemplateError(f"{path}: not a readable .npz file ({error})") from None
    return check_template(mean, f"{path}: 'mean'") + 0.5


def check_template(template: np.ndarray, name: str) -> np.ndarray:
    """The template as float64 [98, 2], or TemplateError naming it when it has another shape or is not finite."""
    template = np.asarray(template, np.float64)
    if template.shape != (NUM_LANDMARKS, 2) or not np.isfinite(template).all():
        raise TemplateError(f"{name}: expected {NUM_LANDMARKS} finite (x, y) landmarks, shape [98, 2]; got "
                            f"shape {list(template.shape)}")
    return template


def write_template(directory: str, template: np.ndarray) -> None:
    """Stores the mean landmarks in a run directory (TEMPLATE_FILE), where serving and translating find them."""
    with open(os.path.join(directory, TEMPLATE_FILE), "w") as f:
        json.dump({"landmarks": np.asarray(template).tolist(), "size": [TEMPLATE_SIZE, TEMPLATE_SIZE],
                   "coordinates": "pixels from the top-left corner of the top-left pixel (pixel centres at +0.5)"}, f)


def read_template(directory: str) -> np.ndarray | None:
    """A run directory's mean landmarks, or None when it has none (every trained run, and imports without them)."""
    path = os.path.join(directory, TEMPLATE_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            landmarks = json.load(f)["landmarks"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TemplateError(f"{path}: expected JSON with 'landmarks' [98, 2] ({error!r})") from None
    return check_template(landmarks, path)


def _x_axis(points: np.ndarray) -> np.ndarray:
    """The official face x axis: the eye line minus the eyes-to-mouth line turned by 90 degrees, unit length."""
    eye_left, eye_right = points[list(EYE_LEFT)].mean(0), points[list(EYE_RIGHT)].mean(0)
    down = (eye_left + eye_right) * 0.5 - (points[MOUTH_LEFT] + points[MOUTH_RIGHT]) * 0.5
    axis = eye_right - eye_left - np.array([down[1], -down[0]])
    return axis / np.linalg.norm(axis)


def landmark_matrix(landmarks: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The 2x3 similarity taking a face's 98 landmarks onto the template's, built as the official
    `FaceAligner.landmarks2mat` builds it."""
    landmarks, template = np.asarray(landmarks, np.float64), np.asarray(template, np.float64)
    source, target = _x_axis(landmarks), _x_axis(template)
    cos = np.clip(np.dot(source, target), -1.0, 1.0)
    sin = np.sqrt(1.0 - cos * cos) * np.sign(source[0] * target[1] - source[1] * target[0])
    centre, template_centre = landmarks.mean(0), template.mean(0)
    ratios = (np.linalg.norm(template - template_centre, axis=1) / np.linalg.norm(landmarks - centre, axis=1))
    rotation_scale = ratios[list(SCALE_POINTS)].mean() * np.array([[cos, -sin], [sin, cos]])
    return np.concatenate([rotation_scale, (template_centre - rotation_scale @ centre)[:, None]], 1)


def disagreement(matrix: np.ndarray, frame: np.ndarray) -> str:
    """Why the landmark transform is not to be trusted against the detector's 5-point frame (both photo -> 256 px
    template frame), or '' when they agree within MAX_SCALE, MAX_DEGREES and MAX_SHIFT (in frame pixels)."""
    relative = faces.compose(matrix, faces.invert(frame))  # frame -> landmark frame
    scale = float(np.sqrt(abs(np.linalg.det(relative[:, :2]))))
    degrees = float(np.degrees(np.arctan2(relative[1, 0], relative[0, 0])))
    centre = TEMPLATE_SIZE / 2
    shift = float(np.linalg.norm(faces.transform_points(relative, [[centre, centre]])[0] - centre))
    if not (1 / MAX_SCALE <= scale <= MAX_SCALE and abs(degrees) <= MAX_DEGREES and shift <= MAX_SHIFT):
        return f"scale x{scale:.2f}, rotation {degrees:.0f} degrees, shift {shift:.0f} px from the detector's frame"
    return ""


def prepare_face(photo: np.ndarray, face: faces.Face, image_size: int, template: np.ndarray,
                 landmarks_fn: Callable[[np.ndarray], np.ndarray]) -> faces.AlignedFace:
    """The face as a CelebA-HQ model sees it (uint8 [S,S,3]) with its 2x3 matrix photo -> model input.

    landmarks_fn: uint8 [256,256,3] -> its 98 landmarks [98, 2] (the FAN, e.g. a `face_landmarks` signature).
    When the landmarks disagree with the detector's 5 points (a face the FAN misreads), the 5-point frame is used,
    with a warning.
    """
    frame = faces.estimate_similarity(face.landmarks, template[list(FIVE_POINTS)])
    framed = faces.warp(photo, frame, (TEMPLATE_SIZE, TEMPLATE_SIZE))
    found = faces.transform_points(faces.invert(frame), np.asarray(landmarks_fn(framed), np.float64))
    to_template = landmark_matrix(found, template)
    reason = disagreement(to_template, frame)
    if reason:
        logger.warning("face at %s: its landmarks disagree with the detector (%s): framed by the detector's 5 "
                       "points instead", [round(value) for value in face.box], reason)
        to_template = frame
    matrix = faces.compose(faces.scale_shift(image_size / TEMPLATE_SIZE), to_template)
    return faces.AlignedFace(face, faces.warp(photo, matrix, (image_size, image_size)), matrix)


def model_alignment(image_size: int, crop_size: int, template: np.ndarray | None) -> dict:
    """How a model wants a photo's face framed: as CelebA-HQ when it has the mean landmarks, else CelebA's template
    (run.json's and the info signature's alignment)."""
    if template is None:
        return faces.alignment_description(image_size, crop_size)
    return alignment_description(image_size, template)


def alignment_description(image_size: int, template: np.ndarray) -> dict:
    """JSON-ready description of the chain photo -> model input (the CelebA template's is faces.alignment_description),
    for exports and run.json: a client can align without this code."""
    return {"method": "landmarks", "landmarks": "the face_landmarks signature: the 98 WFLW points of the FAN",
            "template_landmarks": np.asarray(template).tolist(), "template_size": [TEMPLATE_SIZE, TEMPLATE_SIZE],
            "first_frame": {"detector_points": list(faces.LANDMARKS), "template_indices": list(FIVE_POINTS),
                            "transform": "least-squares similarity; the face_landmarks signature reads this "
                                         "256 x 256 frame"},
            "transform": "centroid of the 98 points onto the template's; rotation of the axis (right eye centre - "
                         "left eye centre) - rot90(eye centre - mouth centre) onto the template's; scale: mean "
                         "ratio of the distances from the centroid of points 96, 97, 76 and 82",
            "coordinates": "pixels from the top-left corner of the top-left pixel (pixel centres at +0.5)",
            "image_size": image_size, "resize": "the template frame scaled by image_size / 256"}

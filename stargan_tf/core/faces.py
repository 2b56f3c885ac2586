"""Faces in people's photos: detection, CelebA-style alignment, the model's input crop and paste-back.

The chain for each face: photo -> aligned frame (a similarity transform taking the face's landmarks to a
template, as CelebA's img_align_celeba was made) -> the model's centred square crop of that frame -> resize to
S x S. `prepare_face` gives the model input and the 2x3 matrix of the whole chain; `paste_back` inverts it and
blends the translation into the photo at its own resolution; `translate_faces` does it all in one call.

Coordinates are pixels, x right, y down, origin at the top-left corner of the top-left pixel, so the pixel in
row i, column j has its centre at (j + 0.5, i + 0.5) (PIL's convention). "Left" means image left: left_eye is
the eye with the smaller x (the subject's right eye), as in mtcnn's keypoints and CelebA's landmark files.

CELEBA_TEMPLATE comes from align_face_celeba.m, "the face alignment method used in generating CelebA dataset",
published by CelebA's first author (Ziwei Liu) in https://github.com/liuziwei7/mobile-id (commit ba75483): a
MATLAB cp2tform 'nonreflective similarity' from the left eye, the right eye and the mouth centre (mean of the mouth
corners) to (70.745, 112), (108.237, 112), (89.432, 153.514) in a 178x218 frame, cubic interpolation,
replicated borders. Those are MATLAB's 1-based pixel-centre coordinates; the template holds them minus 0.5. The
nose is not used, as in CelebA. The means of list_landmarks_align_celeba.txt (about (69, 111), (107, 112),
nose (88, 135), mouth corners (71, 152) and (105, 152); no public source found stating them exactly) agree
with these points within 2 px.

Detection uses mtcnn (TensorFlow), imported only when a face is detected: pip install -e ".[faces]".
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable

import numpy as np
from PIL import Image

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
# Named points a template may use: the landmarks averaged to make each (mouth_center is CelebA's third point).
POINTS = {**{name: (index,) for index, name in enumerate(LANDMARKS)}, "mouth_center": (3, 4)}
SQUARE = 0  # crop size meaning "the largest centred square" (data.pipeline.SQUARE; this module imports no TensorFlow)


class FacesUnavailableError(ImportError):
    """Face detection was asked for but mtcnn is not installed."""


@dataclasses.dataclass(frozen=True, eq=False)
class Template:
    """Where named face points go in an aligned frame of size (width, height) pixels."""

    points: tuple[str, ...]
    coordinates: np.ndarray  # float [len(points), 2]
    size: tuple[int, int]


CELEBA_TEMPLATE = Template(("left_eye", "right_eye", "mouth_center"),
                           np.array([[70.245, 111.5], [107.737, 111.5], [88.932, 153.014]]), (178, 218))


@dataclasses.dataclass(frozen=True, eq=False)
class Face:
    """A detected face: box (x, y, width, height), detector confidence, landmarks float [5, 2] in LANDMARKS order."""

    box: tuple[float, float, float, float]
    confidence: float
    landmarks: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class AlignedFace:
    """A face as the model sees it: model_input uint8 [S,S,3] and matrix (2x3, photo -> model input coordinates)."""

    face: Face
    model_input: np.ndarray
    matrix: np.ndarray


def check_photo(photo: np.ndarray, name: str = "photo") -> None:
    """Raises ValueError unless photo is an RGB uint8 array [H, W, 3]."""
    if not isinstance(photo, np.ndarray) or photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        shape, dtype = getattr(photo, "shape", None), getattr(photo, "dtype", type(photo).__name__)
        raise ValueError(f"{name} must be an RGB uint8 array [H, W, 3], got shape {shape} dtype {dtype} "
                         f"(convert grayscale or RGBA photos first, e.g. PIL's Image.convert('RGB'))")


@functools.lru_cache(maxsize=1)
def default_detector():
    """The shared mtcnn.MTCNN detector (created once: building it loads its three networks' weights)."""
    try:
        from mtcnn import MTCNN
    except ImportError as error:
        raise FacesUnavailableError(f'face detection needs mtcnn: pip install -e ".[faces]" ({error})') from error
    return MTCNN()


def detect_faces(photo: np.ndarray, min_face_size: int = 40, max_faces: int | None = None,
                 detector=None) -> list[Face]:
    """Faces whose box's shorter side is at least min_face_size pixels, largest box area first, at most max_faces.

    detector: an mtcnn.MTCNN (or anything with its detect_faces); None uses default_detector().
    """
    check_photo(photo)
    detector = default_detector() if detector is None else detector
    # mtcnn's numpy rows: image index, x, y, width, height, confidence, the 5 landmark xs, then the 5 ys (its
    # JSON output rounds the landmarks to whole pixels). Its min_face_size stays at most its default 20: mtcnn
    # 1.0.0 counts pyramid levels without it, so larger values shrink the last levels below its network's input.
    rows = detector.detect_faces(photo, output_type="numpy", min_face_size=min(min_face_size, 20))
    faces = [Face(tuple(float(value) for value in row[1:5]), float(row[5]), np.stack([row[6:11], row[11:16]], 1))
             for row in np.asarray(rows, np.float64).reshape(-1, 16) if min(row[3], row[4]) >= min_face_size]
    faces.sort(key=lambda face: face.box[2] * face.box[3], reverse=True)
    return faces[:max_faces]


def estimate_similarity(src_points, dst_points) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, translation; no reflection) taking src to dst, least squares.

    Closed form (Umeyama's, in 2D): with both point sets centred, scale*cos and scale*sin of the rotation are
    sum(src . dst) / sum|src|^2 and sum(src x dst) / sum|src|^2.
    """
    src, dst = np.asarray(src_points, np.float64), np.asarray(dst_points, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f"need two matching point arrays [K >= 2, 2], got {src.shape} and {dst.shape}")
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    spread = (src_c ** 2).sum()
    if spread < 1e-12:
        raise ValueError("the source points coincide: no transform is defined")
    a = (src_c * dst_c).sum() / spread
    b = (src_c[:, 0] * dst_c[:, 1] - src_c[:, 1] * dst_c[:, 0]).sum() / spread
    rotation_scale = np.array([[a, -b], [b, a]])
    return np.concatenate([rotation_scale, (dst_mean - rotation_scale @ src_mean)[:, None]], 1)


def transform_points(matrix: np.ndarray, points) -> np.ndarray:
    """Points [K, 2] mapped by a 2x3 matrix."""
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def compose(*matrices: np.ndarray) -> np.ndarray:
    """The 2x3 matrix applying the given ones right to left (compose(a, b) is a after b)."""
    result = np.eye(3)
    for matrix in matrices:
        result = result @ np.vstack([matrix, [0.0, 0.0, 1.0]])
    return result[:2]


def invert(matrix: np.ndarray) -> np.ndarray:
    """The inverse of an invertible 2x3 affine matrix."""
    return np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]


def scale_shift(scale: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """The 2x3 matrix scaling by `scale`, then shifting by (dx, dy)."""
    return np.array([[scale, 0.0, dx], [0.0, scale, dy]])


def eye_line_angle(landmarks) -> float:
    """Degrees from horizontal of the line from the left eye to the right eye (landmarks [>= 2, 2], eyes first);
    positive when the right eye is lower."""
    (left_x, left_y), (right_x, right_y) = np.asarray(landmarks, np.float64)[:2]
    return math.degrees(math.atan2(right_y - left_y, right_x - left_x))


def _warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """image (uint8 [H,W,3]) warped by matrix (image -> output coordinates) to float32 [height, width, 3], unrounded.

    Samples beyond the image repeat its edge pixels (CelebA's 'replicate'), so no black border reaches the model.
    Reductions by 2x or more first average k x k blocks (Image.reduce) so that bicubic sampling does not alias.
    Channels are warped as floats: PIL's 8-bit bicubic truncates, darkening samples by half a level on average.
    """
    width, height = size
    to_image = invert(matrix)
    corners = transform_points(to_image, [[0, 0], [width, 0], [0, height], [width, height]])
    factor = max(1, int(1.0 / math.sqrt(abs(np.linalg.det(matrix[:, :2])))))
    margin = 2 * factor + 2  # The bicubic kernel reads 2 (reduced) pixels either side of a sample.
    left, top = np.floor(corners.min(0)).astype(int) - margin
    right, bottom = np.ceil(corners.max(0)).astype(int) + margin
    right, bottom = left + -(-(right - left) // factor) * factor, top + -(-(bottom - top) // factor) * factor
    rows = np.clip(np.arange(top, bottom), 0, image.shape[0] - 1)
    columns = np.clip(np.arange(left, right), 0, image.shape[1] - 1)
    region = image[rows[:, None], columns].astype(np.float32)
    # PIL wants output -> source coefficients; the source is the region, reduced.
    to_source = tuple(compose(scale_shift(1.0 / factor), scale_shift(1.0, -left, -top), to_image).ravel())
    channels = []
    for channel in range(3):
        source = Image.fromarray(np.ascontiguousarray(region[..., channel]))
        if factor > 1:
            source = source.reduce(factor)
        channels.append(np.asarray(source.transform(size, Image.AFFINE, to_source, resample=Image.BICUBIC)))
    return np.stack(channels, -1)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def warp(photo: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The photo (uint8 [H,W,3]) warped by matrix (photo -> output coordinates) to uint8 [height, width, 3]."""
    return _to_uint8(_warp(photo, matrix, size))


def alignment_matrix(face: Face, template: Template = CELEBA_TEMPLATE) -> np.ndarray:
    """The 2x3 similarity taking the face's template points (photo coordinates) to the template's."""
    points = np.stack([face.landmarks[list(POINTS[name])].mean(0) for name in template.points])
    return estimate_similarity(points, template.coordinates)


def align_face(photo: np.ndarray, face: Face, template: Template = CELEBA_TEMPLATE,
               output_size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(aligned uint8 [height, width, 3], 2x3 matrix photo -> aligned) with the face placed as in the template.

    output_size (width, height), default the template's: the template is scaled by output width / its width.
    """
    check_photo(photo)
    size = output_size or template.size
    matrix = compose(scale_shift(size[0] / template.size[0]), alignment_matrix(face, template))
    return warp(photo, matrix, size), matrix


def model_crop_box(aligned_size: tuple[int, int], crop_size: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the model's centred square crop of an aligned frame of size (width, height).

    As the training pipeline's tf.image.resize_with_crop_or_pad: offsets (size - crop) // 2, or a centred pad
    (negative offsets) when the crop is larger; crop_size SQUARE (0) is the largest square (178 for CelebA).
    """
    width, height = aligned_size
    crop = crop_size or min(width, height)
    left = (width - crop) // 2 if crop <= width else -((crop - width) // 2)
    top = (height - crop) // 2 if crop <= height else -((crop - height) // 2)
    return left, top, left + crop, top + crop


def alignment_description(image_size: int, crop_size: int, template: Template = CELEBA_TEMPLATE) -> dict:
    """JSON-ready description of the chain photo -> model input, for exports: a client can align without this code."""
    return {"points": list(template.points), "template_points": template.coordinates.tolist(),
            "template_size": list(template.size),
            "points_as_means": {name: [LANDMARKS[index] for index in POINTS[name]]
                                for name in template.points if len(POINTS[name]) > 1},
            "left": "image left: left_eye is the eye with the smaller x (the subject's right eye)",
            "coordinates": "pixels from the top-left corner of the top-left pixel (pixel centres at +0.5)",
            "transform": "least-squares similarity (rotation, uniform scale, translation) taking the photo's "
                         "points to template_points; bicubic, edge pixels repeated beyond the photo",
            "crop_box": list(model_crop_box(template.size, crop_size)), "image_size": image_size,
            "resize": "crop_box of the aligned frame resized to image_size x image_size (antialiased)"}


def prepare_face(photo: np.ndarray, face: Face, image_size: int, crop_size: int,
                 template: Template = CELEBA_TEMPLATE) -> AlignedFace:
    """The face as the model sees it: aligned, the model's crop taken, resized to image_size (as in training)."""
    check_photo(photo)
    left, top, right, _ = model_crop_box(template.size, crop_size)
    crop = right - left
    to_crop = compose(scale_shift(1.0, -left, -top), alignment_matrix(face, template))
    square = warp(photo, to_crop, (crop, crop))
    if crop != image_size:
        # PIL's bilinear resize widens its kernel when shrinking, like the pipeline's antialiased tf resize.
        square = np.asarray(Image.fromarray(square).resize((image_size, image_size), Image.BILINEAR))
    return AlignedFace(face, square, compose(scale_shift(image_size / crop), to_crop))


def paste_back(photo: np.ndarray, translated: np.ndarray, matrix: np.ndarray, feather: float = 0.1) -> np.ndarray:
    """The photo with translated (uint8 [S,S,3], in the model input's place given by matrix) blended in.

    The mask is 1 inside the model square and falls linearly to 0 at its edges over feather * S pixels (model
    input pixels); photo pixels whose centres map outside the square are returned unchanged, bit for bit.
    """
    check_photo(photo)
    check_photo(translated, "translated")
    size = translated.shape[0]
    if translated.shape[1] != size:
        raise ValueError(f"translated must be square, got {translated.shape}")
    if not 0 < feather <= 0.5:
        raise ValueError(f"feather={feather}: must be in (0, 0.5]")
    corners = transform_points(invert(matrix), [[0, 0], [size, 0], [0, size], [size, size]])
    left, top = np.maximum(np.floor(corners.min(0)).astype(int), 0)
    right, bottom = np.minimum(np.ceil(corners.max(0)).astype(int), [photo.shape[1], photo.shape[0]])
    output = photo.copy()
    if right <= left or bottom <= top:
        return output
    columns, rows = np.meshgrid(np.arange(left, right) + 0.5, np.arange(top, bottom) + 0.5)
    model_points = transform_points(matrix, np.stack([columns.ravel(), rows.ravel()], 1))
    edge_distance = np.minimum(model_points, size - model_points).min(1).reshape(columns.shape)
    mask = np.clip(edge_distance / (feather * size), 0.0, 1.0)
    inside = mask > 0
    warped = _warp(translated, compose(scale_shift(1.0, -left, -top), invert(matrix)), (right - left, bottom - top))
    region = output[top:bottom, left:right]
    weight = mask[inside][:, None]
    blended = region[inside] * (1.0 - weight) + warped[inside] * weight
    region[inside] = _to_uint8(blended)
    return output


def translate_faces(photo: np.ndarray, translate_fn: Callable[[np.ndarray], np.ndarray], image_size: int,
                    crop_size: int, min_face_size: int = 40, max_faces: int | None = None, detector=None,
                    template: Template = CELEBA_TEMPLATE, feather: float = 0.1) -> tuple[np.ndarray, list[AlignedFace]]:
    """(the photo with every detected face translated by translate_fn (uint8 [S,S,3] -> uint8 [S,S,3]), the faces).

    All model inputs are taken from the original photo, so overlapping faces do not see each other's translation.
    """
    faces = [prepare_face(photo, face, image_size, crop_size, template)
             for face in detect_faces(photo, min_face_size, max_faces, detector)]
    output = photo.copy()
    for aligned in faces:
        translated = translate_fn(aligned.model_input)
        if np.shape(translated) != aligned.model_input.shape:
            raise ValueError(f"translate_fn returned shape {np.shape(translated)}, "
                             f"expected {aligned.model_input.shape}")
        output = paste_back(output, translated, aligned.matrix, feather)
    return output, faces

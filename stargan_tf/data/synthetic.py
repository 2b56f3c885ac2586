"""Deterministic synthetic face-like images in the CelebA and RaFD on-disk formats.

Lets training run on a fresh machine without a dataset download while still exercising the real
loaders. Images are drawn with numpy + Pillow and saved as JPEG (quality 95; its artefacts are far
below the 32 px scale of the cues); the same seed always gives byte-identical files.
"""

from __future__ import annotations

import colorsys
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

logger = logging.getLogger("stargan_tf")

CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
    "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
    "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
    "Wearing_Necktie", "Young",
)
SYNTHETIC_CELEBA_ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
RAFD_EXPRESSIONS = (
    "angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised",
)

CELEBA_SIZE = (178, 218)  # (width, height) of aligned CelebA images
RAFD_SIZE = 256
JPEG_QUALITY = 95
NOISE_LEVEL = 3  # uniform per-pixel noise amplitude (8-bit levels)
MARKER_NAME = "COMPLETE"
_HAIR_COLOURS = {"Black_Hair": (28, 24, 24), "Blond_Hair": (236, 206, 96),
                 "Brown_Hair": (126, 72, 34)}
_BEARD = (58, 46, 40)
_BROW = (52, 38, 30)
_LIPS = (176, 70, 72)
_MOUTH_INSIDE = (90, 20, 28)
_TEETH = (245, 245, 240)
_PLAIN_CLOTHES = (70, 80, 110)


@dataclasses.dataclass(frozen=True)
class SyntheticData:
    """Locations of a generated synthetic CelebA + RaFD set."""

    celeba_image_dir: str
    attr_path: str
    rafd_image_dir: str
    root: str


class _Canvas:
    """An ImageDraw wrapper working in face-relative coordinates (origin = face centre)."""

    def __init__(self, img: Image.Image, cx: float, cy: float, scale: float):
        self.draw = ImageDraw.Draw(img)
        self.cx, self.cy, self.s = cx, cy, scale

    def pt(self, x, y):
        return (self.cx + x * self.s, self.cy + y * self.s)

    def box(self, x0, y0, x1, y1):
        return [*self.pt(x0, y0), *self.pt(x1, y1)]

    def width(self, w):
        return max(1, round(w * self.s))

    def ellipse(self, x0, y0, x1, y1, fill):
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill)

    def chord(self, x0, y0, x1, y1, start, end, fill):
        self.draw.chord(self.box(x0, y0, x1, y1), start, end, fill=fill)

    def arc(self, x0, y0, x1, y1, start, end, fill, w):
        self.draw.arc(self.box(x0, y0, x1, y1), start, end, fill=fill, width=self.width(w))

    def line(self, points, fill, w):
        """Thick polyline with round joints and caps, so strokes survive heavy downscaling."""
        pts = [self.pt(x, y) for x, y in points]
        width = self.width(w)
        self.draw.line(pts, fill=fill, width=width, joint="curve")
        r = width / 2
        for px, py in (pts[0], pts[-1]):
            self.draw.ellipse([px - r, py - r, px + r, py + r], fill=fill)

    def polygon(self, points, fill):
        self.draw.polygon([self.pt(x, y) for x, y in points], fill=fill)


def _hsv(h, s, v):
    """HSV in [0, 1] -> 8-bit RGB tuple."""
    return tuple(round(c * 255) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


def _shade(colour, factor):
    """Darken (factor < 1) or lighten (factor > 1) an RGB colour."""
    return tuple(int(min(255, c * factor)) for c in colour)


def _jitter(colour, rng, amount=12):
    """Small random perturbation of an RGB colour, so domains are not single exact colours."""
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in colour)


def _skin_tone(rng):
    """Random skin colour from light to dark brown."""
    t = rng.random()
    light, dark = np.array([242, 206, 178]), np.array([146, 98, 68])
    return _jitter(tuple((light + t * (dark - light)).astype(int)), rng, 8)


def _gradient_background(size, c0, c1, rng):
    """Linear gradient between two colours, vertical or horizontal at random."""
    w, h = size
    vertical = rng.random() < 0.5
    t = np.linspace(0.0, 1.0, h if vertical else w, dtype=np.float32)[:, None]
    ramp = ((1 - t) * np.array(c0, np.float32) + t * np.array(c1, np.float32)).astype(np.uint8)
    arr = np.broadcast_to(ramp[:, None] if vertical else ramp[None], (h, w, 3))
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


def _finish(img, rng, noise=NOISE_LEVEL):
    """Add mild uniform pixel noise in [-noise, noise]; returns a new uint8 RGB image."""
    shape = (img.height, img.width, 3)
    arr = np.asarray(img, dtype=np.int16) + rng.integers(-noise, noise + 1, shape, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _save_jpeg(img, path):
    """Save with fixed settings so identical pixels give identical bytes."""
    img.save(path, format="JPEG", quality=JPEG_QUALITY, subsampling="4:2:0")


def _draw_head(c, skin, hair, clothes, hair_w, hair_h, face_rx, face_ry, fringe_y):
    """Shoulders, neck, hair mass, face oval and a straight fringe leaving the forehead bare."""
    c.ellipse(-hair_w, -hair_h, hair_w, 0.45 * face_ry, hair)
    c.ellipse(-1.7 * face_rx, 1.1 * face_ry, 1.7 * face_rx, 3.0 * face_ry, clothes)
    neck_top, neck_w = 0.6 * face_ry, 0.42 * face_rx
    c.draw.rectangle(c.box(-neck_w, neck_top, neck_w, 1.3 * face_ry), fill=_shade(skin, 0.9))
    c.ellipse(-face_rx, -face_ry, face_rx, face_ry, skin)
    # Fringe: top half of an ellipse whose centre line is the fringe's straight lower edge.
    c.chord(-1.08 * face_rx, -hair_h, 1.08 * face_rx, 2 * fringe_y + hair_h, 180, 360, hair)


def _draw_eyes(c, dx, y, rx, ry, iris_r, skin):
    """Two almond eyes at x = +-dx with dark irises; ry controls how open they look."""
    for x in (-dx, dx):
        c.ellipse(x - rx, y - ry, x + rx, y + ry, _TEETH)
        r = min(iris_r, ry)
        c.ellipse(x - iris_r, y - r, x + iris_r, y + r, (40, 30, 25))
        c.arc(x - rx, y - ry, x + rx, y + ry, 180, 360, _shade(skin, 0.5), 1.5)


# ----------------------------------------------------------------------------- CelebA


def _draw_celeba_face(rng, hair_attr, male, young):
    """One 178x218 face; hair colour, beard (Male) and wrinkles (not Young) are the cues."""
    w, h = CELEBA_SIZE
    bg_h = rng.uniform(0.25, 0.92)  # avoid the yellow/orange/brown hues of the hair classes
    bg0 = _hsv(bg_h, rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.95))
    bg1 = _hsv(bg_h + rng.uniform(-0.08, 0.08), rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.95))
    img = _gradient_background(CELEBA_SIZE, bg0, bg1, rng)
    c = _Canvas(img, w / 2 + rng.uniform(-6, 6), h / 2 + rng.uniform(-6, 6),
                1.12 * rng.uniform(0.9, 1.1))
    skin = _skin_tone(rng)
    hair = _jitter(_HAIR_COLOURS[hair_attr], rng)
    clothes = _hsv(rng.random(), rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.9))
    _draw_head(c, skin, hair, clothes, hair_w=68, hair_h=84, face_rx=50, face_ry=64, fringe_y=-46)

    if male:  # full beard over the jaw and a moustache
        t = np.radians(np.linspace(12, 168, 24))
        jaw = [(50 * np.cos(a), 64 * np.sin(a)) for a in t]
        c.polygon(jaw + [(-36, 14), (-12, 20), (12, 20), (36, 14)], _jitter(_BEARD, rng, 8))
        c.line([(-22, 29), (0, 24), (22, 29)], _jitter(_BEARD, rng, 8), 8)
    if not young:  # forehead wrinkles, eye bags and cheek folds, drawn in darkened skin
        fold = _shade(skin, 0.5)
        for y in (-39, -31, -23):
            c.arc(-30, y - 6, 30, y + 6, 200, 340, fold, 4)
        for sx in (-1, 1):
            c.arc(sx * 20 - 12, -2, sx * 20 + 12, 14, 20, 160, fold, 4)
            c.line([(sx * 14, 12), (sx * 24, 32)], fold, 4)

    _draw_eyes(c, 20, -4, 10, 5.5, 4.5, skin)
    brow_w = 7 if male else 3
    for sx in (-1, 1):
        c.line([(sx * 9, -15), (sx * 20, -19), (sx * 31, -15)], _BROW, brow_w)
    c.line([(0, -2), (-5, 17), (3, 19)], _shade(skin, 0.7), 3)
    c.line([(-15, 35), (0, 37), (15, 35)], _jitter(_LIPS, rng, 10), 5)
    return _finish(img, rng)


def _celeba_attr_row(hair_attr, male, young):
    """The 40 CelebA +/-1 values consistent with what was drawn."""
    on = {hair_attr} | ({"Male", "Mustache", "Bushy_Eyebrows"} if male else {"No_Beard"})
    if young:
        on.add("Young")
    else:
        on.add("Bags_Under_Eyes")
    return [1 if name in on else -1 for name in CELEBA_ATTRIBUTES]


def write_celeba(root, num_images, seed=0):
    """Write num_images CelebA-style images and list_attr_celeba.txt under root.

    Hair colour is a balanced permutation of the three classes; Male and Young are independent
    coin flips. Returns (image_dir, attr_path).
    """
    root = Path(root)
    image_dir = root / "images"
    image_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    hair_names = SYNTHETIC_CELEBA_ATTRS[:3]
    hair_idx = rng.permutation(np.arange(num_images) % 3)
    male = rng.random(num_images) < 0.5
    young = rng.random(num_images) < 0.5
    sub_seeds = rng.integers(0, 2**63, size=num_images)
    lines = [str(num_images), " ".join(CELEBA_ATTRIBUTES)]
    for i in range(num_images):
        name = f"{i + 1:06d}.jpg"
        hair = hair_names[hair_idx[i]]
        img = _draw_celeba_face(np.random.default_rng(sub_seeds[i]), hair, male[i], young[i])
        _save_jpeg(img, image_dir / name)
        values = _celeba_attr_row(hair, male[i], young[i])
        lines.append(name + " " + " ".join(f"{v:2d}" for v in values))
    attr_path = root / "list_attr_celeba.txt"
    attr_path.write_text("\n".join(lines) + "\n")
    return str(image_dir), str(attr_path)


# ----------------------------------------------------------------------------- RaFD

# Per expression: brow (inner_y, outer_y) for the left and right brow, eye half-height, mouth.
_EXPRESSION_FACES = {
    "angry": dict(brows=((-18, -46), (-18, -46)), eye_ry=5, mouth="clenched"),
    "contemptuous": dict(brows=((-32, -36), (-46, -50)), eye_ry=8, mouth="smirk"),
    "disgusted": dict(brows=((-24, -26), (-24, -26)), eye_ry=4, mouth="snarl"),
    "fearful": dict(brows=((-54, -38), (-54, -38)), eye_ry=14, mouth="stretched"),
    "happy": dict(brows=((-34, -38), (-34, -38)), eye_ry=7, mouth="smile"),
    "neutral": dict(brows=((-33, -33), (-33, -33)), eye_ry=9, mouth="straight"),
    "sad": dict(brows=((-50, -26), (-50, -26)), eye_ry=6, mouth="frown"),
    "surprised": dict(brows=((-58, -58), (-58, -58)), eye_ry=14, mouth="o"),
}


def _draw_mouth(c, kind, lips, skin):
    """Big, thick mouth shapes (centre y = 50) that stay distinct after downscaling to 32 px."""
    if kind == "straight":
        c.line([(-30, 50), (30, 50)], lips, 9)
    elif kind == "clenched":  # bared, clenched teeth framed by tense lips
        c.draw.rounded_rectangle(c.box(-36, 36, 36, 64), radius=c.width(10), fill=lips)
        c.draw.rectangle(c.box(-28, 42, 28, 58), fill=_TEETH)
        c.line([(-28, 50), (28, 50)], _MOUTH_INSIDE, 2)
    elif kind == "smirk":  # one corner pulled up and back
        c.line([(-30, 54), (4, 54), (24, 44), (36, 30)], lips, 11)
        c.arc(30, 18, 54, 56, 110, 230, _shade(skin, 0.55), 5)
    elif kind == "smile":  # open D-shaped grin with teeth
        c.chord(-40, 14, 40, 76, 0, 180, _MOUTH_INSIDE)
        c.draw.rectangle(c.box(-34, 44, 34, 54), fill=_TEETH)
        c.arc(-40, 14, 40, 76, 0, 180, lips, 5)
    elif kind == "frown":
        c.arc(-38, 42, 38, 92, 195, 345, lips, 12)
    elif kind == "o":  # tall round open mouth
        c.ellipse(-19, 26, 19, 78, lips)
        c.ellipse(-13, 32, 13, 72, _MOUTH_INSIDE)
    elif kind == "stretched":  # wide, tense open mouth showing both rows of teeth
        c.ellipse(-40, 38, 40, 66, lips)
        c.ellipse(-35, 42, 35, 62, _MOUTH_INSIDE)
        c.draw.rectangle(c.box(-26, 43, 26, 47), fill=_TEETH)
        c.draw.rectangle(c.box(-26, 57, 26, 61), fill=_TEETH)
    elif kind == "snarl":  # raised, jagged upper lip; nose wrinkles
        c.polygon([(-32, 56), (-18, 38), (-6, 48), (6, 38), (18, 48), (32, 56),
                   (18, 64), (-18, 64)], _MOUTH_INSIDE)
        c.line([(-32, 56), (-18, 38), (-6, 48), (6, 38), (18, 48), (32, 56)], lips, 6)
        for sx in (-1, 1):
            c.line([(sx * 8, -2), (sx * 20, 8)], _shade(skin, 0.55), 5)
            c.line([(sx * 8, 8), (sx * 20, 18)], _shade(skin, 0.55), 5)
    else:
        raise ValueError(f"unknown mouth {kind!r}")


def _draw_rafd_face(rng, expression, hair=None, plain: bool = False):
    """One 256x256 frontal face whose brows, eyes and mouth encode the expression (hair colour random if None)."""
    return draw_placed_face(rng, expression, hair, plain)[0]


def draw_placed_face(rng, expression, hair=None, plain: bool = False):
    """(_draw_rafd_face's image, (x, y, scale) of its face-relative drawing frame): where the face's points are.

    plain: a light grey background and one clothes colour (slightly jittered), instead of random colours for both.
    """
    spec = _EXPRESSION_FACES[expression]
    if plain:
        bg0 = _hsv(rng.random(), rng.uniform(0.0, 0.05), rng.uniform(0.75, 0.9))
        bg1 = _jitter(bg0, rng, 10)
    else:
        bg0 = _hsv(rng.random(), rng.uniform(0.0, 0.4), rng.uniform(0.5, 1.0))
        bg1 = _jitter(bg0, rng, 40)
    img = _gradient_background((RAFD_SIZE, RAFD_SIZE), bg0, bg1, rng)
    c = _Canvas(img, RAFD_SIZE / 2 + rng.uniform(-8, 8), RAFD_SIZE / 2 + 2 + rng.uniform(-8, 8),
                1.1 * rng.uniform(0.9, 1.08))
    skin = _skin_tone(rng)
    if hair is None:
        hair = _hsv(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.1, 0.9))
    if plain:
        clothes = _jitter(_PLAIN_CLOTHES, rng, 10)
    else:
        clothes = _hsv(rng.random(), rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.9))
    _draw_head(c, skin, hair, clothes, hair_w=94, hair_h=110, face_rx=70, face_ry=90,
               fringe_y=-64)

    _draw_eyes(c, 28, -12, 16, spec["eye_ry"], 7, skin)
    for sx, (inner, outer) in zip((-1, 1), spec["brows"]):
        c.line([(sx * 10, inner), (sx * 42, outer)], _BROW, 11)
    c.line([(0, -6), (-7, 24), (4, 26)], _shade(skin, 0.7), 4)
    _draw_mouth(c, spec["mouth"], _jitter(_LIPS, rng, 10), skin)
    return _finish(img, rng), (c.cx, c.cy, c.s)


def write_rafd(root, num_per_class, seed=0):
    """Write num_per_class images for each of the 8 expressions as root/<expression>/<i>.jpg.

    Returns the image directory (root), whose sub-folder names are the class labels.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    sub_seeds = rng.integers(0, 2**63, size=(len(RAFD_EXPRESSIONS), num_per_class))
    for k, expression in enumerate(RAFD_EXPRESSIONS):
        folder = root / expression
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(num_per_class):
            img = _draw_rafd_face(np.random.default_rng(sub_seeds[k, i]), expression)
            _save_jpeg(img, folder / f"{i:05d}.jpg")
    return str(root)


# ----------------------------------------------------------------------------- cache


def default_cache_base():
    """$STARGAN_TF_CACHE if set, else ~/.cache/stargan_tf."""
    env = os.environ.get("STARGAN_TF_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "stargan_tf"


def _layout(root):
    """The SyntheticData paths for a set rooted at root."""
    root = Path(root)
    return SyntheticData(celeba_image_dir=str(root / "celeba" / "images"),
                         attr_path=str(root / "celeba" / "list_attr_celeba.txt"),
                         rafd_image_dir=str(root / "rafd"), root=str(root))


def _remove_stale_temp_dirs(base, name, max_age_s=3600.0):
    """Delete temporary directories left by killed runs (a live run finishes in well under this)."""
    for path in base.glob(f".{name}.tmp-*"):
        try:
            stale = time.time() - path.stat().st_mtime > max_age_s
        except FileNotFoundError:  # removed by a concurrent run
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def ensure_synthetic_data(cache_dir=None, celeba_images=4000, rafd_per_class=250, seed=0):
    """Return the synthetic CelebA + RaFD set, generating it only if no complete copy exists.

    The set lives in <cache_dir>/synthetic-v1-seed{seed}-c{celeba_images}-r{rafd_per_class},
    cache_dir defaulting to $STARGAN_TF_CACHE or ~/.cache/stargan_tf (written by build_once).
    """
    base = Path(cache_dir) if cache_dir is not None else default_cache_base()
    root = base / f"synthetic-v1-seed{seed}-c{celeba_images}-r{rafd_per_class}"

    def write(tmp):
        write_celeba(tmp / "celeba", celeba_images, seed=seed)
        write_rafd(tmp / "rafd", rafd_per_class, seed=seed + 1)

    build_once(root, write, f"{celeba_images} CelebA + {rafd_per_class * len(RAFD_EXPRESSIONS)} RaFD images")
    return _layout(root)


def build_once(root, write, description: str) -> None:
    """Creates a cached data set at root with write(tmp_dir) unless a complete copy exists.

    It is written in a temporary sibling directory, the marker file is written last, and the directory is
    then renamed into place, so a killed or concurrent run never leaves a half-written set that looks complete.
    """
    root = Path(root)
    if (root / MARKER_NAME).is_file():
        logger.info("Reusing synthetic data at %s", root)
        return
    base = root.parent
    base.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(base, root.name)
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=base))
    try:
        write(tmp)
        (tmp / MARKER_NAME).write_text(description + "\n")
        if root.exists() and not (root / MARKER_NAME).is_file():
            logger.info("Removing incomplete synthetic data at %s", root)
            shutil.rmtree(root, ignore_errors=True)
        try:
            os.replace(tmp, root)
        except OSError:  # a concurrent run finished first; its copy is identical
            if not (root / MARKER_NAME).is_file():
                raise
            logger.info("Synthetic data at %s was created concurrently; reusing it", root)
            return
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("Created synthetic data at %s (%s) in %.1f s", root, description, time.monotonic() - start)

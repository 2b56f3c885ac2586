"""A synthetic data set for StarGAN v2 in the AFHQ / CelebA-HQ layout (root/{train,val}/<domain>/*.jpg).

Each domain is a facial expression (its brows, eyes and mouth: the shape a translation must change) and
each image has one of several hair-colour styles (what a style code should carry), so a model's outputs can
be checked for both the target domain and diversity. Drawn with the v1 synthetic faces' helpers; the file
name ends with the style name.

Backgrounds are light grey and the clothes one colour: with the v1 set's random background and clothes colours,
a style is free to be any tint (real ones, so D accepts them), and StarGAN v2's diversity settles on the
background instead of the hair (style transfer accuracy at chance, 24.6%, in the quick preset). With only the
hair colour left to vary besides skin tone, the same training transfers a reference's hair colour (100%).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from stargan_tf.data.synthetic import default_cache_base, _draw_rafd_face, _jitter, _save_jpeg, build_once

DOMAINS = ("happy", "sad", "surprised")
HAIR_STYLES = {"black": (28, 24, 24), "blond": (236, 206, 96), "red": (178, 52, 30), "blue": (50, 90, 200)}


def write_domains(root, train_per_domain: int, val_per_domain: int, seed: int = 0) -> str:
    """Writes root/train/<domain>/<i>-<style>.jpg and root/val/...; styles cycle evenly. Returns root."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    styles = list(HAIR_STYLES)
    for split, count in (("train", train_per_domain), ("val", val_per_domain)):
        sub_seeds = rng.integers(0, 2**63, size=(len(DOMAINS), count))
        for k, domain in enumerate(DOMAINS):
            folder = root / split / domain
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                style = styles[i % len(styles)]
                image_rng = np.random.default_rng(sub_seeds[k, i])
                image = _draw_rafd_face(image_rng, domain, hair=_jitter(HAIR_STYLES[style], image_rng), plain=True)
                _save_jpeg(image, folder / f"{i:05d}-{style}.jpg")
    return str(root)


def ensure_synthetic_domains(cache_dir=None, train_per_domain: int = 400, val_per_domain: int = 40,
                             seed: int = 0) -> str:
    """The cached synthetic v2 set (created once, like the v1 set): returns its root with train/ and val/."""
    base = Path(cache_dir) if cache_dir else default_cache_base()
    root = base / f"synthetic-v2-plain-seed{seed}-t{train_per_domain}-v{val_per_domain}"
    build_once(root, lambda tmp: write_domains(tmp, train_per_domain, val_per_domain, seed),
               f"{len(DOMAINS)} domains x {len(HAIR_STYLES)} styles, {train_per_domain} train + {val_per_domain} "
               f"val images per domain")
    return str(root)

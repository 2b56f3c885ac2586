"""Serving a StarGAN v2 run: its moving-average networks behind latent- and reference-guided signatures.

The SavedModel, TFLite conversion, warm-up requests and parity are stargan_tf.core.export's; this module supplies
what is StarGAN v2's: the signatures, their checks, the description a client reads (info), the inputs to compare on.
"""
from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

import numpy as np
import tensorflow as tf

from stargan_tf.core.export import (SQUARE, constants, encoded_photos, png_bytes, require_same_batch, require_shape,
                                    run_per_example, served_images, served_photo_bytes, served_photos,
                                    tflite_signature, to_uint8)
from stargan_tf.data.domains import read_domain_data, sample_batch
from stargan_tf.families.stargan_v2 import fan, landmark_alignment
from stargan_tf.families.stargan_v2.config import StarGANv2Config
from stargan_tf.families.stargan_v2.model import StarGANv2

MODEL_NAME = StarGANv2Config.model_name
LATENT, REFERENCE = "latent_guided", "reference_guided"
LANDMARKS = "face_landmarks"


@dataclasses.dataclass(frozen=True)
class StyleServingModel:
    """A StarGAN v2 model's moving-average networks with what serving them needs; its methods are the signatures.

    serving_default is latent_guided under the name TF Serving clients use when they name no signature: the
    mode that needs nothing but the photo and a latent code the client draws.
    """

    model: StarGANv2
    crop_size: int = SQUARE
    landmark_template: np.ndarray | None = None  # [98, 2]: faces are framed as CelebA-HQ (landmark_alignment)

    file_prefix: ClassVar[str] = MODEL_NAME
    description_file: ClassVar[str] = "info.json"
    float_signatures: ClassVar[dict] = {LATENT: LATENT + "_float", REFERENCE: REFERENCE + "_float"}

    @property
    def image_size(self) -> int:
        return self.model.config.image_size

    @property
    def domains(self) -> tuple[str, ...]:
        return self.model.domains

    @property
    def tracked(self) -> list:
        """G, F and E moving averages: the SavedModel holds neither the trained copies nor D."""
        return list(self.model.ema_networks)

    def _domain(self, domain):
        """int32 [N] target domains, failing at run time with the valid indices when one is out of range."""
        names = ", ".join(f"{index} {name}" for index, name in enumerate(self.domains))
        domain = require_shape(domain, "domain", [None], f"int32 target domain indices: {names}")
        in_range = tf.reduce_all((domain >= 0) & (domain < len(self.domains)))
        check = tf.debugging.Assert(in_range, [f"domain: expected indices in [0, {len(self.domains)}) ({names}); "
                                               f"got", domain], summarize=16)
        with tf.control_dependencies([check]):
            return tf.identity(domain)

    def _z(self, z):
        return require_shape(z, "z", [None, self.model.config.latent_dim], "float32 latent codes, standard normal")

    def _latent(self, x_real, domain, z, suffix: str = ""):
        """suffix: of the image input's name in errors ('_bytes' for the *_bytes signatures)."""
        domain, z = self._domain(domain), self._z(z)
        x_real = require_same_batch({"image" + suffix: x_real, "domain": domain, "z": z})
        return self.model.latent_guided(x_real, domain, z)

    def _reference(self, x_real, x_ref, domain, suffix: str = ""):
        domain = self._domain(domain)
        x_real = require_same_batch({"image" + suffix: x_real, "reference" + suffix: x_ref, "domain": domain})
        return self.model.reference_guided(x_real, x_ref, domain)

    def _photo_bytes(self, image_bytes, name: str):
        return served_photo_bytes(image_bytes, name, self.crop_size, self.image_size)

    def latent_guided(self, image, domain, z):
        """uint8 photos [N,H,W,3], target domains int32 [N], z [N, latent_dim] -> {"translated": uint8 [N,S,S,3]}."""
        x_real = served_photos(image, "image", self.crop_size, self.image_size)
        return {"translated": to_uint8(self._latent(x_real, domain, z))}

    def reference_guided(self, image, reference, domain):
        """uint8 photos and references [N,H,W,3] (any sizes), the references' domains int32 [N] -> uint8 [N,S,S,3]:
        each photo in its reference's domain, with the reference's style."""
        x_real = served_photos(image, "image", self.crop_size, self.image_size)
        x_ref = served_photos(reference, "reference", self.crop_size, self.image_size)
        return {"translated": to_uint8(self._reference(x_real, x_ref, domain))}

    def latent_guided_bytes(self, image_bytes, domain, z):
        """latent_guided on encoded photos string [N] (JPEG, PNG, ...; REST: {"b64": ...}) -> {"translated_bytes":
        string [N] of PNG files at S x S}."""
        x_real = self._photo_bytes(image_bytes, "image_bytes")
        return {"translated_bytes": png_bytes(to_uint8(self._latent(x_real, domain, z, "_bytes")))}

    def reference_guided_bytes(self, image_bytes, reference_bytes, domain):
        """reference_guided on encoded photos and references string [N] -> {"translated_bytes": PNG files [N]}."""
        x_real = self._photo_bytes(image_bytes, "image_bytes")
        x_ref = self._photo_bytes(reference_bytes, "reference_bytes")
        return {"translated_bytes": png_bytes(to_uint8(self._reference(x_real, x_ref, domain, "_bytes")))}

    def latent_guided_float(self, image, domain, z):
        """latent_guided on float32 [N,S,S,3] in [-1,1] preprocessed by the client -> float32 [-1,1]."""
        return {"translated": self._latent(served_images(image, "image", self.image_size), domain, z)}

    def reference_guided_float(self, image, reference, domain):
        """reference_guided on float32 images and references [N,S,S,3] in [-1,1] -> float32 [-1,1]."""
        return {"translated": self._reference(served_images(image, "image", self.image_size),
                                              served_images(reference, "reference", self.image_size), domain)}

    def face_landmarks(self, image):
        """uint8 photos [N,H,W,3] -> {"landmarks": float32 [N,98,2]}: the FAN's (x, y) landmarks in the photos' pixels
        (official get_landmark; only models with the face-landmark network have it)."""
        image = require_shape(image, "image", [None, None, None, 3], "uint8 photos [N,H,W,3]")
        return {"landmarks": fan.landmarks(self.model.fan, image)}

    def description(self) -> dict:
        """What a client needs without our code: the info signature's outputs and info.json."""
        config = self.model.config
        return {"model": MODEL_NAME, "domains": list(self.domains), "image_size": self.image_size,
                "crop_size": self.crop_size, "latent_dim": config.latent_dim, "style_dim": config.style_dim,
                "alignment": json.dumps(landmark_alignment.model_alignment(self.image_size, self.crop_size,
                                                                           self.landmark_template))}

    def info(self):
        """info: no input -> model family, domain names (index order), image_size, crop_size, latent_dim, style_dim and
        alignment (JSON: how to align a photo's face before cropping, landmark_alignment.model_alignment)."""
        return constants(self.description())

    def _specs(self, batch, dtype, shape, suffix: str = ""):
        """Input specs of both modes; images of `shape` per example, named image<suffix> and reference<suffix>."""
        latent_dim = self.model.config.latent_dim
        image = tf.TensorSpec([batch] + shape, dtype, name="image" + suffix)
        domain = tf.TensorSpec([batch], tf.int32, name="domain")
        return {LATENT: [image, domain, tf.TensorSpec([batch, latent_dim], tf.float32, name="z")],
                REFERENCE: [image, tf.TensorSpec([batch] + shape, dtype, name="reference" + suffix), domain]}

    def endpoints(self) -> dict:
        """{signature name: (function, input signature)}."""
        size = self.image_size
        photos = self._specs(None, tf.uint8, [None, None, 3])
        floats = self._specs(None, tf.float32, [size, size, 3])
        encoded = self._specs(None, tf.string, [], "_bytes")
        return {"serving_default": (self.latent_guided, photos[LATENT]),
                LATENT: (self.latent_guided, photos[LATENT]),
                REFERENCE: (self.reference_guided, photos[REFERENCE]),
                LATENT + "_float": (self.latent_guided_float, floats[LATENT]),
                REFERENCE + "_float": (self.reference_guided_float, floats[REFERENCE]),
                LATENT + "_bytes": (self.latent_guided_bytes, encoded[LATENT]),
                REFERENCE + "_bytes": (self.reference_guided_bytes, encoded[REFERENCE]),
                "info": (self.info, []),
                **({LANDMARKS: (self.face_landmarks, [tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")])}
                   if self.model.fan is not None else {})}

    def tflite_endpoints(self) -> dict:
        """{TFLite signature: (function, input signature at batch 1)}: the networks on float32 images in [-1,1]
        (no checks: TFLite has no Assert op; TFLiteStyleTranslator checks domains)."""
        size = self.image_size
        specs = self._specs(1, tf.float32, [size, size, 3])
        return {LATENT: (lambda image, domain, z: {"translated": self.model.latent_guided(image, domain, z)},
                         specs[LATENT]),
                REFERENCE: (lambda image, reference, domain: {
                    "translated": self.model.reference_guided(image, reference, domain)}, specs[REFERENCE])}

    def example_inputs(self, count: int) -> dict:
        """Seeded noise photos, rotating domains and normal z: {TFLite signature: inputs} for parity or warm-up."""
        rng, size = np.random.default_rng(0), self.image_size
        images = rng.uniform(-1, 1, [2, count, size, size, 3]).astype(np.float32)
        domains = (np.arange(count) % len(self.domains)).astype(np.int32)
        z = rng.standard_normal([count, self.model.config.latent_dim]).astype(np.float32)
        return {LATENT: {"image": images[0], "domain": domains, "z": z},
                REFERENCE: {"image": images[0], "reference": images[1], "domain": domains}}

    def warmup_inputs(self) -> dict:
        """{signature name: inputs} of one small request per translating signature, for TF Serving warm-up."""
        floats, size = self.example_inputs(1), self.image_size
        photo = np.full([1, size, size, 3], 128, np.uint8)
        latent, reference = {**floats[LATENT], "image": photo}, {**floats[REFERENCE], "image": photo, "reference": photo}
        encoded = encoded_photos(photo)
        return {"serving_default": latent, LATENT: latent, REFERENCE: reference,
                LATENT + "_float": floats[LATENT], REFERENCE + "_float": floats[REFERENCE],
                LATENT + "_bytes": {"image_bytes": encoded, "domain": latent["domain"], "z": latent["z"]},
                REFERENCE + "_bytes": {"image_bytes": encoded, "reference_bytes": encoded,
                                       "domain": reference["domain"]},
                **({LANDMARKS: {"image": photo}} if self.model.fan is not None else {})}

    def parity_feeds(self, parity_inputs: dict) -> dict:
        """parity_inputs is already {TFLite signature: inputs} (sample_inputs, example_inputs)."""
        return parity_inputs

    def representative_dataset(self, calibration: dict):
        """The converter's calibration samples, one example at a time, from {TFLite signature: batched inputs}."""
        def samples():
            for signature, inputs in calibration.items():
                for i in range(len(next(iter(inputs.values())))):
                    yield signature, {name: value[i:i + 1] for name, value in inputs.items()}
        return samples


def sample_inputs(config: StarGANv2Config, count: int, split: str = "val", num_domains: int = 0) -> dict:
    """{TFLite signature: inputs} from the run's images (split 'val' or 'train'): for calibration and parity.

    The images are the first of each domain in turn; each is translated to the next domain (latent, seeded z)
    and with the style of the next image (reference, whose own domain is the target). num_domains: the model's
    (default: the data's), which an imported model without its training data may not share with the images.
    """
    data = read_domain_data(config.train_img_dir, config.val_img_dir, verify_images=False)
    files = data.val if split == "val" else data.train
    images, domains = sample_batch(files, -(-count // len(data.layout.names)), config.image_size)
    rank = np.array([np.sum(domains[:i] == domain) for i, domain in enumerate(domains)])
    order = np.lexsort((domains, rank))[:count]  # domains interleaved: 0, 1, 2, 0, 1, 2, ...
    images, domains = images[order], domains[order]
    references = np.roll(np.arange(len(images)), -1)
    z = np.random.default_rng(config.seed).standard_normal([len(images), config.latent_dim]).astype(np.float32)
    num_domains = num_domains or len(data.layout.names)
    return {LATENT: {"image": images, "domain": (domains + 1) % num_domains, "z": z},
            REFERENCE: {"image": images, "reference": images[references], "domain": domains[references] % num_domains}}


class TFLiteStyleTranslator:
    """Runs a StarGAN v2 TFLite model one example at a time (its shapes are fixed at batch 1)."""

    def __init__(self, model_content: bytes, num_domains: int, num_threads: int | None = None):
        self.num_domains = num_domains
        self.runners = {mode: tflite_signature(model_content, mode, num_threads) for mode in (LATENT, REFERENCE)}

    def _domain(self, domain) -> np.ndarray:
        domain = np.asarray(domain, np.int32)
        bad = domain[(domain < 0) | (domain >= self.num_domains)]
        if bad.size:
            raise ValueError(f"domain: expected indices in [0, {self.num_domains}); got {bad.tolist()}")
        return domain

    def latent_guided(self, images, domain, z) -> np.ndarray:
        """float32 [N,S,S,3] in [-1,1], int [N], [N, latent_dim] -> float32 [N,S,S,3]."""
        return run_per_example(self.runners[LATENT], image=np.asarray(images, np.float32),
                               domain=self._domain(domain), z=np.asarray(z, np.float32))

    def reference_guided(self, images, references, domain) -> np.ndarray:
        """float32 images and references [N,S,S,3] in [-1,1], the references' domains int [N] -> float32."""
        return run_per_example(self.runners[REFERENCE], image=np.asarray(images, np.float32),
                               reference=np.asarray(references, np.float32), domain=self._domain(domain))

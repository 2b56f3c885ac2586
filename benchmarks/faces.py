"""Time per 512x512 photo (scikit-image's astronaut, one face) of each step of stargan_tf.core.faces.

Steps: detection (mtcnn, the cached detector), alignment (photo -> the model's S x S input: prepare_face),
paste-back (the translation blended back at the photo's resolution) and the whole translate_faces call with a
colour-inverting stand-in for the model. Medians of --runs calls after --warmup calls; prints and writes JSON.

    PYTHONPATH=. python benchmarks/faces.py [--runs=20] [--image_size=128] [--crop_size=178]
"""
import os
from importlib.metadata import version

from absl import app, flags
from skimage import data

import host
from stargan_tf.core import faces

flags.DEFINE_integer("runs", 20, "timed calls per step")
flags.DEFINE_integer("warmup", 3, "untimed calls per step first (the detector's first calls trace its networks)")
flags.DEFINE_integer("image_size", 128, "model input size S")
flags.DEFINE_integer("crop_size", 178, "the model's crop of the 178x218 aligned frame")
FLAGS = flags.FLAGS
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "faces.json")


def median_seconds(function) -> float:
    return host.median_seconds(function, FLAGS.runs, FLAGS.warmup)


def main(argv):
    del argv
    machine = host.machine()
    photo = data.astronaut()
    detector = faces.default_detector()
    (face,) = faces.detect_faces(photo, detector=detector)
    aligned = faces.prepare_face(photo, face, FLAGS.image_size, FLAGS.crop_size)
    translated = 255 - aligned.model_input
    medians = {
        "detection": median_seconds(lambda: faces.detect_faces(photo, detector=detector)),
        "alignment": median_seconds(lambda: faces.prepare_face(photo, face, FLAGS.image_size, FLAGS.crop_size)),
        "paste_back": median_seconds(lambda: faces.paste_back(photo, translated, aligned.matrix)),
        "translate_faces": median_seconds(lambda: faces.translate_faces(
            photo, lambda image: 255 - image, FLAGS.image_size, FLAGS.crop_size, detector=detector)),
    }
    result = {"benchmark": "faces", "photo": "skimage.data.astronaut() 512x512, one face",
              "image_size": FLAGS.image_size, "crop_size": FLAGS.crop_size, "runs": FLAGS.runs,
              "warmup": FLAGS.warmup, "median_seconds": medians, "mtcnn": version("mtcnn"),
              "machine": machine}
    host.write_medians(result, RESULTS)


if __name__ == "__main__":
    app.run(main)

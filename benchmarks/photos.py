"""Time per 512x512 photo (scikit-image's astronaut, one face) of translating it with its face aligned, by step.

Steps: detection (mtcnn), alignment (the model input: prepare_face), translation (the model's serving signature on
the aligned face, one target), paste-back (at the photo's resolution), and the whole translate_photos call with
--align=auto and --edit=+Blond_Hair (read, detect, align, D_cls, translate, paste back, write both PNGs). The model:
--model (a checkpoint directory or SavedModel), else the quick preset's StarGAN (32x32) with random weights.
Medians of --runs calls after --warmup calls; prints and writes JSON.

    PYTHONPATH=. python benchmarks/photos.py [--runs=10] [--model=runs/quick/models]
"""
import os
import tempfile
from importlib.metadata import version

from absl import app, flags
from PIL import Image
from skimage import data

import host
from stargan_tf.core import faces
from stargan_tf.core.photos import PhotoOptions
from stargan_tf.families import load_translator
from stargan_tf.families.stargan.translate import Targets, translate_photos

flags.DEFINE_integer("runs", 10, "timed calls per step")
flags.DEFINE_integer("warmup", 2, "untimed calls per step first (first calls trace the detector's and model's graphs)")
flags.DEFINE_string("model", None, "a StarGAN checkpoint directory or SavedModel (default: the quick preset's networks "
                                   "with random weights)")
FLAGS = flags.FLAGS
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "photos.json")


def main(argv):
    del argv
    machine = host.machine()
    translator = load_translator(FLAGS.model) if FLAGS.model else host.random_translator()
    photo = data.astronaut()
    detector = faces.default_detector()
    (face,) = faces.detect_faces(photo, detector=detector)
    aligned = faces.prepare_face(photo, face, translator.image_size, translator.crop_size)
    targets = Targets.parse(translator.layout, edit="+Blond_Hair")
    [(_, target)] = targets.for_photo(translator.logits(aligned.model_input))
    translated = translator.translate(aligned.model_input, target)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "astronaut.png")
        Image.fromarray(photo).save(path)
        options = PhotoOptions(align="auto")
        steps = {
            "detection": lambda: faces.detect_faces(photo, detector=detector),
            "alignment": lambda: faces.prepare_face(photo, face, translator.image_size, translator.crop_size),
            "translation": lambda: translator.translate(aligned.model_input, target),
            "paste_back": lambda: faces.paste_back(photo, translated, aligned.matrix),
            "translate_photos": lambda: translate_photos(translator, [path], folder, targets, options),
        }
        medians = {step: host.median_seconds(function, FLAGS.runs, FLAGS.warmup) for step, function in steps.items()}
    result = {"benchmark": "photos", "photo": "skimage.data.astronaut() 512x512, one face",
              "model": translator.description, "image_size": translator.image_size,
              "target": "+Blond_Hair (D_cls on the aligned face)", "runs": FLAGS.runs, "warmup": FLAGS.warmup,
              "median_seconds": medians, "mtcnn": version("mtcnn"),
              "machine": machine}
    host.write_medians(result, RESULTS)


if __name__ == "__main__":
    app.run(main)

"""Translates your own photos: `python scripts/translate.py --model=runs/quick/models --input=photo.jpg --output=out`.

--model is a training run's checkpoint directory or an exported SavedModel; --input a photo or a folder.
"""
import logging
import sys

from absl import app, flags

from stargan_tf.config import ConfigError
from stargan_tf.translate import (TranslateError, Targets, list_photos, load_translator, prepare_output_dir,
                                  translate_photos)

flags.DEFINE_string("model", None, "checkpoint directory (run.json + ckpt-*) or exported SavedModel", required=True)
flags.DEFINE_string("input", None, "a photo (JPEG, PNG, BMP, WebP, GIF) or a folder of them", required=True)
flags.DEFINE_string("output", "translated", "folder for <photo>_<target>.png and <photo>_grid.png")
flags.DEFINE_string("target", "", "target attributes, comma-separated, e.g. 'Blond_Hair,Male' (the others off)")
flags.DEFINE_string("edit", "", "changes to the photo's own labels, e.g. '+Blond_Hair,-Young'")
flags.DEFINE_bool("all_domains", False, "translate to every domain, like the paper's figures (the default)")
flags.DEFINE_string("source", None, "the photos' own attributes, e.g. 'Black_Hair,Young' (default: predicted by "
                                    "D_cls when the model has it, else all off)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    try:
        photos = list_photos(FLAGS.input)
        prepare_output_dir(FLAGS.output)  # before the model loads: fail fast
        translator = load_translator(FLAGS.model)
        targets = Targets.parse(translator.layout, FLAGS.target, FLAGS.edit, FLAGS.all_domains, FLAGS.source)
        report = translate_photos(translator, photos, FLAGS.output, targets, progress=len(photos) > 1)
    except (ConfigError, TranslateError) as error:
        sys.exit(f"error: {error}")
    print(f"wrote {len(report.written)} files to {FLAGS.output} ({len(photos) - len(report.unreadable)} of "
          f"{len(photos)} photos, model: {translator.description})")
    if report.unreadable:
        print(f"{len(report.unreadable)} unreadable photo(s) skipped:")
        for _, reason in report.unreadable:
            print(f"  {reason}")
        sys.exit(1)


if __name__ == "__main__":
    app.run(main)

"""Translates your own photos: `python scripts/translate.py --model=runs/quick/models --input=photo.jpg --output=out`.

--model is a training run's checkpoint directory or an exported SavedModel, of StarGAN or StarGAN v2 (told
apart by the model itself); --input a photo or a folder.
"""
import logging
import sys

from absl import app, flags

from stargan_tf.config import ConfigError, parse_attention_query
from stargan_tf.translate import (LABEL_OPTIONS, STYLE_OPTIONS, Targets, TranslateError, Translator, list_photos,
                                  load_translator, prepare_output_dir, refuse_other_family_options, translate_photos)
from stargan_tf.translate_v2 import StyleTargets, translate_styles

flags.DEFINE_string("model", None, "checkpoint directory (run.json + ckpt-*) or exported SavedModel", required=True)
flags.DEFINE_string("input", None, "a photo (JPEG, PNG, BMP, WebP, GIF) or a folder of them", required=True)
flags.DEFINE_string("output", "translated", "folder for the outputs (<photo>_<target>.png) and the grids")
flags.DEFINE_string("target", "", "StarGAN: target attributes, comma-separated, e.g. 'Blond_Hair,Male' (the others "
                                  "off); StarGAN v2: target domains, e.g. 'cat,dog' (default: all)")
flags.DEFINE_bool("all_domains", False, "translate to every domain, like the paper's figures (the default)")
flags.DEFINE_string("edit", "", "StarGAN: changes to the photo's own labels, e.g. '+Blond_Hair,-Young'")
flags.DEFINE_string("source", None, "StarGAN: the photos' own attributes, e.g. 'Black_Hair,Young' (default: "
                                    "predicted by D_cls when the model has it, else all off)")
flags.DEFINE_bool("save_attention", False, "StarGAN with self-attention (checkpoint directory): also write "
                  "<photo>_attention.png, where each attention block looks from --attention_query")
flags.DEFINE_string("attention_query", "0.5,0.5", "StarGAN, with --save_attention: the query position as row,col "
                                                  "fractions of the image (0.5,0.5: the centre)")
flags.DEFINE_integer("num_styles", None, "StarGAN v2, latent-guided: random styles per target domain (default 3)")
flags.DEFINE_integer("seed", 0, "StarGAN v2, latent-guided: seed of the random styles (the same for every photo)")
flags.DEFINE_string("reference", None, "StarGAN v2, reference-guided: a photo (or folder) whose style to use")
flags.DEFINE_string("reference_domain", None, "StarGAN v2: the domain of the --reference photo(s) (required with "
                                              "--reference: the outputs are in that domain)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    try:
        photos = list_photos(FLAGS.input)
        prepare_output_dir(FLAGS.output)  # before the model loads: fail fast
        translator = load_translator(FLAGS.model)
        refuse_other_family_options(translator, [name for name in LABEL_OPTIONS + STYLE_OPTIONS
                                                 if FLAGS[name].present])
        if isinstance(translator, Translator):
            targets = Targets.parse(translator.layout, FLAGS.target, FLAGS.edit, FLAGS.all_domains, FLAGS.source)
            query = parse_attention_query(FLAGS.attention_query) if FLAGS.save_attention else None
            report = translate_photos(translator, photos, FLAGS.output, targets, progress=len(photos) > 1,
                                      attention_query=query)
        else:
            targets = StyleTargets.parse(translator, FLAGS.target, FLAGS.all_domains, FLAGS.num_styles, FLAGS.seed,
                                         FLAGS.reference, FLAGS.reference_domain)
            report = translate_styles(translator, photos, FLAGS.output, targets, progress=len(photos) > 1)
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

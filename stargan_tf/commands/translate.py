"""Translates your own photos: `stargan-translate --model=runs/quick/models --input=photo.jpg --output=out`.

--model is a training run's checkpoint directory or an exported SavedModel of any family (told apart by the
model itself); --input a photo or a folder.
"""
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf import families  # noqa: E402
from stargan_tf.commands.common import all_families, run_command  # noqa: E402
from stargan_tf.core.config import ConfigError  # noqa: E402
from stargan_tf.core.photo_files import DEFAULT_MAX_PIXELS  # noqa: E402
from stargan_tf.core.photos import ALIGN_MODES  # noqa: E402

USAGE = ("stargan-translate --model=DIR [--checkpoint=ckpt-N] --input=PHOTO_OR_FOLDER [--output=DIR] [--target=...] "
         "[options]")
DESCRIPTION = """Translates photos with a trained model: a checkpoint directory (run.json + ckpt-*), a SavedModel,
or a TF Serving model folder. Each face found is aligned as CelebA's faces were, translated, and pasted back: each
translation is written as <photo>_<target>.png, the whole photo at its own resolution, with a grid of the faces as
the model sees them per photo (StarGAN) or per run (StarGAN v2). Photos without a face, and --align=center or none,
give model-size outputs."""
COMMON = ("model", "checkpoint", "input", "output", "target", "all_domains", "align", "min_face_size", "max_faces",
          "interpolate", "max_pixels")

flags.DEFINE_string("model", None, "checkpoint directory (run.json + ckpt-*) or exported SavedModel")
flags.DEFINE_string("checkpoint", "", "with a checkpoint directory as --model: the checkpoint to use, e.g. ckpt-4 "
                                      "(default: the newest)")
flags.DEFINE_string("input", None, "a photo (JPEG, PNG, BMP, WebP, GIF) or a folder of them")
flags.DEFINE_string("output", "translated", "folder for the outputs (<photo>_<target>.png) and the grids")
flags.DEFINE_string("target", "", "StarGAN: target attributes, comma-separated, e.g. 'Blond_Hair,Male' (the others "
                                  "off; 'Blond_Hair:0.7' sets a value from 0 to 1); StarGAN v2: target domains, e.g. "
                                  "'cat,dog' (default: all)")
flags.DEFINE_bool("all_domains", False, "translate to every domain, like the paper's figures (the default)")
flags.DEFINE_enum("align", "auto", ALIGN_MODES,
                  "auto: align each face found (mtcnn) and paste its translations back into the photo; a photo without "
                  "a face is centre-cropped, with a warning. face: the same, but a photo without a face is skipped as "
                  "an error. center: the photo's centre crop, no detection. none: the whole photo, no crop: for square "
                  "face crops aligned already (others are errors). Without mtcnn, auto is center: pip install -e "
                  "\".[faces]\"")
flags.DEFINE_integer("min_face_size", 40, "--align=auto/face: smallest face (the shorter side of its box, pixels)")
flags.DEFINE_integer("max_faces", 0, "--align=auto/face: at most this many faces per photo, largest first (0: all)")
flags.DEFINE_integer("interpolate", 0, "also write <photo>_<target>_strip.png (N images) and <photo>_<target>.gif (N "
                                       "frames): StarGAN from the photo's own labels to the target, StarGAN v2 from "
                                       "the first latent style to the second (0: off)")

flags.DEFINE_integer("max_pixels", DEFAULT_MAX_PIXELS,
                     f"largest photo, in pixels (width x height; default {DEFAULT_MAX_PIXELS / 1e6:g} megapixels: a "
                     "48-megapixel phone photo passes): a larger one is skipped, from its header, before it is decoded "
                     "(a small file can decode to gigabytes)")


def run(argv=None) -> None:
    """The stargan-translate command."""
    run_command(argv, main, USAGE, DESCRIPTION, COMMON, "translate_options", required=("model", "input"))


def main() -> None:
    from stargan_tf.core.photo_files import TranslateError, list_photos, prepare_output_dir
    from stargan_tf.core.photos import PhotoOptions

    FLAGS = flags.FLAGS
    cli.show_progress_logs()
    try:
        photos = list_photos(FLAGS.input)
        prepare_output_dir(FLAGS.output)  # before the model loads: fail fast
        translator = families.load_translator(FLAGS.model, checkpoint=FLAGS.checkpoint)
        family = families.for_signatures(translator.signatures, FLAGS.model)
        options = cli.family_options(family, all_families(), "translate_options")
        photo_options = PhotoOptions(FLAGS.align, FLAGS.min_face_size, FLAGS.max_faces, FLAGS.interpolate,
                                     progress=len(photos) > 1, max_pixels=FLAGS.max_pixels)
        report = family.translate(translator, photos, FLAGS.output, options, FLAGS.target, FLAGS.all_domains,
                                  photo_options)
    except (ConfigError, TranslateError) as error:
        sys.exit(f"error: {error}")
    if report.failure and photo_options.progress:
        print()  # the progress bar stopped mid-line
    print(f"wrote {len(report.written)} files to {FLAGS.output} ({len(report.translated)} of {len(photos)} photos, "
          f"model: {translator.description})")
    if report.skipped:
        print(f"{len(report.skipped)} file(s) skipped:")
        for _, reason in report.skipped:
            print(f"  {reason}")
    if report.failure:
        sys.exit(f"error: {report.failure}")
    if report.skipped:
        sys.exit(1)


if __name__ == "__main__":
    run()

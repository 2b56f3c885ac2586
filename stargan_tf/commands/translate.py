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

USAGE = "stargan-translate --model=DIR --input=PHOTO_OR_FOLDER [--output=DIR] [--target=...] [options]"
DESCRIPTION = """Translates photos with a trained model: a checkpoint directory (run.json + ckpt-*), a SavedModel,
or a TF Serving model folder. Writes each translation as <photo>_<target>.png and a grid per photo (StarGAN) or
per run (StarGAN v2)."""
COMMON = ("model", "input", "output", "target", "all_domains")

flags.DEFINE_string("model", None, "checkpoint directory (run.json + ckpt-*) or exported SavedModel")
flags.DEFINE_string("input", None, "a photo (JPEG, PNG, BMP, WebP, GIF) or a folder of them")
flags.DEFINE_string("output", "translated", "folder for the outputs (<photo>_<target>.png) and the grids")
flags.DEFINE_string("target", "", "StarGAN: target attributes, comma-separated, e.g. 'Blond_Hair,Male' (the others "
                                  "off); StarGAN v2: target domains, e.g. 'cat,dog' (default: all)")
flags.DEFINE_bool("all_domains", False, "translate to every domain, like the paper's figures (the default)")


def run(argv=None) -> None:
    """The stargan-translate command."""
    run_command(argv, main, USAGE, DESCRIPTION, COMMON, "translate_options", required=("model", "input"))


def main() -> None:
    from stargan_tf.core.photos import TranslateError, list_photos, prepare_output_dir

    FLAGS = flags.FLAGS
    cli.show_progress_logs()
    try:
        photos = list_photos(FLAGS.input)
        prepare_output_dir(FLAGS.output)  # before the model loads: fail fast
        translator = families.load_translator(FLAGS.model)
        family = families.for_signatures(translator.signatures, FLAGS.model)
        options = cli.family_options(family, all_families(), "translate_options")
        report = family.translate(translator, photos, FLAGS.output, options, FLAGS.target, FLAGS.all_domains,
                                  progress=len(photos) > 1)
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
    run()

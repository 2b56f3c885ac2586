"""Serves a web page that translates your photos: `stargan-demo --model=runs/quick/models`, then open the URL.

--model is a training run's checkpoint directory, a SavedModel or a TF Serving model folder of any family; the
page is the family's (families/<family>/demo.py). It needs gradio: pip install -e ".[demo]".
"""
import importlib.util
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf import families  # noqa: E402
from stargan_tf.commands.common import run_command  # noqa: E402
from stargan_tf.core.config import ConfigError  # noqa: E402
from stargan_tf.core.photo_files import DEFAULT_MAX_PIXELS, TranslateError  # noqa: E402

USAGE = "stargan-demo --model=DIR [--port=7860] [--host=127.0.0.1]"
DESCRIPTION = """Serves a page for translating photos with a trained model: a checkpoint directory (run.json +
ckpt-*), a SavedModel, or a TF Serving model folder. Upload a photo or take one with the webcam: each face found
is aligned as CelebA's faces were, translated and pasted back, as stargan-translate does. StarGAN: tick or untick
the face's attributes (they start from its own, as the model's classifier sees them), each with a strength.
StarGAN v2: a target domain and a random style (its seed) or a reference photo's, and an interpolation strip. The
page needs no internet access; requests are translated one at a time."""
COMMON = ("model", "host", "port", "max_pixels", "min_face_size", "max_faces")

flags.DEFINE_string("model", None, "checkpoint directory (run.json + ckpt-*), SavedModel or TF Serving model folder")
flags.DEFINE_string("host", "127.0.0.1", "address to serve on (0.0.0.0: every network interface; the page has no "
                                         "login)")
flags.DEFINE_integer("port", 7860, "port to serve on")
flags.DEFINE_integer("max_pixels", DEFAULT_MAX_PIXELS, "larger photos (width x height) are refused with a message")
flags.DEFINE_integer("min_face_size", 40, "smallest face (the shorter side of its box, pixels); a photo without one "
                                          "is translated as its centre crop")
flags.DEFINE_integer("max_faces", 0, "at most this many faces per photo, largest first (0: all)")


def run(argv=None) -> None:
    """The stargan-demo command."""
    run_command(argv, main, USAGE, DESCRIPTION, COMMON, required=("model",))


def load_model(path: str):
    """The translator of --model, or exit with a one-line error naming the path."""
    try:
        return families.load_translator(path)
    except Exception as error:  # a damaged checkpoint or SavedModel fails deep in TensorFlow, with any error
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else error.__class__.__name__
        if not isinstance(error, (ConfigError, TranslateError)):
            reason = f"{error.__class__.__name__}: {reason}"
        sys.exit(f"error: {reason}" if f"={path}" in reason else f"error: --model={path}: cannot load it ({reason})")


def main() -> None:
    FLAGS = flags.FLAGS
    if importlib.util.find_spec("gradio") is None:
        sys.exit('error: the demo page needs gradio: pip install -e ".[demo]"')
    translator = load_model(FLAGS.model)  # before importing gradio (seconds): a wrong --model fails fast
    from stargan_tf.core import demo

    family = families.for_signatures(translator.signatures, f"--model={FLAGS.model}")
    try:
        settings = demo.DemoSettings(FLAGS.max_pixels, FLAGS.min_face_size, FLAGS.max_faces)
        settings.photo_options()  # checks the flags and loads the face detector now, not on the first photo
    except TranslateError as error:
        sys.exit(f"error: {error}")
    print(f"model: {translator.description} ({family.title})")
    try:
        demo.launch(family.demo_page(translator, settings), FLAGS.host, FLAGS.port)
    except OSError as error:
        sys.exit(f"error: --host={FLAGS.host} --port={FLAGS.port}: cannot serve there ({error})")


if __name__ == "__main__":
    run()

"""Converts official PyTorch StarGAN checkpoints into a stargan_tf checkpoint directory (no PyTorch needed).

    stargan-import-official --generator=200000-G.ckpt --discriminator=200000-D.ckpt \
        --c_dim=5 --image_size=128 --output=runs/official_celeba/models

Then export.py and translate.py take --checkpoint_dir=runs/official_celeba/models as for a trained run.
"""
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import flags  # noqa: E402

from stargan_tf.commands.common import run_command  # noqa: E402

from stargan_tf.core.config import ConfigError  # noqa: E402
from stargan_tf.families.stargan.config import DATASETS, DEFAULT_ATTRS, HELP  # noqa: E402
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS  # noqa: E402
from stargan_tf.families.stargan.official import IMPORT_FILE, import_official  # noqa: E402
from stargan_tf.interop.torch_checkpoint import CheckpointError  # noqa: E402

flags.DEFINE_string("generator", None, "official generator checkpoint, e.g. 200000-G.ckpt", required=True)
flags.DEFINE_string("discriminator", None, "official discriminator checkpoint, e.g. 200000-D.ckpt (optional: "
                    "without it D is randomly initialised; translation and export need only G)")
flags.DEFINE_string("output", None, "checkpoint directory to create (must hold no checkpoint yet)", required=True)
flags.DEFINE_enum("dataset", "celeba", DATASETS, "what the official model was trained on: celeba, rafd or both (one "
                  "model for both datasets with the mask vector); case-insensitive")
flags.DEFINE_integer("c_dim", 5, HELP["c_dim"])
flags.DEFINE_integer("c2_dim", 8, "number of RaFD classes (--dataset=rafd or both; an official RaFD-only model's "
                     "--c_dim)")
flags.DEFINE_integer("image_size", 128, "image size the model was trained at (checked against D when given)")
flags.DEFINE_list("selected_attrs", list(DEFAULT_ATTRS), "the CelebA attributes it was trained on, in order")
flags.DEFINE_list("rafd_classes", list(RAFD_EXPRESSIONS), "the RaFD classes, in label order (sorted folder names)")
flags.DEFINE_integer("d_conv_dim", 64, "channels of the random D's first convolution (only without --discriminator)")
flags.DEFINE_integer("d_repeat_num", 6, "stride-2 convolutions of the random D (only without --discriminator)")
flags.DEFINE_integer("seed", 1234, "seed of the random D's initialisation (only without --discriminator)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.show_progress_logs()
    try:
        run = import_official(FLAGS.generator, FLAGS.output, FLAGS.discriminator, dataset=FLAGS.dataset,
                              c_dim=FLAGS.c_dim, c2_dim=FLAGS.c2_dim, image_size=FLAGS.image_size,
                              selected_attrs=FLAGS.selected_attrs, rafd_classes=FLAGS.rafd_classes,
                              d_conv_dim=FLAGS.d_conv_dim, d_repeat_num=FLAGS.d_repeat_num, seed=FLAGS.seed)
    except (CheckpointError, ConfigError) as error:
        sys.exit(f"error: {error}")
    config = run.config
    print(f"imported G ({run.model.generator.count_params():,} parameters, {config.g_repeat_num} residual blocks, "
          f"labels {', '.join(run.layout.names)})")
    if run.discriminator_imported:
        print(f"imported D ({run.model.discriminator.count_params():,} parameters, image size {config.image_size})")
    else:
        print("D was NOT imported (no --discriminator): it is randomly initialised. Translation and export use "
              "only G; train D before fine-tuning from this checkpoint.")
    print(f"wrote {run.checkpoint_path} and run.json, sources in {IMPORT_FILE}, to {FLAGS.output}")


FLAG_NAMES = ("generator", "discriminator", "output", "dataset", "c_dim", "c2_dim", "image_size", "selected_attrs",
              "rafd_classes", "d_conv_dim", "d_repeat_num", "seed")
USAGE = ("stargan-import-official --generator=200000-G.ckpt [--discriminator=200000-D.ckpt] --output=DIR "
         "[--dataset=...]")
DESCRIPTION = """Converts official PyTorch StarGAN checkpoints (yunjey/stargan) into a stargan_tf run directory,
without PyTorch. Then stargan-export, stargan-translate and stargan-evaluate take it as --checkpoint_dir / --model."""


def run(argv=None) -> None:
    """The stargan-import-official command."""
    run_command(argv, lambda: main([]), USAGE, DESCRIPTION, FLAG_NAMES)


if __name__ == "__main__":
    run()

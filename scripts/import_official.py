"""Converts official PyTorch StarGAN checkpoints into a stargan_tf checkpoint directory (no PyTorch needed).

    python scripts/import_official.py --generator=200000-G.ckpt --discriminator=200000-D.ckpt \
        --c_dim=5 --image_size=128 --output=runs/official_celeba/models

Then export.py and translate.py take --checkpoint_dir=runs/official_celeba/models as for a trained run.
"""
import logging
import sys

from absl import app, flags

from stargan_tf.config import DATASETS, DEFAULT_ATTRS, HELP, ConfigError
from stargan_tf.data.synthetic import RAFD_EXPRESSIONS
from stargan_tf.interop.official import IMPORT_FILE, import_official
from stargan_tf.interop.torch_checkpoint import CheckpointError

flags.DEFINE_string("generator", None, "official generator checkpoint, e.g. 200000-G.ckpt", required=True)
flags.DEFINE_string("discriminator", None, "official discriminator checkpoint, e.g. 200000-D.ckpt (optional: "
                    "without it D is randomly initialised; translation and export need only G)")
flags.DEFINE_string("output", None, "checkpoint directory to create (must hold no checkpoint yet)", required=True)
flags.DEFINE_enum("dataset", "celeba", DATASETS, "what the official model was trained on: " + HELP["dataset"])
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
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
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


if __name__ == "__main__":
    app.run(main)

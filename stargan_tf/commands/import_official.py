"""Converts official PyTorch StarGAN and StarGAN v2 checkpoints into a stargan_tf run directory (no PyTorch needed).

    stargan-import-official --generator=200000-G.ckpt --discriminator=200000-D.ckpt \
        --c_dim=5 --image_size=128 --output=runs/official_celeba/models
    stargan-import-official --model=stargan_v2 --nets_ema=expr/checkpoints/afhq/100000_nets_ema.ckpt \
        --domains=cat,dog,wild --output=runs/official_afhq/models

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
from stargan_tf.core.imported import IMPORT_FILE  # noqa: E402
from stargan_tf.families.stargan.official import import_official  # noqa: E402
from stargan_tf.families.stargan_v2.official import import_official_v2  # noqa: E402
from stargan_tf.interop.torch_checkpoint import CheckpointError  # noqa: E402

flags.DEFINE_enum("model", "stargan", ["stargan", "stargan_v2"], "which official code trained the checkpoints: "
                  "stargan (yunjey/stargan) or stargan_v2 (clovaai/stargan-v2)")
flags.DEFINE_string("generator", None, "StarGAN: official generator checkpoint, e.g. 200000-G.ckpt (required)")
flags.DEFINE_string("discriminator", None, "StarGAN: official discriminator checkpoint, e.g. 200000-D.ckpt (optional: "
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
flags.DEFINE_integer("seed", 1234, "seed of the random D's initialisation (only without --discriminator / --nets)")
flags.DEFINE_string("nets_ema", None, "StarGAN v2: the moving averages, e.g. 100000_nets_ema.ckpt (generator, "
                    "mapping_network, style_encoder; what translation and export use; required)")
flags.DEFINE_string("nets", None, "StarGAN v2: the trained networks with D, e.g. 100000_nets.ckpt (optional: "
                    "without it G, F and E start as the moving averages and D is random)")
flags.DEFINE_string("wing", None, "StarGAN v2: the official face-landmark network, wing.ckpt (required for a model "
                    "with the high-pass face path, as CelebA-HQ's: its masks come from it)")
flags.DEFINE_string("lm_path", None, "StarGAN v2: the official CelebA-HQ mean landmarks, celeba_lm_mean.npz (with "
                    "--wing; optional): photos' faces are then framed as CelebA-HQ, as the official align_faces does")
flags.DEFINE_list("domains", [], "StarGAN v2: the domain names in label order (sorted folder names of the training "
                  "data): female,male for CelebA-HQ, cat,dog,wild for AFHQ (required)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.show_progress_logs()
    try:
        if FLAGS.model == "stargan_v2":
            import_v2()
        else:
            import_stargan()
    except (CheckpointError, ConfigError) as error:
        sys.exit(f"error: {error}")
    print(f"wrote the checkpoint and run.json, sources in {IMPORT_FILE}, to {FLAGS.output}")


def _require(model: str, required, foreign) -> None:
    """ConfigError naming a flag that --model needs and lacks, or one that belongs to the other model."""
    missing = [name for name in required if not getattr(FLAGS, name)]
    if missing:
        raise ConfigError(f"--model={model} needs --{', --'.join(missing)}")
    given = [name for name in foreign if FLAGS[name].present]
    if given:
        raise ConfigError(f"--{', --'.join(given)}: not a flag for --model={model}")


def import_stargan() -> None:
    _require("stargan", ("generator",), ("nets_ema", "nets", "wing", "lm_path", "domains"))
    run = import_official(FLAGS.generator, FLAGS.output, FLAGS.discriminator, dataset=FLAGS.dataset,
                          c_dim=FLAGS.c_dim, c2_dim=FLAGS.c2_dim, image_size=FLAGS.image_size,
                          selected_attrs=FLAGS.selected_attrs, rafd_classes=FLAGS.rafd_classes,
                          d_conv_dim=FLAGS.d_conv_dim, d_repeat_num=FLAGS.d_repeat_num, seed=FLAGS.seed)
    config = run.config
    print(f"imported G ({run.model.generator.count_params():,} parameters, {config.g_repeat_num} residual blocks, "
          f"labels {', '.join(run.layout.names)})")
    if run.discriminator_imported:
        print(f"imported D ({run.model.discriminator.count_params():,} parameters, image size {config.image_size})")
    else:
        print("D was NOT imported (no --discriminator): it is randomly initialised. Translation and export use "
              "only G; train D before fine-tuning from this checkpoint.")


def import_v2() -> None:
    _require("stargan_v2", ("nets_ema", "domains"),
             ("generator", "discriminator", "dataset", "c_dim", "c2_dim", "image_size", "selected_attrs",
              "rafd_classes", "d_conv_dim", "d_repeat_num"))
    run = import_official_v2(FLAGS.nets_ema, FLAGS.output, FLAGS.domains, FLAGS.nets, FLAGS.wing, seed=FLAGS.seed,
                             lm_path=FLAGS.lm_path)
    config, model = run.config, run.model
    print(f"imported G, F and E (moving averages; {model.generator_ema.count_params():,} + "
          f"{model.mapping_network_ema.count_params():,} + {model.style_encoder_ema.count_params():,} parameters), "
          f"{config.image_size}px, style {config.style_dim}, latent {config.latent_dim}, domains "
          f"{', '.join(model.domains)}")
    if model.fan is not None:
        print(f"imported the face-landmark network ({model.fan.count_params():,} parameters): the high-pass face "
              f"path (w_hpf {config.w_hpf}) computes its masks from each source image")
    if FLAGS.lm_path:
        print("photos' faces are framed as CelebA-HQ: their FAN landmarks moved onto the mean landmarks of --lm_path, "
              "as the official align_faces does")
    if run.discriminator_imported:
        print(f"imported the trained G, F, E and D ({model.discriminator.count_params():,} parameters)")
    else:
        print("the trained networks were NOT imported (no --nets): G, F and E start as the moving averages and D "
              "is randomly initialised. Translation and export use only the averages; train D before fine-tuning.")


FLAG_NAMES = ("model", "output", "generator", "discriminator", "dataset", "c_dim", "c2_dim", "image_size",
              "selected_attrs", "rafd_classes", "d_conv_dim", "d_repeat_num", "nets_ema", "nets", "wing", "lm_path",
              "domains", "seed")
USAGE = ("stargan-import-official --generator=200000-G.ckpt [--discriminator=200000-D.ckpt] --output=DIR "
         "[--dataset=...]\n       stargan-import-official --model=stargan_v2 --nets_ema=100000_nets_ema.ckpt "
         "[--nets=100000_nets.ckpt] [--wing=wing.ckpt [--lm_path=celeba_lm_mean.npz]] --domains=cat,dog,wild "
         "--output=DIR")
DESCRIPTION = """Converts official PyTorch StarGAN (yunjey/stargan) and StarGAN v2 (clovaai/stargan-v2) checkpoints
into a stargan_tf run directory, without PyTorch. Then stargan-export, stargan-translate and stargan-evaluate take it
as --checkpoint_dir / --model."""


def run(argv=None) -> None:
    """The stargan-import-official command."""
    run_command(argv, lambda: main([]), USAGE, DESCRIPTION, FLAG_NAMES)


if __name__ == "__main__":
    run()

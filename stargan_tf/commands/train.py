"""Trains a model: `stargan-train --dataset=both` (or `python scripts/train.py --dataset=both`).

With no data flags it trains on the embedded synthetic data. `--model=stargan_v2` trains StarGAN v2 (its flags are
the official implementation's); `--model=stargan_v2 --help` lists them.
"""
import sys

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import app, flags  # noqa: E402

from stargan_tf import families  # noqa: E402
from stargan_tf.core.config import ConfigError  # noqa: E402

USAGE = "stargan-train [--model=stargan|stargan_v2] [--preset=paper|quick|...] [--flag=value ...]"
DESCRIPTION = """Trains a model family and writes checkpoints, run.json, sample grids and TensorBoard logs. Running
the same command again resumes the run. With no data flags, the embedded synthetic data is created once and used.

Stop with Ctrl-C or SIGTERM: the run checkpoints at the end of the iteration and exits (code 128 + signal)."""


def help_text(family) -> str:
    model = [("model", "stargan", f"the model family: {', '.join(families.names())} (--model=NAME --help shows "
                                  "that family's flags and defaults)")]
    return cli.format_help(USAGE, f"{DESCRIPTION}\n\nFlags of {family.title} ({family.name}), with its defaults:",
                           [("Model family", model)] + cli.config_help_groups(family.config_class, family.presets))


def run(argv=None) -> None:
    """The stargan-train command."""
    argv = list(sys.argv if argv is None else argv)
    try:
        family = families.get(cli.argv_value(argv, "model", "stargan"))
        cli.exit_with_help_if_asked(argv, lambda: help_text(family))
        cli.refuse_foreign_flags(argv, family, [families.get(name) for name in families.names()])
    except ConfigError as error:
        sys.exit(f"error: {error}")
    flags.DEFINE_enum("model", "stargan", families.names(), "the model family to train")
    cli.define_config_flags(family.config_class, family.presets)
    app.run(lambda _: main(family), argv=argv)


def main(family) -> None:
    from stargan_tf.core.callbacks import CheckpointSaveError, NonFiniteError, TrainingInterrupted
    from stargan_tf.core.distribute import ClusterError
    from stargan_tf.core.trainer import train
    from stargan_tf.data.files import DataError

    cli.show_progress_logs()
    try:
        train(cli.config_from_flags(family.config_class, family.presets).validate())
    except (ConfigError, DataError, ClusterError, NonFiniteError, CheckpointSaveError) as error:
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        sys.exit(128 + stop.signal_number)  # The shell's code for "ended by this signal".


if __name__ == "__main__":
    run()

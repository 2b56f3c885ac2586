"""Trains StarGAN: `python scripts/train.py --dataset=both` (no data flags: the embedded synthetic data)."""
import logging
import sys

from absl import app, flags

from stargan_tf import cli
from stargan_tf.callbacks import NonFiniteError, TrainingInterrupted
from stargan_tf.config import ConfigError
from stargan_tf.data.files import DataError
from stargan_tf.training import train

cli.define_config_flags()


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    logging.getLogger("absl").setLevel(logging.WARNING)  # TF logs every checkpoint save through absl at INFO.
    try:
        config = cli.config_from_flags(flags.FLAGS).validate()
        train(config)
    except (ConfigError, DataError, NonFiniteError) as error:
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        sys.exit(128 + stop.signal_number)  # The shell's code for "ended by this signal".


if __name__ == "__main__":
    app.run(main)

"""Trains StarGAN: `python scripts/train.py --dataset=both` (no data flags: the embedded synthetic data)."""
import logging
import sys

from absl import app, flags

from stargan_tf import cli
from stargan_tf.config import ConfigError
from stargan_tf.distribute import ClusterError
from stargan_tf.data.files import DataError
from stargan_tf.training import train

cli.define_config_flags()


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    try:
        config = cli.config_from_flags(flags.FLAGS).validate()
        train(config)
    except (ConfigError, DataError, ClusterError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    app.run(main)

"""Trains StarGAN: `python scripts/train.py --dataset=both` (no data flags: the embedded synthetic data).

`--model=stargan_v2` trains StarGAN v2 instead (its flags: the official implementation's; no --train_img_dir:
the embedded synthetic v2 data).
"""
import logging
import sys

from absl import app, flags

from stargan_tf import cli
from stargan_tf.callbacks import NonFiniteError, TrainingInterrupted
from stargan_tf.config import ConfigError, StarGANConfig
from stargan_tf.config_v2 import HELP_V2, PRESETS_V2, StarGANv2Config
from stargan_tf.distribute import ClusterError
from stargan_tf.data.files import DataError
from stargan_tf.training import train
from stargan_tf.training_v2 import train as train_v2

flags.DEFINE_enum("model", "stargan", ["stargan", "stargan_v2"], "the model family to train")
cli.define_config_flags()
cli.define_config_flags(config_class=StarGANv2Config, help_texts=HELP_V2)


def main(argv):
    del argv
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    logging.getLogger("absl").setLevel(logging.WARNING)  # TF logs every checkpoint save through absl at INFO.
    try:
        if flags.FLAGS.model == "stargan_v2":
            train_v2(cli.config_from_flags(flags.FLAGS, StarGANv2Config, PRESETS_V2, (StarGANConfig,)).validate())
        else:
            train(cli.config_from_flags(flags.FLAGS, other_classes=(StarGANv2Config,)).validate())
    except (ConfigError, DataError, ClusterError, NonFiniteError) as error:
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        sys.exit(128 + stop.signal_number)  # The shell's code for "ended by this signal".


if __name__ == "__main__":
    app.run(main)

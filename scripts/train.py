"""`python scripts/train.py`: the same as the installed command `stargan-train` (see its --help)."""
from stargan_tf.commands.train import run

if __name__ == "__main__":
    run()

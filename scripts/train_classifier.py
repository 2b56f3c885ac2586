"""`python scripts/train_classifier.py`: the same as the installed command `stargan-train-classifier` (see its --help)."""
from stargan_tf.commands.train_classifier import run

if __name__ == "__main__":
    run()

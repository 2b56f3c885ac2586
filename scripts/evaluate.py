"""`python scripts/evaluate.py`: the same as the installed command `stargan-evaluate` (see its --help)."""
from stargan_tf.commands.evaluate import run

if __name__ == "__main__":
    run()

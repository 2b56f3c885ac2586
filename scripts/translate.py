"""`python scripts/translate.py`: the same as the installed command `stargan-translate` (see its --help)."""
from stargan_tf.commands.translate import run

if __name__ == "__main__":
    run()

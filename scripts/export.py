"""`python scripts/export.py`: the same as the installed command `stargan-export` (see its --help)."""
from stargan_tf.commands.export import run

if __name__ == "__main__":
    run()

"""`python scripts/import_official.py`: the same as the installed command `stargan-import-official` (see its --help)."""
from stargan_tf.commands.import_official import run

if __name__ == "__main__":
    run()

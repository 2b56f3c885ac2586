"""`python scripts/demo.py`: the same as the installed command `stargan-demo` (see its --help)."""
from stargan_tf.commands.demo import run

if __name__ == "__main__":
    run()

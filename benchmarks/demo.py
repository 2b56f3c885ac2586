"""Time per photo of the StarGAN demo page, as a visitor waits for it: requests over HTTP through Gradio's queue.

Serves the page on a free local port and calls it with gradio_client, as the page's own JavaScript does: one
upload request (read, detect, align, D_cls: the boxes' starting values) and one translate request (+Blond_Hair
on scikit-image's astronaut, 512x512, one face: translate, paste back, the before/after grid, both PNGs sent back).
The model: --model, else --preset's StarGAN with random weights (quick: 32x32; paper: 128x128, the paper's
networks). Medians of --runs requests after --warmup; prints and writes JSON.

    PYTHONPATH=. python benchmarks/demo.py [--preset=paper] [--model=runs/quick/models] [--runs=10]
"""
import os
import socket
import tempfile
import time

from absl import app, flags
from PIL import Image
from skimage import data

import host
from stargan_tf.core import demo
from stargan_tf.families import load_translator
from stargan_tf.families.stargan.demo import StarGANPage

flags.DEFINE_integer("runs", 10, "timed requests of each kind")
flags.DEFINE_integer("warmup", 2, "untimed requests of each kind first")
flags.DEFINE_string("model", None, "a StarGAN checkpoint directory or SavedModel (default: --preset, random weights)")
flags.DEFINE_enum("preset", "quick", ["quick", "paper"], "the networks without --model")
FLAGS = flags.FLAGS
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "demo_{}.json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv):
    del argv
    from gradio_client import Client, handle_file

    machine = host.machine()
    translator = load_translator(FLAGS.model) if FLAGS.model else host.random_translator(FLAGS.preset)
    page = StarGANPage(translator, demo.DemoSettings())
    start = time.perf_counter()
    page.warm_up()
    warm_up_seconds = time.perf_counter() - start
    blocks = page.build()
    _, url, _ = demo.launch(blocks, "127.0.0.1", free_port(), block=False)
    labels = len(page.segments[0].names)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "astronaut.png")
            Image.fromarray(data.astronaut()).save(path)
            client = Client(url, verbose=False, download_files=folder)
            photo = handle_file(path)
            _, *own = client.predict(photo, api_name="/on_upload")
            wanted = [not value if index == 1 else value for index, value in enumerate(own)]  # Blond_Hair toggled

            def upload():
                client.predict(photo, api_name="/on_upload")

            def translate():
                status, result, _ = client.predict(photo, page.segments[0].dataset, *wanted, *[1.0] * labels,
                                                   api_name="/on_translate")
                assert result, status

            medians = {"upload_request": host.median_seconds(upload, FLAGS.runs, FLAGS.warmup),
                       "translate_request": host.median_seconds(translate, FLAGS.runs, FLAGS.warmup)}
    finally:
        blocks.close()
    result = {"benchmark": "demo", "photo": "skimage.data.astronaut() 512x512, one face",
              "model": translator.description, "image_size": translator.image_size,
              "requests": "gradio_client over HTTP to 127.0.0.1: /on_upload, then /on_translate (Blond_Hair toggled)",
              "warm_up_seconds": warm_up_seconds, "runs": FLAGS.runs, "warmup": FLAGS.warmup,
              "median_seconds": medians, "machine": machine}
    host.write_medians(result, RESULTS.format(FLAGS.preset if not FLAGS.model else "model"))


if __name__ == "__main__":
    app.run(main)

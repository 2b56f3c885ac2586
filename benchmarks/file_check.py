"""Rate of the up-front image check (data/files.py: every file decoded by the training decoder, in parallel with
tf.data; the verdict cached per file list), extrapolated to CelebA's 202,599 images.

The images are synthetic CelebA-format JPEGs (178 x 218, as aligned CelebA), written once to a temporary folder,
so they are in the page cache: a cold disk adds its read time to the uncached figure. Three timings per round:
the check with an empty cache, the same check again (a cache hit: stat, hash, read the verdict), and the old
serial way (one eager decode per file) on a sample, for comparison. With --full, both check timings are also
measured on 202,599 hard links to those files (same bytes, no extra disk), so the CelebA figures are measured
as well as extrapolated. Prints and writes JSON.

    PYTHONPATH=. python benchmarks/file_check.py [--files=3000] [--rounds=3] [--full]
"""
import json
import os
import statistics
import sys
import tempfile
import timeit

from absl import app, flags

from stargan_tf.data import files
from stargan_tf.data.synthetic import write_celeba

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host import machine  # noqa: E402

flags.DEFINE_integer("files", 3000, "synthetic CelebA-size JPEGs to check")
flags.DEFINE_integer("rounds", 3, "timed rounds (the median is reported)")
flags.DEFINE_integer("serial_sample", 300, "files checked one by one for the serial comparison")
flags.DEFINE_bool("full", True, "also time the check of 202,599 hard links to the files (about a minute)")
FLAGS = flags.FLAGS
CELEBA_IMAGES = 202_599
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "file_check.json")


def timed(function) -> float:
    """Seconds one call of function takes."""
    return timeit.timeit(function, number=1)


def main(argv):
    del argv
    with tempfile.TemporaryDirectory() as tmp:
        image_dir, _ = write_celeba(os.path.join(tmp, "celeba"), FLAGS.files)
        paths = sorted(os.path.join(image_dir, name) for name in os.listdir(image_dir))
        mean_bytes = statistics.mean(os.path.getsize(path) for path in paths)
        uncached, cached, serial = [], [], []
        for round_index in range(FLAGS.rounds):
            os.environ["STARGAN_TF_CACHE"] = os.path.join(tmp, f"cache-{round_index}")
            uncached.append(timed(lambda: files.unreadable_reasons(paths, "benchmark")))
            cached.append(timed(lambda: files.unreadable_reasons(paths, "benchmark")))
            serial.append(timed(lambda: [files.unreadable_reason(path) for path in paths[:FLAGS.serial_sample]]))
        full = {}
        if FLAGS.full:
            os.makedirs(os.path.join(tmp, "links"))
            links = [os.path.join(tmp, "links", f"{i + 1:06d}.jpg") for i in range(CELEBA_IMAGES)]
            for i, link in enumerate(links):
                os.link(paths[i % len(paths)], link)
            os.environ["STARGAN_TF_CACHE"] = os.path.join(tmp, "cache-full")
            full = {"uncached_parallel": timed(lambda: files.unreadable_reasons(links, "benchmark")),
                    "cached": timed(lambda: files.unreadable_reasons(links, "benchmark"))}
    rates = {"uncached_parallel": FLAGS.files / statistics.median(uncached),
             "cached": FLAGS.files / statistics.median(cached),
             "serial_eager": FLAGS.serial_sample / statistics.median(serial)}
    result = {
        "files": FLAGS.files, "mean_file_bytes": round(mean_bytes), "image_size": [178, 218],
        "rounds": FLAGS.rounds, "seconds": {"uncached_parallel": uncached, "cached": cached,
                                            f"serial_eager_{FLAGS.serial_sample}_files": serial},
        "files_per_second": {name: round(rate, 1) for name, rate in rates.items()},
        "celeba_202599_seconds_extrapolated": {name: round(CELEBA_IMAGES / rate, 1) for name, rate in rates.items()},
        "celeba_202599_seconds_measured_on_links": {name: round(seconds, 1) for name, seconds in full.items()},
        "page_cache": "warm (files just written)", "machine": machine(),
    }
    for name, rate in rates.items():
        print(f"{name:>18}: {rate:9.1f} files/s -> {CELEBA_IMAGES / rate:7.1f} s for CelebA's {CELEBA_IMAGES} images")
    for name, seconds in full.items():
        print(f"{name:>18}: {seconds:7.1f} s measured on {CELEBA_IMAGES} hard links")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    app.run(main)

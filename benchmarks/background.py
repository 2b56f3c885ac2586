"""Do translations keep the background? For trained StarGAN runs, the colour of each held-out image's border (a
frame an eighth of the image wide: background in aligned faces) before and after translating it to every target.

    python benchmarks/background.py --checkpoint_dirs=runs/quick/models,runs/other/models --names=quick,other

Per run and source dataset: the mean |colour change| of the frame in [0, 1] pixel units (0: kept), and per RGB
channel the correlation between the source's and the translation's frame colour over the images (1: the
translation's background follows the source's; near 0: G paints its own). "own labels" translates each image to
its own labels. Writes benchmarks/results/background.json.
"""
import json
import os

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402

from host import machine  # noqa: E402
from stargan_tf import families  # noqa: E402
from stargan_tf.data.labels import sample_targets  # noqa: E402
from stargan_tf.evaluation.features import batched  # noqa: E402

flags.DEFINE_list("checkpoint_dirs", None, "StarGAN run directories (--model_save_dir of each run)")
flags.DEFINE_list("names", None, "a name per run for the table and the JSON")
flags.DEFINE_integer("images", 256, "held-out images per dataset")
flags.DEFINE_string("output", "benchmarks/results/background.json", "the JSON written")
FLAGS = flags.FLAGS


def frame_colours(images) -> np.ndarray:
    """[N, 3] mean colour of each image's border frame, an eighth of its size wide, in [0, 1] units."""
    images = np.asarray(images)
    width = max(1, images.shape[1] // 8)
    inside = np.zeros(images.shape[1:3], bool)
    inside[width:-width, width:-width] = True
    return (images[:, ~inside].mean(axis=1) + 1.0) / 2.0


def background_change(generator, images, targets) -> dict:
    """Mean |frame colour change| and per-channel correlation of source and translated frame colours."""
    source = frame_colours(images)
    translated = frame_colours(batched(generator, images, targets))
    return {"change": float(np.abs(translated - source).mean()),
            "correlation_rgb": [float(np.corrcoef(source[:, k], translated[:, k])[0, 1]) for k in range(3)]}


def main(argv):
    del argv
    if not FLAGS.checkpoint_dirs or len(FLAGS.names or []) != len(FLAGS.checkpoint_dirs):
        raise app.UsageError("--checkpoint_dirs and --names: one name per run directory")
    results = {"machine": machine(), "images_per_dataset": FLAGS.images, "runs": {}}
    for name, directory in zip(FLAGS.names, FLAGS.checkpoint_dirs):
        family = families.for_run(directory)
        config, data, model = family.load_run(directory)
        run = results["runs"][name] = {"checkpoint_dir": directory, "iteration": int(model.iteration.numpy())}
        for dataset in data.splits:
            images, labels = data.fixed_batch(dataset, FLAGS.images, config.image_size)
            rows = {"own labels": background_change(model.translator, images, labels)}
            for target_name, target in sample_targets(data.layout, dataset, labels):
                rows[target_name] = background_change(model.translator, images, target)
            translated = [row for key, row in rows.items() if key != "own labels"]
            run[dataset] = {"targets": rows, "mean_change": float(np.mean([row["change"] for row in translated])),
                            "mean_correlation": float(np.mean([row["correlation_rgb"] for row in translated]))}
            own = rows["own labels"]
            print(f"{name:>16} {dataset:>8}: frame colour change {run[dataset]['mean_change']:.3f} over every "
                  f"target (own labels {own['change']:.3f}), correlation with the source "
                  f"{run[dataset]['mean_correlation']:.2f} (own labels {np.mean(own['correlation_rgb']):.2f})")
    os.makedirs(os.path.dirname(FLAGS.output) or ".", exist_ok=True)
    with open(FLAGS.output, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    app.run(main)

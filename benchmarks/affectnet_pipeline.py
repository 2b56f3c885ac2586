"""AffectNet input: how fast faces are aligned into the crop cache (once per CSV), and how many images/s the training
pipeline then delivers from it, beside the CelebA-format pipeline at the same size and batch.

    python benchmarks/affectnet_pipeline.py        # 2,000 synthetic AffectNet-format photos, 128 px, batch 16

Training a paper-size StarGAN consumes 16 images per iteration (2.95 s float32, 1.8 s bf16 on 2 cores: about
5-9 images/s), so the pipeline keeps it fed when it delivers far more. Writes results/affectnet_pipeline.json.
"""
import dataclasses
import json
import os
import pathlib
import tempfile
import time

from stargan_tf.core import cli

cli.quiet_tensorflow()

from absl import app, flags  # noqa: E402

from host import machine, pipeline_throughput, synthetic_celeba_config  # noqa: E402
from stargan_tf.data.affectnet import parse_annotations  # noqa: E402
from stargan_tf.data.affectnet_faces import aligned_files  # noqa: E402
from stargan_tf.data.synthetic_affectnet import write_affectnet  # noqa: E402
from stargan_tf.families.stargan.config import StarGANConfig  # noqa: E402

flags.DEFINE_integer("photos", 2000, "synthetic AffectNet-format training photos to align")
flags.DEFINE_integer("image_size", 128, "training image size")
flags.DEFINE_integer("batch_size", 16, "training batch size")
flags.DEFINE_integer("batches", 100, "batches timed per pipeline")
flags.DEFINE_string("results_dir", "benchmarks/results", "where affectnet_pipeline.json goes")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    result = {"benchmark": "affectnet_pipeline", "photos": FLAGS.photos, "image_size": FLAGS.image_size,
              "batch_size": FLAGS.batch_size, "machine": machine()}
    with tempfile.TemporaryDirectory() as root:
        image_dir, train_csv, val_csv = write_affectnet(os.path.join(root, "affectnet"), FLAGS.photos, 2)
        annotations = parse_annotations(train_csv, image_dir)
        start = time.perf_counter()
        aligned_files(annotations, root)  # the crop cache the training pipeline below reads
        result["align_faces"] = len(annotations)
        result["align_images_per_s"] = len(annotations) / (time.perf_counter() - start)
        base = StarGANConfig(image_size=FLAGS.image_size, batch_size=FLAGS.batch_size, synthetic_cache_dir=root)
        affectnet = dataclasses.replace(base, dataset="affectnet", affectnet_image_dir=image_dir,
                                        affectnet_train_csv=train_csv, affectnet_val_csv=val_csv).validate()
        celeba = synthetic_celeba_config(base, root).validate()
        for name, config in (("affectnet", affectnet), ("celeba", celeba)):
            result[f"{name}_pipeline_images_per_s"] = pipeline_throughput(config, FLAGS.batches)[0]
    result["machine"]["load_average_at_end"] = os.getloadavg()
    print(f"aligned {result['align_faces']} faces at {result['align_images_per_s']:.1f} images/s; training "
          f"pipeline at {FLAGS.image_size} px, batch {FLAGS.batch_size}: AffectNet crops "
          f"{result['affectnet_pipeline_images_per_s']:.0f} images/s, CelebA-format "
          f"{result['celeba_pipeline_images_per_s']:.0f} images/s")
    path = os.path.join(FLAGS.results_dir, "affectnet_pipeline.json")
    pathlib.Path(path).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    app.run(main)

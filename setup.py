"""Installs stargan_tf: StarGAN multi-domain image-to-image translation in Keras 3 / TensorFlow 2."""
from setuptools import find_packages, setup

setup(
    name="stargan_tf",
    version="0.1.0",
    description="StarGAN (v1, self-attention, v2) in Keras 3 / TensorFlow 2 with SavedModel and TFLite export",
    packages=find_packages(include=["stargan_tf", "stargan_tf.*"]),
    python_requires=">=3.10",
    license="MIT",
    install_requires=[
        # The full wheel runs on CPU too; `.[gpu]` adds the CUDA libraries. (tensorflow-cpu would clash
        # with the GPU extra and with tensorflow-serving-api, which requires `tensorflow`.)
        "tensorflow>=2.16",  # Keras 3 (tensorflow-addons, which does not import with it, is not used)
        "keras>=3.6",  # ExportArchive.write_out(verbose=...)
        "numpy",
        "pillow>=10.1",  # ImageFont.load_default(size=...): the labels of the grids
        "absl-py",
        "tensorboard",
    ],
    entry_points={"console_scripts": [
        "stargan-train=stargan_tf.commands.train:run",
        "stargan-translate=stargan_tf.commands.translate:run",
        "stargan-export=stargan_tf.commands.export:run",
        "stargan-evaluate=stargan_tf.commands.evaluate:run",
        "stargan-import-official=stargan_tf.commands.import_official:run",
        "stargan-train-classifier=stargan_tf.commands.train_classifier:run",
        "stargan-demo=stargan_tf.commands.demo:run",
    ]},
    extras_require={
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        # LiteRT runs the TFLite exports as phones do; tensorflow-serving-api writes TF Serving warm-up requests
        # (with tensorflow-cpu instead of tensorflow, install it with --no-deps: it requires `tensorflow`).
        "serving": ["ai-edge-litert", "tensorflow-serving-api"],
        # Finds faces and their landmarks in people's photos (the weights ship in the wheel).
        "faces": ["mtcnn>=1.0.0", "lz4"],
        # The demo page (stargan-demo): Gradio 6 (its launch() takes the theme), mtcnn for the faces in the photos.
        "demo": ["gradio>=6", "mtcnn>=1.0.0", "lz4"],
        # PyTorch only for the tests of the official-checkpoint import and step parity (reference models to compare
        # with); the import itself reads the files with the standard library. Any recent torch works: install its CPU
        # build first (pip install torch --index-url https://download.pytorch.org/whl/cpu), or pip takes the default,
        # CUDA one. Selenium drives Chromium (Debian's chromium and chromium-driver, installed apart) through the demo
        # page; without them that test is skipped.
        "test": ["pytest", "ai-edge-litert", "tensorflow-serving-api", "torch>=2.1", "mtcnn>=1.0.0", "lz4",
                 "scikit-image", "gradio>=6", "selenium", "pytest-xdist"],
    },
)

"""StarGAN multi-domain image-to-image translation in Keras 3 / TensorFlow 2."""

__version__ = "0.1.0"

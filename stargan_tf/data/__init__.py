"""Dataset readers (CelebA, RaFD, synthetic) and the tf.data input pipeline."""

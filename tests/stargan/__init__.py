"""Tests of the StarGAN family (stargan_tf.families.stargan)."""

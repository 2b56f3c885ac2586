"""Tests of the StarGAN v2 family (stargan_tf.families.stargan_v2)."""

"""StarGAN v2 (Choi et al., CVPR 2020): style-based, diverse multi-domain translation."""

"""StarGAN and its self-attention / hinge variant: config, networks, training step, serving, translation."""

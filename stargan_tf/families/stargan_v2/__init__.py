"""StarGAN v2: config, networks, training step, serving, translation, evaluation."""

"""StarGAN networks and the trainable keras.Model that joins them."""

"""Family-agnostic machinery: run directories, training loop, export, photos."""

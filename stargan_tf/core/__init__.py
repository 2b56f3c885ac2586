"""Family-agnostic machinery: config base, run directories, the training loop, export, photos, grids."""

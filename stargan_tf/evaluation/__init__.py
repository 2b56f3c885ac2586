"""Translation quality: a domain classifier trained on real images, the paper's metrics, and their report."""

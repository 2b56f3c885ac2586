"""Interoperability with the official PyTorch StarGAN: reading its checkpoints, mapping them to our layers."""

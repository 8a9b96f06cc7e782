"""aelab: train autoencoders on MNIST-style images and see what they learn."""

__version__ = "0.1.0"

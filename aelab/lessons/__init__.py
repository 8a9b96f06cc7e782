"""What the Lessons page computes: PCA and k-means as autoencoders, first-layer weights, the bottleneck sweep, the
copying demo."""

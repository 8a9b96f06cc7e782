"""Playground: autoencoders on 2-D and 3-D toy data you can see whole, trained in seconds while you watch: the
reconstructions, the learned manifold beside PCA's line, the vector field x -> g(f(x)) - x, the contraction off the
data, a VAE's posteriors. Draw your own data with the mouse."""
from ui.playground.view import render

render()

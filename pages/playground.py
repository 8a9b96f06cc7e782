"""Playground: autoencoders on 2-D and 3-D toy data you can see whole, trained in seconds while you watch: the
reconstructions, the learned manifold beside PCA's line, the vector field x -> g(f(x)) - x, the contraction off the
data, a VAE's posteriors. Draw your own data with the mouse."""
from ui.common.legacy_pages import leave_legacy_mode
from ui.playground.view import render

leave_legacy_mode()  # a deep link to a fresh server runs this file alone: go through app.py

render()

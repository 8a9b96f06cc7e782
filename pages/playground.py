"""Playground: autoencoders on 2-D and 3-D toy data you can see whole, trained in seconds while you watch: the
reconstructions, the learned manifold beside PCA's line, the vector field x -> g(f(x)) - x, the contraction off the
data, a VAE's posteriors. Draw your own data with the mouse."""
from aelab.views.pages import PlaygroundView
from ui.common.view_state import open_view
from ui.playground.view import render

open_view(PlaygroundView)  # what this page shows: kept across pages, and in its link (its controls bind to it)

render()

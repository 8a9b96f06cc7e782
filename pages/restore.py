"""Denoise and inpaint: corrupt test images, restore them with autoencoders and with classic methods, and score
every method against the clean images (MSE, PSNR, SSIM; overall and inside the damaged pixels)."""
import streamlit as st

from aelab.analysis.restoration import psnr_sweep, score_table
from aelab.data.corruption import CORRUPTION_INFO, strength_range
from aelab.views.pages import RestoreView
from ui.common import present
from ui.common.cache import result_store
from ui.common.selection import current_dataset
from ui.common.view_state import open_view
from ui.restore import (
    MANIFOLD_TEXT,
    N_EXAMPLES,
    build_methods,
    compact_frame,
    corruption_controls,
    method_controls,
    methods_identity,
    methods_params,
    row_kind_sentences,
    score_frame,
    styled_scores,
    sweep_figure,
)
from ui.restore_examples import show_examples, show_presented

view = open_view(RestoreView)  # what this page shows: kept across pages, and in its link

st.title("Denoise and inpaint")
present.intro("Damage test images, then restore them with **autoencoders** (which only know what digits look like) "
            "and with **classic methods** (which only know about pixels and their neighbours), and score each "
            "against the clean image. Inpainting methods are given the mask of damaged pixels.")
dataset = current_dataset()
x_test = dataset.x_test

# Presenting: the corruption's controls in a narrow column, the examples (the main picture) beside them: four rows
# of large images, the two best restorations with their scores (the full table follows below).
wide = present.presenting()
left, right = st.columns([1, 3] if wide else 2, gap="large")
with left:
    choice = corruption_controls(view, dataset.image_size, x_test[:1])
name = view.view.kind
local = CORRUPTION_INFO[name].local
with left if wide else right, present.secondary("Methods and seed"):
    model_keys, classic, keep_known = method_controls(view, dataset.image_size, local)
    seed = int(view.number_input("seed", "Seed", 0, 10_000, key="restore_seed",
                                 help="The same seed gives the same noise and the same box places."))
    # Bound before the page can stop for an empty mask: what a person set is kept whatever the page shows
    n = int(view.value("n", default=min(300, len(x_test)), low=10, high=len(x_test)))

with st.container():  # after the canvas: elements whose number changes live in this one container
    methods, skipped = build_methods(model_keys, classic, keep_known, name)
    if choice is None:
        st.info("Draw on the canvas to mark the pixels to blank out.", icon=":material/draw:")
        st.stop()
    for reason in dict.fromkeys(skipped.values()):  # one line per reason, naming the methods it skips
        names = ", ".join(method for method, why in skipped.items() if why == reason)
        st.caption(f"Skipped (n/a) for {CORRUPTION_INFO[name].label.lower()}: {names}: {reason}.")
    if not methods:
        st.info("Choose at least one autoencoder or classic method.")
        st.stop()

    examples = x_test[:N_EXAMPLES]
    examples_corrupt, examples_mask = choice.apply(examples, seed)
    if not wide:
        st.subheader("Examples")
        with present.main_picture():
            show_examples(examples, examples_corrupt, examples_mask, methods)

    st.subheader("Scores")
    n = int(view.number_input("n", "Test images scored", 10, len(x_test), where=st.columns(3)[0], key="restore_batch",
                              default=min(300, len(x_test)), step=50))
    results, identity = result_store(), methods_identity(dataset, model_keys)
    described = methods_params(model_keys, classic, keep_known)
    table_params = (choice.key, described, n, seed)
    rows = results.get(identity, "restore/table", table_params)
    if rows is None:
        bar = st.progress(0.0, text="Scoring...")
        x = x_test[:n]
        x_corrupt, mask = choice.apply(x, seed)
        rows = results.get_or_compute(identity, "restore/table", table_params, lambda: score_table(
            x, x_corrupt, mask, methods, lambda f, text: bar.progress(f, text=text)))
        bar.empty()
    if wide:  # presenting: four big rows beside the controls, the best restorations with their scores
        with right, present.main_picture():
            show_presented(examples, examples_corrupt, examples_mask, methods, rows)
    st.table(styled_scores(compact_frame(rows), rows))
    scored = rows[0]["images"]
    left_out = (f" ({n - scored} left out: the corruption changed nothing in them, e.g. a box on blank background, "
                "so there was nothing to restore)" if scored < n else "")
    st.caption(f"Means over {scored} of {n} test images{left_out} (seed {seed}); higher is better, the best of each "
               "column in **bold green**.  \n" + row_kind_sentences(rows))
    with st.expander("All scores: MSE, inside the mask, ms / image, and how each is computed"):
        st.table(styled_scores(score_frame(rows, local), rows))
        st.caption("PSNR is the mean over images of "
                   "each image's 10 log10(1 / MSE) (pixels in [0, 1]; a perfect image counts as 100 dB), as "
                   "scikit-image's peak_signal_noise_ratio gives it per image; SSIM is scikit-image's "
                   "structural_similarity (Gaussian 11x11 window, sigma 1.5, the border band the window overhangs left "
                   "out; smaller on images under 11 pixels a side), and inside the mask the mean of its map over the "
                   "damaged pixels. Best per column in **bold green**; the first row is "
                   "the corrupted input itself. A model's row scores its whole reconstruction; '+ known pixels' rows "
                   "keep the pixels the corruption did not touch and score the model's output only inside the mask"
                   + (", so inside the mask they tie with the model." if keep_known else ".")
                   + ("" if local else " Gaussian noise touches every pixel, so there is no separate in-mask score."))

    st.subheader("PSNR against strength")
    if CORRUPTION_INFO[name].strength is None:
        st.caption("A drawn mask has no strength to sweep: choose another corruption.")
    else:
        s = strength_range(name, dataset.image_size)
        n_sweep = min(n, 200)
        options = dict(choice.options)  # the box's fill and place; the strength is what varies
        sweep_params = (name, str(options), described, n_sweep, seed)
        sweep = results.get(identity, "restore/sweep", sweep_params)
        if st.button(f"Compute PSNR at {len(s.sweep)} strengths on {n_sweep} images", key="restore_sweep",
                     disabled=sweep is not None, icon=":material/show_chart:"):
            bar = st.progress(0.0, text="Sweeping...")
            sweep = results.get_or_compute(identity, "restore/sweep", sweep_params, lambda: psnr_sweep(
                x_test[:n_sweep], name, s.sweep, methods, seed, lambda f, text: bar.progress(f, text=text), **options))
            bar.empty()
        if sweep is not None:
            column = view.radio("score", "Score", ["PSNR (dB)", "PSNR in mask (dB)"] if local else ["PSNR (dB)"],
                                key="restore_sweep_column", horizontal=True)
            st.plotly_chart(sweep_figure(sweep, column, s.label), key="restore_sweep_chart")
            st.caption("Each point: the mean over images of each image's PSNR, on the images that strength changed.")
        else:
            st.caption("Computed on demand: each method at every strength (random box places, as above).")

    with st.expander("Why does a denoising autoencoder work?", expanded=False):
        st.markdown(MANIFOLD_TEXT)

"""Home: what each page teaches, each with a small picture from the current data and model. Drawn without torch
(ui/home/cards.py: the pictures are kept beside the models), so the app opens fast."""
import streamlit as st

from aelab.views.pages import HomeView
from ui.common import present
from ui.common.selection import current_data
from ui.common.session import session
from ui.common.view_state import open_view
from ui.components.prefetch import prefetch_chunks
from ui.home import cards

open_view(HomeView)  # (Home has nothing to set; opening its view leaves a fresh server's legacy mode too)

st.title("What do autoencoders learn?")
present.intro(
    "An **autoencoder** squeezes an image through a small **code** (the latent space) and rebuilds it. What it "
    "keeps, and how it arranges the codes, is what these pages let you see. Everything runs on this machine, "
    "offline, on the bundled MNIST digits (or scikit-learn's small 8x8 digits) and their pretrained models; pick "
    "another dataset or model in the sidebar.")

dataset = current_data()
model = session.model_key  # the sidebar's choice ("pretrained/ae"), None when no model fits the data


st.caption(f"Dataset **{dataset.name}**: {dataset.n_train:,} training and {dataset.n_test:,} test "
           f"images of {dataset.image_size[0]}x{dataset.image_size[1]} pixels. Model: "
           f"**{model.partition('/')[2] if model else 'none yet'}**.")


# (page, title, what it teaches, a function drawing its small picture)
# Each page adds its card here when it is registered in app.py.
CARDS = [
    ("pages/train.py", "Train", "Pick a variant and its knobs, train it here, and watch the loss fall, the "
     "reconstructions sharpen and the classes sort themselves into clusters in the latent space.",
     cards.draw_train_card),
    ("pages/latent.py", "Latent space", "Every test image as a point placed by its code (PCA, UMAP or two raw "
     "dimensions): click or lasso points to see them, draw your own digit and see where it lands.",
     cards.draw_latent_card),
    ("pages/traverse.py", "Traverse", "Change one number of a digit's code, keep the others, and see what it "
     "controls (slant, width, which digit): one slider per dimension, a traversal grid and an animated sweep.",
     cards.draw_traverse_card),
    ("pages/interpolate.py", "Interpolate", "Pixel space blends, latent space morphs: walk "
     "between two digits' codes and one turns into the other, while a pixel blend is two ghosts off the data "
     "manifold.",
     cards.draw_interpolate_card),
    ("pages/generate.py", "Generate", "Decode random codes: a VAE's prior samples look like digits, a plain "
     "autoencoder's mostly do not. Why a VAE and not a plain AE, with a seed to show it twice.",
     cards.draw_generate_card),
    ("pages/restore.py", "Denoise and inpaint",
     "Damage digits with noise, holes or a box and compare how autoencoders and classic methods (OpenCV "
     "inpainting, median, non-local means) restore them, scored by PSNR and SSIM.", cards.draw_restore_card),
    ("pages/anomalies.py", "Anomalies",
     "An autoencoder reconstructs only what it has seen: its reconstruction error tells test digits from noise, "
     "inverted digits or another dataset, measured by ROC AUC.", cards.draw_anomalies_card),
    ("pages/applications.py", "Applications",
     "What autoencoders are for: compression against JPEG and WebP (and where it stops working), super-resolution, "
     "watermark removal, and a 1-D code that memorises its training images.", cards.draw_applications_card),
    ("pages/lessons.py", "Lessons",
     "Classic facts shown live: PCA and k-means are autoencoders, how error falls with code size, why an "
     "over-complete code copies noise, and what the first layer's units look at.", cards.draw_lessons_card),
    ("pages/playground.py", "Playground",
     "Autoencoders on 2-D and 3-D points you can see whole, trained in seconds while you watch: the curve a code "
     "learns beside PCA's line, the pull of the reconstruction back onto the data, a VAE's posteriors; draw your "
     "own data with the mouse.", cards.draw_playground_card),
    ("pages/factors.py", "Known factors",
     "Shapes drawn from five known causes (shape, scale, rotation, position): how much each latent dimension "
     "captures each cause, scored with MIG, DCI and SAP, and how a beta-VAE trades reconstruction for it.",
     cards.draw_factors_card),
]
# The cards that need no model (the rest are pictures of the current model)
WITHOUT_MODEL = {cards.draw_applications_card, cards.draw_playground_card, cards.draw_factors_card}

if present.presenting():  # the pictures, two a row, each under its page's link: the page's main picture
    with present.main_picture():
        for row in range(0, len(CARDS), 2):
            for column, (page, title, _, draw) in zip(st.columns(2, gap="large"), CARDS[row:row + 2]):
                with column:
                    st.page_link(page, label=f"**{title}**")
                    if model is not None or draw in WITHOUT_MODEL:
                        draw()
    prefetch_chunks()
    st.stop()

for page, title, text, draw in CARDS:
    with st.container(border=True):
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            st.page_link(page, label=f"**{title}**")
            st.markdown(text)
        with right:
            if model is not None or draw in WITHOUT_MODEL:
                draw()

prefetch_chunks()  # Home has no charts: the browser loads Plotly now, for the pages that have them

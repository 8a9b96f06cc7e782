"""Generate: why a VAE and not a plain AE. Random codes decoded by each, side by side, reproducible by seed."""
from contextlib import nullcontext

import streamlit as st
import torch

from aelab.analysis.generation import ae_fitted_samples, ae_prior_samples, code_scale, vae_prior_samples
from aelab.analysis.images import grid, png_bytes
from aelab.analysis.latent import encode_dataset
from aelab.views.pages import GenerateView
from ui.common import cache, present
from ui.common.lesson_file import lesson_controls
from ui.common.selection import current_dataset, loadable, model_choices, model_configs
from ui.common.session import session
from ui.common.view_state import open_view
from ui.generate import HIGH, LOW, live_notice, live_reason, live_temperature, take_released_temperature
from ui.variants import codebook_section, conditional_section

view = open_view(GenerateView)  # what this page shows: kept across pages, and in its link

st.title("Generate: sampling from the prior")
present.intro(
    "A generative model should turn **random codes** into plausible images. A VAE is trained for exactly that: its "
    "KL term pulls the codes towards the prior N(0, I). A plain autoencoder is only asked to reconstruct, so its "
    "codes sit wherever that was easiest. Decode random codes from each and compare.")

dataset = current_dataset()
choices = model_choices(dataset.image_size)
configs = model_configs(dataset.image_size)  # sorted by kind from their configs; only the models shown are loaded
vae_keys = [k for k, c in configs.items() if c.variational]
# A VQ-VAE's code is discrete: N(0, I) codes mean nothing to it (its own section, at the end, says why).
ae_keys = [k for k, c in configs.items() if not c.variational and c.arch != "kmeans" and c.arch != "soft_kmeans"
           and not c.quantized]
labels = {key: label for label, key in choices.items()}
if not vae_keys or not ae_keys:
    st.info(f"This page needs a VAE and a plain autoencoder for {dataset.image_size[0]}x{dataset.image_size[1]} "
            "images: train them on the Train page (variants vae and ae).")
    st.stop()


def default(keys: list[str], preferred: str) -> str:
    """The sidebar's model if it is of this kind; else one with the sidebar model's latent size (pretrained first),
    so vae-2d is compared with ae-2d; else preferred."""
    current = session.model_key
    dim = configs[current].latent_dim if current in configs else None
    same_size = sorted((k for k in keys if configs[k].latent_dim == dim),
                       key=lambda k: (k != preferred, not k.startswith("pretrained/"), k))
    for wanted in [current, *same_size, preferred]:
        if wanted in keys:
            return wanted
    return keys[0]


@st.cache_data(show_spinner="Encoding the training images...", max_entries=16)
def data_codes(identity: str, _model, _x: torch.Tensor) -> torch.Tensor:
    return encode_dataset(_model, _x)


# Presenting, the live grid (the main picture) takes the left and the controls sit beside it; otherwise one column.
picture_column, controls = st.columns([3, 2], gap="large") if present.presenting() else (st.container(),) * 2
with controls, present.secondary("Models and grid size"):
    left, middle, right = st.columns(3)
    vae_key = view.selectbox("vae", "VAE", vae_keys, where=left, key="generate_vae",
                             default=default(vae_keys, "pretrained/vae"), format_func=labels.get)
    ae_key = view.selectbox("ae", "Plain autoencoder", ae_keys, where=middle, key="generate_ae",
                            default=default(ae_keys, "pretrained/ae"), format_func=labels.get)
    side = view.slider("side", "Grid side", 3, 12, where=right, key="generate_side",
                       help="The grids hold side x side samples.")
# Loaded now: the two compared, and the ones the sections at the end show (discrete and conditional codes).
records, failed = loadable(dict.fromkeys([vae_key, ae_key, *(k for k, c in configs.items()
                                                             if c.quantized or c.n_classes)]))
for key, reason in failed.items():  # a model that fails to load is named, not fatal
    st.warning(f"{key} is left out: it could not be loaded ({reason}).", icon=":material/broken_image:")
if vae_key in failed or ae_key in failed:
    st.stop()  # (it is known to fail from now on: the pickers leave it out on the next run)
take_released_temperature(view, records[vae_key])  # a temperature let go in the live grid becomes the page's
reason = live_reason(records[vae_key])
live = reason is None
# One temperature control: the live grid's own slider (the samples follow it as it is dragged), or, where the grid
# cannot run live, the page's.
with controls:
    lesson_controls("generate", view, records[vae_key], dataset, model_key=vae_key)  # (none while presenting)
    # (presenting, the controls' column is narrow: the seed and its button share it)
    cells = st.columns(2 if live and present.presenting() else 3, vertical_alignment="bottom")
    if live:
        temperature = view.value("temperature", low=LOW, high=HIGH)
    else:
        temperature = view.slider("temperature", "Temperature", LOW, HIGH, where=cells[0],
                                  key="generate_temperature", step=0.01,
                                  help="Scales the standard deviation of the random codes: lower gives clearer, less "
                                       "varied samples; higher wanders off where the decoder was never trained.")
        live_notice(reason)
    seed_cell, button_cell = cells[-2:] if not live else cells[:2]
    seed = view.number_input("seed", "Seed", 0, 2**31 - 1, where=seed_cell, key="generate_seed", step=1,
                             help="The same seed gives the same grids, so a class can see them twice.")


def resample() -> None:
    view.set(seed=int(view.view.seed) + 1)


button_cell.button("Resample", on_click=resample, key="generate_resample", icon=":material/casino:",
                   help="Draw new random codes (moves the seed on by one).")
if live:
    with picture_column, present.main_picture():
        live_temperature(records[vae_key], side, temperature, int(seed))
vae, ae = records[vae_key].model, records[ae_key].model
ae_codes = data_codes(cache.key(records[ae_key], dataset), ae, dataset.x_train)
n = side * side
grids = [vae_prior_samples(vae, n, temperature, int(seed)), ae_prior_samples(ae, n, temperature, int(seed)),
         ae_fitted_samples(ae, ae_codes, n, temperature, int(seed))]
pictures = [grid(g.images, ncol=side, scale=2) for g in grids]

for i, (column, generated, picture) in enumerate(zip(st.columns(3), grids, pictures)):
    with column:
        st.subheader(generated.title, divider="gray")
        with present.main_picture() if i == 0 and not live else nullcontext():  # without the live grid: the VAE's
            st.image(picture, caption=f"{n} samples, seed {int(seed)}, temperature {temperature:.2f}",
                     width="stretch")
        st.caption(generated.note)

scale = code_scale(ae_codes)
st.markdown(
    f"**Why N(0, I) fails for the plain AE:** its codes have a mean norm of {scale['mean_norm']:.1f}, a typical "
    f"standard deviation of {scale['mean_std']:.2f} per dimension and a mean offset of "
    f"{scale['mean_abs_mean']:.2f}, while samples from N(0, I) have norm about {scale['prior_norm']:.1f} and "
    "are centred at 0: most random codes land where the decoder was never trained.")
st.download_button("Download the three grids (PNG)", png_bytes(grid(torch.cat([g.images for g in grids]),
                                                                     ncol=side, scale=2)),
                   file_name=f"generate-seed{int(seed)}.png", mime="image/png", key="generate_download")

if records[vae_key].model_config.n_classes:
    st.caption(f"{records[vae_key].name} is conditional: its samples are decoded as the class chosen in the sidebar.")
codebook_section(view, {k: r for k, r in records.items() if r.model_config.quantized}, dataset)
conditional_section(view, {k: r for k, r in records.items() if r.model_config.n_classes}, dataset)

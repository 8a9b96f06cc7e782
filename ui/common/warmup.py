"""Once per server process, on the first visit to the Latent Space page: start compiling UMAP's small-map kernels in
the background (aelab.runtime.warmup: bounded, lowest priority). Not at server start: a server nobody visits uses no
CPU, and the first pages a class opens do not compete with a compile."""
from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime import Runtime

from aelab.runtime.warmup import Warmup, start_warmup

# Seconds between the first Latent Space visit and the compile: that page (and the next click) settle first. A map
# that needs UMAP before then compiles it itself, as it would without a warm-up.
WARMUP_DELAY_S = float(os.environ.get("AELAB_UMAP_WARMUP_DELAY", "5"))


def real_server() -> bool:
    """False under AppTest, which runs pages on a mocked Runtime: a 25 s UMAP compile (this warm-up, or the map a
    training job computes at its end) in every test process would only slow the tests down (they use small subsets,
    the shipped projections, or give a job its map themselves)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


@st.cache_resource(show_spinner=False)
def umap_warmup() -> Warmup | None:
    """The process's UMAP warm-up (started on the first call), or None when off: AELAB_UMAP_WARMUP=0, or AppTest."""
    if os.environ.get("AELAB_UMAP_WARMUP", "1") == "0" or not real_server():
        return None
    return start_warmup("UMAP", delay_s=WARMUP_DELAY_S)

"""Once per server process: start compiling UMAP in the background (aelab.runtime.warmup), called from app.py."""
from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime import Runtime

from aelab.runtime.warmup import Warmup, start_warmup


def _real_server() -> bool:
    """False under AppTest, which runs pages on a mocked Runtime: a 25 s compile in every test process would only
    slow the tests down (they use small subsets or the shipped projections)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


@st.cache_resource(show_spinner=False)
def umap_warmup() -> Warmup | None:
    """The process's UMAP warm-up (started on the first call), or None when off: AELAB_UMAP_WARMUP=0, or AppTest."""
    if os.environ.get("AELAB_UMAP_WARMUP", "1") == "0" or not _real_server():
        return None
    return start_warmup("UMAP")

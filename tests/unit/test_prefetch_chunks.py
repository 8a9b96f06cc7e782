"""The browser-code prefetch names chunks of the installed Streamlit: each one it lists is found (a new Streamlit
with another build layout fails here, so the list is checked again rather than silently prefetching nothing)."""
from ui.components.prefetch import CHUNKS, chunk_paths


def test_every_listed_chunk_is_one_file_of_the_installed_streamlit():
    paths = chunk_paths()
    assert len(paths) == len(CHUNKS)
    assert all(path.startswith("static/js/") and path.endswith(".js") for path in paths)
    assert [path.split("/")[-1].split(".")[0] for path in paths] == list(CHUNKS)

"""Opening a page never pays for a heavy library it may not use: importing app.py's and every page's modules (what a
server does on a page's first visit) loads neither UMAP / numba nor scikit-learn / SciPy nor pandas. Those are
imported inside the functions that need them (a UMAP fit, a score table), so the first paint does not wait ~1-10 s
for them. torch and OpenCV are imported by the pages that compute with the model, but not by Home: drawing Home (the
first page, with the sidebar) imports no torch at all, its pictures being kept beside the models."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.import_graph import imports_of

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("umap", "numba", "pynndescent", "sklearn", "scipy", "pandas")


def _page_modules() -> list[str]:
    """The ui.* and aelab.* modules app.py and pages/*.py import at module level."""
    modules: list[str] = []
    for path in [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]:
        for ref in imports_of(path, path.stem):
            if ref.module_level and ref.module.split(".")[0] in ("ui", "aelab") and ref.module not in modules:
                modules.append(ref.module)
    return modules


def test_page_modules_do_not_import_heavy_libraries():
    modules = _page_modules()
    assert "ui.latent.view" in modules and "ui.restore" in modules and "ui.anomalies" in modules
    # A component that needs a running server fails to import outside one; the rest is still imported and checked.
    code = (f"import sys\nfor m in {modules!r}:\n    try: __import__(m)\n    except Exception: pass\n"
            f"import json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported at page import time: {loaded}"


HOME_RUN = """import json, sys
from streamlit.testing.v1 import AppTest
from ui.common.legacy_pages import navigation_only_in_apptest
navigation_only_in_apptest()
at = AppTest.from_file('app.py', default_timeout=120)
for key, value in json.loads(sys.argv[1]).items():
    at.session_state[key] = value
at.run()
assert not at.exception, at.exception
captions = [image.caption for element in at.get("image") for image in element.proto.imgs]
print(json.dumps({"loaded": sorted({m.split('.')[0] for m in sys.modules}), "captions": captions}))
"""


def run_home(env: dict[str, str] | None = None, **session_state) -> dict:
    """Home drawn by a fresh process (AppTest of app.py): the top-level modules it had loaded, and its pictures'
    captions."""
    result = subprocess.run([sys.executable, "-c", HOME_RUN, json.dumps(session_state)], cwd=REPO,
                            capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_run_of_home_imports_none_of_them():
    """Not only its modules: drawing Home (its cards, the sidebar, the browser-code prefetch) loads no heavy library
    either. A component given a dict holding a list made Streamlit look for dataframes in it, which imports pandas
    and pyarrow (~0.5 s of a cold Home)."""
    assert set(run_home()["loaded"]) & {*HEAVY, "pyarrow"} == set()


def test_drawing_home_imports_no_torch(tmp_path):
    """The sidebar lists datasets and models from their catalogue and configs, and every card is drawn (from the
    arrays shipped beside the pretrained models, aelab.analysis.cards) without importing torch: ~1.5 s of import
    alone that a cold Home paid before."""
    home = run_home({"AELAB_HOME": str(tmp_path)})
    assert "torch" not in home["loaded"]
    captions = " | ".join(home["captions"])
    for picture in ("test codes by PCA", "each swept", "decoded latent path", "random codes decoded by", "a box over",
                    "most typical", "28x28 out", "first-layer units", "two moons", "five known factors"):
        assert picture in captions, f"no {picture!r} picture on Home: {captions}"

"""Write requirements.txt from pyproject.toml, the one source of truth for aelab's dependencies.

Run from the repository root:

    .venv/bin/python -m scripts.sync_requirements          # rewrite requirements.txt
    .venv/bin/python -m scripts.sync_requirements --check  # exit 1 when requirements.txt is out of date

requirements.txt is what ./run.sh installs into .venv (and its stamp reinstalls when that file changes): the
runtime dependencies, then the app, cluster and test extras, exact pins in pyproject's order. It does not install aelab
itself: the app and the tests run from the checkout (./run.sh runs from the repository root).
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUPS = (("runtime (the aelab library)", None), ("app extra (Streamlit app: app.py, pages/, ui/)", "app"),
          ("cluster extra (trainings on a Ray cluster: AELAB_RAY_ADDRESS)", "cluster"),
          ("test extra (unit, AppTest, real-browser with the system Chromium; ruff)", "test"))
HEADER = """\
# GENERATED from pyproject.toml by `.venv/bin/python -m scripts.sync_requirements`: edit pyproject.toml, not this.
# ./run.sh installs this file (again only when it changes); tests/unit/test_requirements.py checks it is current.
# torch stays pinned to 2.13.0 (the reason is in pyproject.toml): a newer or unpinned torch pulls GBs of CUDA.
"""


def dependency_groups(pyproject: dict) -> list[tuple[str, list[str]]]:
    """(title, requirement strings) for the runtime dependencies and each extra that run.sh installs."""
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    return [(title, project["dependencies"] if extra is None else extras[extra]) for title, extra in GROUPS]


def render(pyproject: dict) -> str:
    """The text requirements.txt must hold for this pyproject."""
    lines = [HEADER.rstrip("\n")]
    for title, requirements in dependency_groups(pyproject):
        lines.append(f"# {title}")
        lines.extend(requirements)
    return "\n".join(lines) + "\n"


def read_pyproject(repo: Path) -> dict:
    return tomllib.loads((repo / "pyproject.toml").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when requirements.txt differs")
    args = parser.parse_args(argv)
    wanted = render(read_pyproject(REPO))
    target = REPO / "requirements.txt"
    if args.check:
        current = target.read_text() if target.exists() else ""
        if current != wanted:
            print("error: requirements.txt is out of date; run .venv/bin/python -m scripts.sync_requirements",
                  file=sys.stderr)
            return 1
        return 0
    target.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The server's own time per script run, measured inside the server, for the benchmarks (bench/classroom.py).

With AELAB_RUN_LOG=PATH set, the app appends one line per run of a page (and per refresh of the class wall) to PATH:
what ran, the run's wall-clock seconds and the CPU seconds its thread used. A browser on the same machine cannot
tell the server's time from its own; this can. Off (and free) when the variable is unset. Nothing here knows
Streamlit.
"""
from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

ENV = "AELAB_RUN_LOG"


class RunLog:
    """Appends "what<TAB>wall_s<TAB>cpu_s" lines to a file, one write per line (safe from several threads)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, what: str, wall_s: float, cpu_s: float) -> None:
        line = f"{what.replace(chr(9), ' ')}\t{wall_s:.6f}\t{cpu_s:.6f}\n"
        with self._lock, open(self.path, "a") as f:
            f.write(line)


def from_environment() -> RunLog | None:
    path = os.environ.get(ENV, "").strip()
    return RunLog(path) if path else None


def read(path: str | Path) -> dict[str, list[tuple[float, float]]]:
    """{what: [(wall_s, cpu_s), ...]} from a run log (lines that do not parse are skipped)."""
    runs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 3:
            try:
                runs[parts[0]].append((float(parts[1]), float(parts[2])))
            except ValueError:
                continue
    return dict(runs)

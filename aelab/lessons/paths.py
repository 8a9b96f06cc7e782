"""Where the Lessons page's shipped results live (pretrained/_lessons/), and what the lessons' builders share."""
from __future__ import annotations

from collections.abc import Callable

from aelab.library.store import PRETRAINED_ROOT

LESSONS_ROOT = PRETRAINED_ROOT / "_lessons"
ProgressCallback = Callable[[float, str], None]  # (fraction done in [0, 1], what is being done)


def safe_name(name: str) -> str:
    """A dataset name as a file name (user data names may hold any character)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)

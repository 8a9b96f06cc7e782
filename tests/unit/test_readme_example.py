"""The README's "Use aelab as a library" example runs as printed (it is the first thing a library user copies)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Use aelab as a library"


def library_example(text: str) -> str:
    """The first ```python block of the README's library section."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)\n```", section, re.DOTALL)
    assert found, f"no python block under {SECTION!r}"
    return found.group(1)


@pytest.mark.slow
def test_the_readme_library_example_runs(tmp_path, monkeypatch, capsys, single_thread):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))  # in case the example ever saves without root=
    monkeypatch.chdir(tmp_path)
    code = library_example(README.read_text())
    assert "aelab.fit(" in code and "aelab.load_model(" in code and "aelab.encode_dataset(" in code
    exec(compile(code, f"{README.name} ({SECTION})", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    trained = re.search(r"^3 epochs, test MSE (0\.[0-9]+), PSNR ([0-9.]+) dB$", printed, re.MULTILINE)
    assert trained, printed
    assert float(trained.group(1)) < 0.06  # it learned: predicting the mean image scores 0.067 (0.048 measured)
    assert "my-vae vae (1000, 8)" in printed
    assert not (tmp_path / "library").exists()  # the example cleaned up after itself

"""Uploads through the browser against the memory budget (aelab.data.budget, ui.common.uploads), on a server of its
own with small budgets (2 MiB per upload, 4 MiB per session) and its process's memory read from /proc:

- the issue's 0.8 MB files (an .npz and an IDX .gz of 200,000 blank 64x64 images, 3.3 GB as floats) are refused with
  the budget's message, and the server's peak resident memory meanwhile stays within PEAK_MARGIN_MIB of where it was
  (measured here: +1 to +2 MiB; before the budget, the .npz took +7.2 GB at peak and kept 3.2 GB: bench.upload_memory);
- three uploads in one tab that together pass the session's budget: the third is refused, naming it;
- images under 8 pixels a side are refused at the uploader, and the pages they used to crash show no exception.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.app_server import SERVER_PIDS, reset_peak, resident_mib, running_app, upload_file, wait_idle
from tests.e2e.conftest import open_page
from tests.hostile_files import compressed_npz, idx_gz

pytestmark = pytest.mark.e2e

PEAK_MARGIN_MIB = 256  # a quarter of the 1 GB the issue allows, over a hundred times what was measured


@pytest.fixture(scope="module")
def budget_server(tmp_path_factory):
    """A server whose budgets small files can fill; no background imports after the first page (they would land in
    the memory measured)."""
    env = {"AELAB_UPLOAD_BUDGET_MB": "2", "AELAB_SESSION_BUDGET_MB": "4", "AELAB_WARM_IMPORTS": "0"}
    with running_app(tmp_path_factory.mktemp("budget_server"), env) as base:
        yield base


def _sidebar_errors(page) -> list[str]:
    alerts = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]')
    return [text.replace("\u2060", "") for text in alerts.all_inner_texts() if "Could not" in text]


@pytest.mark.parametrize("build", [
    lambda folder: compressed_npz(folder / "z.npz", (200_000, 64, 64), labels=200_000),
    lambda folder: idx_gz(folder / "train-images-idx3-ubyte.gz", (200_000, 64, 64), 200_000 * 64 * 64),
], ids=["npz", "idx-gz"])
def test_a_small_file_declaring_gigabytes_is_refused_for_a_few_megabytes(page, budget_server, tmp_path, build):
    path = build(tmp_path)
    assert path.stat().st_size < 1_000_000
    open_page(page, budget_server)
    pid = SERVER_PIDS[budget_server]
    before = resident_mib(pid)["rss"]
    reset_peak(pid)
    assert upload_file(page, path)[0] == "refused"
    wait_idle(page)
    peak = resident_mib(pid)["peak"] - before
    print(f"{path.name}: server peak +{peak:.0f} MiB over {before:.0f} MiB")
    errors = _sidebar_errors(page)
    assert len(errors) == 1 and "would take 3,127 MiB" in errors[0], errors
    assert "more than the 2.0 MiB allowed per upload (AELAB_UPLOAD_BUDGET_MB)" in errors[0]
    assert peak <= PEAK_MARGIN_MIB


def test_the_upload_that_takes_a_tab_past_its_session_budget_is_refused(page, budget_server, tmp_path):
    """Three uploads of 6,000 8x8 images, 1.5 MiB each as floats: two fit the session's 4 MiB, the third does not."""
    rng = np.random.default_rng(0)
    paths = []
    for name in ("first.npz", "second.npz", "third.npz"):
        np.savez(tmp_path / name, x=rng.integers(0, 256, (6000, 8, 8), dtype=np.uint8), y=np.arange(6000) % 10)
        paths.append(tmp_path / name)
    open_page(page, budget_server)
    assert [upload_file(page, path)[0] for path in paths] == ["accepted", "accepted", "refused"]
    errors = _sidebar_errors(page)
    assert len(errors) == 1 and errors[0].startswith("Could not use third.npz"), errors
    assert "more than the 1.0 MiB left of this session's 4.0 MiB (AELAB_SESSION_BUDGET_MB" in errors[0]
    assert page.get_by_role("combobox", name="Dataset").input_value().startswith("second.npz")


def test_images_too_small_for_the_pages_are_refused_at_the_uploader(page, budget_server, tmp_path):
    np.savez(tmp_path / "strips.npz", x=np.zeros((20, 1, 64), np.uint8))  # 1x64: crashed Train, Denoise, Lessons
    open_page(page, budget_server)
    assert upload_file(page, tmp_path / "strips.npz")[0] == "refused"
    errors = _sidebar_errors(page)
    assert len(errors) == 1 and "are 1x64 pixels, smaller than the 8-pixel side the pages need" in errors[0]
    for link in ("Train", "Denoise and inpaint", "Lessons"):
        page.get_by_role("link", name=link).first.click()
        wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, link

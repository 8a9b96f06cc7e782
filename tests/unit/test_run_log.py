"""The benchmarks' log of the server's own time per run (aelab.runtime.run_log): lines written from several threads
read back whole, per page; off without AELAB_RUN_LOG."""
from __future__ import annotations

import threading

from aelab.runtime.run_log import RunLog, from_environment, read


def test_runs_recorded_from_many_threads_read_back_per_page(tmp_path):
    log = RunLog(tmp_path / "runs.tsv")
    threads = [threading.Thread(target=lambda i=i: [log.record(f"page{i % 2}", 0.5, 0.25) for _ in range(100)])
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(tmp_path / "runs.tsv", "a") as f:
        f.write("torn line\n")
    runs = read(tmp_path / "runs.tsv")
    assert sorted(runs) == ["page0", "page1"] and len(runs["page0"]) == len(runs["page1"]) == 200
    assert runs["page0"][0] == (0.5, 0.25)


def test_the_log_is_off_unless_asked_for(monkeypatch, tmp_path):
    monkeypatch.delenv("AELAB_RUN_LOG", raising=False)
    assert from_environment() is None and read(tmp_path / "absent") == {}
    monkeypatch.setenv("AELAB_RUN_LOG", str(tmp_path / "x"))
    assert from_environment().path == tmp_path / "x"

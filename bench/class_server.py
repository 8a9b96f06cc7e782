"""The server's own figures for bench/classroom.py: what the Streamlit process itself costs per student, apart from the
browsers (which share this machine's cores) and from the training workers; and the teacher's class wall, open and
refreshing through the run, with its cost per refresh.

- CPU: the server process's own utime + stime (not its children's), its training workers' (its descendants'), and
  the browsers'; the server's CPU seconds per student per minute of the class.
- Time per script run, measured inside the server (AELAB_RUN_LOG: aelab.runtime.run_log): p50 / p95 per page, wall
  clock and the run's own thread CPU, and the wall's refreshes.
- RSS: the server's before any session, at its peak, and per student ((peak - before) / N).
- The wall's cost per refresh: its refresh's own thread CPU from the run log, during the class (the wall refreshing
  every REFRESH_S while trainings run) and after it; and, after the class, the server's CPU over a window with the
  wall open less a window with it closed, divided by the refreshes in the first window (everything the server does
  for a refresh, the websocket's sending included, but as noisy as the rest of the server's work in those windows).
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from aelab.runtime.run_log import read as read_run_log
from tests.app_server import VIEWPORT

TEACHER_KEY = "bench teacher key, long enough"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu_seconds(pid: int) -> float:
    """utime + stime of the process alone (its children's are not counted)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))] if values else float("nan")


# ------------------------------------------------------------------------------------------------- the teacher
class Teacher:
    """A teacher's browser context with the class wall open from start to end."""

    def __init__(self, browser, base: str):
        self.browser, self.base = browser, base
        self.page = None
        self.tiles = 0
        self.error: str | None = None

    async def open(self) -> None:
        try:
            self.context = await self.browser.new_context(viewport=VIEWPORT)
            self.context.set_default_timeout(180_000)
            self.page = await self.context.new_page()
            await self.page.goto(self.base + "/class", timeout=180_000)
            field = self.page.get_by_label("Teacher key")
            await field.fill(TEACHER_KEY)
            await field.press("Enter")
            await self.page.get_by_role("button", name="Lock").wait_for(timeout=180_000)
        except Exception as err:  # the class goes on without the wall; the report says so
            self.error = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"

    async def count_tiles(self) -> int:
        if self.page is not None and self.error is None:
            self.tiles = await self.page.locator('[data-testid="wall-tile"]').count()
        return self.tiles

    async def leave_wall(self) -> None:
        """To Home by the sidebar (the session stays; the wall's fragment stops)."""
        await self.page.get_by_role("link", name="Home").first.click()
        await self.page.wait_for_selector('[data-testid="stSidebar"]')
        await asyncio.sleep(5)

    async def close(self) -> None:
        if self.page is not None:
            await self.context.close()


async def settle(pid: int, period_s: float = 5.0, below: float = 0.05, longest_s: float = 180.0) -> float:
    """Wait until the server uses under `below` of a core over period_s (the new models' UMAPs, computed in the
    server after their trainings, would otherwise land in the first window); the seconds waited."""
    waited = 0.0
    while waited < longest_s:
        cpu0 = own_cpu_seconds(pid)
        await asyncio.sleep(period_s)
        waited += period_s
        if own_cpu_seconds(pid) - cpu0 < below * period_s:
            break
    return waited


async def refresh_cost(teacher: Teacher, pid: int, run_log: Path, window_s: float) -> dict[str, float]:
    """After the class: the server's CPU over window_s with the wall open, then with it closed; per refresh."""
    during = read_run_log(run_log).get("class/refresh", [])
    settled_s = await settle(pid)
    cpu0 = own_cpu_seconds(pid)
    await asyncio.sleep(window_s)
    open_cpu = own_cpu_seconds(pid) - cpu0
    after = read_run_log(run_log).get("class/refresh", [])[len(during):]
    refreshes = len(after)
    tiles = await teacher.count_tiles()
    await teacher.leave_wall()
    cpu0 = own_cpu_seconds(pid)
    await asyncio.sleep(window_s)
    closed_cpu = own_cpu_seconds(pid) - cpu0
    return {"open": open_cpu, "closed": closed_cpu, "refreshes": refreshes, "tiles": tiles,
            "per_refresh": (open_cpu - closed_cpu) / refreshes if refreshes else float("nan"),
            "during": during, "after": after, "settled_s": settled_s}


# ------------------------------------------------------------------------------------------------- report
def report_server(n: int, minutes: float, cpu: dict[str, float], rss: dict[str, float], run_log: Path,
                  wall: dict[str, float] | None, teacher: Teacher | None) -> None:
    """The server's own figures, apart from the browsers'."""
    per_student = cpu["server"] / n / minutes if minutes > 0 else float("nan")
    print(f"\nserver's own figures ({n} students, class {minutes:.1f} min):")
    print(f"  CPU seconds: server process {cpu['server']:.1f} (= {per_student:.2f} s per student per minute), "
          f"training workers {cpu['workers']:.1f}, browsers {cpu['browsers']:.1f}")
    marginal = (rss["peak"] - rss["after 1st session"]) / max(1, n - 1)
    print(f"  RSS MB: before {rss['before']:.0f}, after the first session {rss['after 1st session']:.0f}, peak "
          f"{rss['peak']:.0f}: {(rss['peak'] - rss['before']) / n:.1f} MB per student with the first session's "
          f"torch and models, {marginal:.1f} MB per further student")
    runs = read_run_log(run_log)
    print(f"  time per script run, inside the server ({sum(len(v) for v in runs.values())} runs):")
    print(f"  {'page':<16}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu p50':>9}{'cpu p95':>9}")
    for page in sorted(runs):
        walls, cpus = [w * 1000 for w, _ in runs[page]], [c * 1000 for _, c in runs[page]]
        print(f"  {page:<16}{len(walls):>6}{percentile(walls, .5):>9.0f}{percentile(walls, .95):>9.0f}"
              f"{max(walls):>9.0f}{percentile(cpus, .5):>9.0f}{percentile(cpus, .95):>9.0f}")
    if teacher is not None and teacher.error:
        print(f"  the teacher's wall did not open: {teacher.error}")
    if wall is not None:
        _report_wall(wall, cpu["server"], minutes)


def _report_wall(wall: dict, server_cpu: float, minutes: float) -> None:
    """The wall's refreshes as the server timed them (its thread's CPU), then the open-less-closed cross-check."""
    from ui.classroom.wall import IDLE_REFRESH_S, REFRESH_S  # (the constants only: this process draws nothing)

    during, after = wall["during"], wall["after"]
    if during:
        cpus = [1000 * c for _, c in during]
        total = sum(c for _, c in during)
        print(f"  the wall through the class (every {REFRESH_S:g} s while a training on it runs, else every "
              f"{IDLE_REFRESH_S:g} s): {len(during)} refreshes ({len(during) / minutes:.0f} a minute), server thread "
              f"CPU per refresh p50 {percentile(cpus, .5):.0f} ms, p95 {percentile(cpus, .95):.0f} ms, mean "
              f"{sum(cpus) / len(cpus):.0f} ms; {total:.1f} s in all = {100 * total / server_cpu:.1f}% of the "
              f"server's CPU")
    if after:
        cpus = [1000 * c for _, c in after]
        print(f"  the wall after the class, {wall['tiles']:.0f} tiles, {len(after)} refreshes: thread CPU per "
              f"refresh p50 {percentile(cpus, .5):.0f} ms, p95 {percentile(cpus, .95):.0f} ms")
    print(f"  cross-check, the server process's CPU over two equal windows after the class (once it was quiet, "
          f"{wall['settled_s']:.0f} s after it): {wall['open']:.2f} s with "
          f"the wall open, {wall['closed']:.2f} s closed: {1000 * wall['per_refresh']:.0f} ms per refresh (the "
          f"difference is within the windows' noise when it is near or below zero)")


def extrapolate(cpu_per_student_min: float, first_mb: float, further_mb: float, cores: int = 16,
                memory_gb: float = 128.0) -> str:
    """What a bigger server would hold, from these figures: an estimate, said as one. first_mb: the server's RSS
    after its first session (torch, models, caches); further_mb: what each further student adds."""
    # One Streamlit process runs every session's scripts under one GIL: about one core of Python, whatever the
    # machine has; the trainings run in worker processes on the other cores.
    by_cpu = 60.0 / cpu_per_student_min if cpu_per_student_min > 0 else float("inf")
    by_memory = (memory_gb * 1024 - first_mb) / further_mb if further_mb > 0 else float("inf")
    return (f"estimate, {cores} cores and {memory_gb:.0f} GB: the server process's scripts share about one core (the "
            f"GIL): about {by_cpu:.0f} students at {cpu_per_student_min:.2f} CPU s each per minute; its memory, "
            f"{first_mb:.0f} MB and {further_mb:.0f} MB per further student, about {by_memory:.0f}; the other "
            f"{cores - 1} cores train (AELAB_MAX_TRAININGS)")

"""A class on one server: N students (browser contexts) arrive over --arrival seconds; each opens Home, Latent space
and Traverse, moves a slider, trains a model for 3 epochs from the Train page, then closes the tab.

Usage, from the repository root:
    AELAB_CHROMIUM=/usr/bin/chromium .venv/bin/python -m bench.classroom --students 5 [--arrival 60] [--idle 30]
        [--after 120] [--train-images 4000] [--epochs 3]
    AELAB_CHROMIUM=/usr/bin/chromium .venv/bin/python -m bench.classroom --students 20 --baseline
    AELAB_CHROMIUM=/usr/bin/chromium .venv/bin/python -m bench.classroom --students 20 --wall [--window 60]

One fresh server (as tests/app_server.py starts it) with private libraries (AELAB_LIBRARIES=private) and a short
idle timeout (AELAB_SESSION_IDLE_S=--idle), so closed tabs are released within the run. Prints per page p50/p95 of
the time from navigation to a settled page, trainings finished, queue waits (Start to the first epoch shown),
server RSS before any session, after the first student's session, at its peak, when every tab has closed and
--after seconds later, and the CPU seconds the server and the browsers took (they share this machine's cores).
Ratios are against the first student, who is alone for the first arrival gap: a page's p50 over the first
student's time for that page, and RSS after the idle release against RSS after the first session.
--baseline runs the same browsers against a one-line Streamlit app instead: the page times this machine allows any
Streamlit page when N browsers share its cores with the server.
Then the server's own figures, apart from the browsers' (bench/class_server.py): its CPU per student per minute, the
p95 of its own time per script run per page (measured inside it: AELAB_RUN_LOG), RSS per student. --wall: a teacher
has the class wall open and refreshing through the run (AELAB_TEACHER_KEY set): each refresh's thread CPU inside the
server, and after the class, once the server is quiet (the new models' UMAPs done), its CPU over two --window second
windows (open, then closed; the idle timeout is raised to outlast them, so the tiles still have their trainings).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from playwright.async_api import async_playwright

from bench.class_server import TEACHER_KEY, Teacher, extrapolate, own_cpu_seconds, refresh_cost, report_server
from tests.app_server import _SETTLED_JS, CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app

PAGES = (("home", None), ("latent", "Latent space"), ("traverse", "Traverse"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------- processes
def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on (the name may hold spaces)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes, with those of their children already reaped."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for pid in descendants(os.getpid()):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return pid
    raise RuntimeError(f"no Streamlit server on port {port} among this process's children")


class RssSampler(threading.Thread):
    def __init__(self, pid: int, period: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.period, self.samples, self.stopped = pid, period, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.period):
            self.samples.append((time.time(), rss_mb(self.pid)))


# ------------------------------------------------------------------------------------------------- one student
async def settled(page, timeout_ms: float = 180_000) -> None:
    await page.wait_for_timeout(150)
    await page.evaluate("() => { window.__aelabQuietSince = undefined; }")
    await page.wait_for_function(_SETTLED_JS, arg=[300], timeout=timeout_ms)


async def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    await box.fill(value)
    await box.press("Enter")
    await settled(page)


async def student(index: int, browser, base: str, start_at: float, args, result: dict, rss) -> None:
    await asyncio.sleep(max(0.0, start_at - time.time()))
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(180_000)  # a loaded machine: a field can take longer than Playwright's 30 s to answer
    page = await context.new_page()
    try:
        for name, link in PAGES:
            started = time.time()
            if link is None:
                await page.goto(base + "/", timeout=180_000)
            else:  # the sidebar's links keep the session, as a student would move around
                await page.get_by_role("link", name=link).first.click(timeout=180_000)
            await page.wait_for_selector('[data-testid="stSidebar"]', timeout=180_000)
            await settled(page)
            result["pages"][name] = time.time() - started
        started = time.time()
        slider = page.get_by_role("slider").first
        await slider.focus(timeout=60_000)
        await slider.press("ArrowRight")
        await settled(page)
        result["pages"]["slider"] = time.time() - started

        started = time.time()
        await page.get_by_role("link", name="Train").first.click()
        await settled(page)
        result["pages"]["train"] = time.time() - started
        model = f"student-{index}"
        for label, value in (("Save as", model), ("Epochs", str(args.epochs)),
                             ("Training images", str(args.train_images))):
            await fill(page, label, value)
        clicked = time.time()
        await page.get_by_role("button", name="Start training").click()
        await page.wait_for_function("() => /epoch \\d+\\//.test(document.body.innerText)", timeout=600_000,
                                     polling=250)
        result["queue_wait"] = time.time() - clicked
        await page.get_by_text(f"saved in your library as {model}").wait_for(timeout=600_000)
        result["train_total"] = time.time() - clicked
        result["trained"] = True
    except Exception as err:  # a student who could not finish is counted, not fatal
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
    finally:
        result["rss_at_end"] = rss()
        result["ended"] = time.time()
        await context.close()  # the tab closes; its server session lingers until the idle timeout


# ------------------------------------------------------------------------------------------------- report
def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))] if values else float("nan")


def report(results: list[dict], rss: dict[str, float], cpu: dict[str, float], args, wall: float) -> None:
    print(f"\nclassroom: {args.students} students arriving over {args.arrival:.0f} s, {args.epochs} epochs on "
          f"{args.train_images} images each, idle release after {args.idle:.0f} s; wall {wall:.0f} s")
    first = results[0]["pages"]
    print(f"{'page':<10}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'first s':>9}{'p50/first':>11}")
    for name in ("home", "latent", "traverse", "slider", "train"):
        times = [r["pages"][name] for r in results if name in r["pages"]]
        if times:
            base = first.get(name, float("nan"))
            print(f"{name:<10}{len(times):>4}{percentile(times, .5):>9.1f}{percentile(times, .95):>9.1f}"
                  f"{max(times):>9.1f}{base:>9.1f}{percentile(times, .5) / base:>11.2f}")
    waits = [r["queue_wait"] for r in results if "queue_wait" in r]
    totals = [r["train_total"] for r in results if "train_total" in r]
    print(f"trainings finished: {sum(bool(r.get('trained')) for r in results)}/{len(results)}; queue wait (Start to "
          f"first epoch) p50 {percentile(waits, .5):.1f} s, max {max(waits, default=float('nan')):.1f} s; Start to "
          f"saved p50 {percentile(totals, .5):.1f} s, max {max(totals, default=float('nan')):.1f} s")
    for r in results:
        if "error" in r:
            print(f"  student {r['index']}: {r['error']}")
    print("server RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    print(f"after the idle release - after the first session: {rss['after release'] - rss['after 1st session']:+.0f} "
          f"MB (goal <= +150); released by the idle timeout: {rss['all tabs closed'] - rss['after release']:.0f} MB, "
          f"{(rss['all tabs closed'] - rss['after release']) / len(results):.0f} MB per idle session")
    print("CPU seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k != "workers")
          + f" (wall {wall:.0f} s x {os.cpu_count()} cores = {wall * (os.cpu_count() or 1):.0f} core-seconds)")


async def run(args) -> None:
    idle = max(args.idle, 2 * args.window + 240) if args.wall else args.idle  # settle() waits up to 180 s
    with tempfile.TemporaryDirectory() as home:
        run_log = Path(home) / "runs.tsv"
        env = {"AELAB_LIBRARIES": "private", "AELAB_SESSION_IDLE_S": str(idle), "AELAB_RUN_LOG": str(run_log),
               **({"AELAB_TEACHER_KEY": TEACHER_KEY} if args.wall else {})}
        with running_app(Path(home), env=env, log_name="classroom.log") as base:
            await _class(args, base, run_log, idle)


async def _class(args, base: str, run_log: Path, idle: float) -> None:
    pid = server_pid(base)
    sampler = RssSampler(pid)
    sampler.start()
    rss = {"before": rss_mb(pid)}
    started, server_cpu0 = time.time(), own_cpu_seconds(pid)
    wall_cost, teacher = None, None
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.wall:
            teacher = Teacher(browser, base)
            await teacher.open()
        browser_pids = [q for q in descendants(os.getpid()) if q != pid and q not in descendants(pid)]
        gap = args.arrival / max(1, args.students - 1) if args.students > 1 else 0.0
        results = [{"index": i, "pages": {}} for i in range(args.students)]
        await asyncio.gather(*(student(i, browser, base, started + i * gap, args, results[i],
                                       lambda: rss_mb(pid)) for i in range(args.students)))
        class_minutes = (max(r["ended"] for r in results) - started) / 60
        server_cpu = own_cpu_seconds(pid) - server_cpu0
        if teacher is not None and teacher.error is None:
            wall_cost = await refresh_cost(teacher, pid, run_log, args.window)
        ours = set(descendants(os.getpid())) - {pid} - set(descendants(pid))
        browser_cpu = cpu_seconds(sorted(ours | set(browser_pids)))
        if teacher is not None:
            await teacher.close()
        await browser.close()
    workers_cpu = cpu_seconds(descendants(pid))  # the training workers (alive: their own and reaped children's)
    first_end = min(results, key=lambda r: r["ended"])
    rss["after 1st session"] = first_end["rss_at_end"]
    rss["all tabs closed"] = rss_mb(pid)
    closed, last_end = time.time(), max(r["ended"] for r in results)
    time.sleep(max(0.0, last_end + idle + args.after - args.idle - time.time()))  # as long past the release as ever
    rss["after release"] = rss_mb(pid)
    sampler.stopped.set()
    rss["peak"] = max(v for _, v in sampler.samples) if sampler.samples else float("nan")
    cpu = {"server": server_cpu, "browsers": browser_cpu, "workers": workers_cpu}
    print(f"(RSS {time.time() - last_end:.0f} s after the last tab closed, idle timeout {idle:.0f} s; sampled "
          f"every second, {len(sampler.samples)} samples; closed at +{closed - started:.0f} s)")
    report(results, rss, cpu, args, time.time() - started)
    report_server(args.students, class_minutes, cpu, rss, run_log, wall_cost, teacher)
    further = (rss["peak"] - rss["after 1st session"]) / max(1, args.students - 1)
    print(extrapolate(cpu["server"] / args.students / class_minutes, rss["after 1st session"], max(further, 1.0)))


async def baseline(args) -> None:
    """The floor this machine sets: the same N browsers arriving over the same time, each opening a one-line
    Streamlit app (st.write("hello")) and waiting for it to settle. What a page of the real app takes beyond this is
    the app's; up to this, it is the browsers' own start-up and Streamlit's front end sharing the cores."""
    from bench.startup import ONE_LINE_APP, _start, _stop, _wait_health

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "models").mkdir()
        script = folder / "hello.py"
        script.write_text(ONE_LINE_APP)
        proc, base = _start(script, folder, folder, "0")
        try:
            _wait_health(base, proc)
            started = time.time()
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                gap = args.arrival / max(1, args.students - 1) if args.students > 1 else 0.0
                times: list[float] = []

                async def one(i: int) -> None:
                    await asyncio.sleep(max(0.0, started + i * gap - time.time()))
                    context = await browser.new_context(viewport=VIEWPORT)
                    page = await context.new_page()
                    opened = time.time()
                    await page.goto(base + "/", timeout=600_000)
                    await settled(page, 600_000)
                    times.append(time.time() - opened)
                    await context.close()

                await asyncio.gather(*(one(i) for i in range(args.students)))
                await browser.close()
        finally:
            _stop(proc)
    print(f"\nbaseline: {args.students} browsers arriving over {args.arrival:.0f} s, each opening a one-line Streamlit "
          f"app: p50 {percentile(times, .5):.1f} s, p95 {percentile(times, .95):.1f} s, max {max(times):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--arrival", type=float, default=60.0, help="seconds over which the students arrive")
    parser.add_argument("--idle", type=float, default=30.0, help="the server's AELAB_SESSION_IDLE_S for this run")
    parser.add_argument("--after", type=float, default=120.0, help="seconds to wait after the last tab closed")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--wall", action="store_true", help="a teacher has the class wall open through the run")
    parser.add_argument("--window", type=float, default=60.0, help="--wall: seconds of each window after the class")
    parser.add_argument("--baseline", action="store_true",
                        help="instead: the same browsers opening a one-line Streamlit app (the machine's floor)")
    args = parser.parse_args()
    asyncio.run(baseline(args) if args.baseline else run(args))


if __name__ == "__main__":
    main()

"""Desktop-app benchmark: N watched jobs (10,000 by default; issue 14's targets are for 100,000).

Prints each figure against its target: a paste of N ids (parsed on a worker thread, then saved and
shown), the longest event-loop stall while adding and while polling (a 5 ms Qt heartbeat and an
asyncio call_later chain; one frame, 16 ms, is the target), answers handled per second, memory
per job (RSS growth / jobs), then what a person does with the list (``gui_ops.py``: re-filter per
keystroke, sort by four columns, Delete of half the rows and its undo, CSV export) and start-up
to a shown window, and to the whole saved list in it (a fresh ``jobmonitor`` process,
``JOBMONITOR_EXIT_AFTER_SHOWN=1``, median of ``--rounds``; a long list is read after the window
shows and fills its table a few thousand rows per turn).

Run (not part of the default test run):

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_gui.py --jobs 100000 --rounds 1
    .venv/bin/pytest -m benchmark tests/benchmarks/bench_gui.py -s

The simulator runs in a process of its own, so the app has a core to itself (on two cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gui_ops
import pytest

KEY = "bench-gui-key-0123456789abcdef"
FRAME_MS = 16.0  # one frame at 60 Hz: the longest the loop may be held
RATE_LIMIT = 30_000  # a minute, told to the app: "a high rate", 500 requests a second at most

_SIM = """
import json, random, sys
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
n, key = int(sys.argv[1]), sys.argv[2]
world = SimWorld(rate_limit=None)
world.add_key(key)
rng = random.Random(1)
for i in range(n):
    world.add_job(key, job_id=f"{i:08x}-0000-4000-8000-{i:012x}", queued_for=rng.uniform(2, 40),
                  processing_for=rng.uniform(5, 60), retry_after=1,
                  outcome="failed" if i % 7 == 0 else "success")
with SimServer(world) as server:
    print(json.dumps({"api": server.api_url}), flush=True)
    sys.stdin.read()
"""


def _ids(n: int) -> list[str]:
    return [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(n)]


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 1e6


class StallMeter:
    """The longest gap between ticks of a 5 ms Qt timer and of an asyncio call_later chain."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.qt_max = 0.0
        self.loop_max = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=5)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._loop_last = time.perf_counter()
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.stop()
        self.qt_max = self.loop_max = 0.0
        self.gaps: list[float] = []  # every Qt tick's lateness, for the count and percentile
        self._last = self._loop_last = time.perf_counter()
        self._timer.start()
        self._handle = asyncio.get_running_loop().call_later(0.005, self._loop_tick)

    def stop(self) -> None:
        self._timer.stop()
        if self._handle is not None:
            self._handle.cancel()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.qt_max = max(self.qt_max, now - self._last - 0.005)
        self.gaps.append(now - self._last - 0.005)
        self._last = now

    def over_frame(self) -> tuple[int, int, float]:
        """Ticks late by more than a frame, of how many, and the 99th percentile (ms)."""
        late = sorted(self.gaps)
        p99 = late[int(len(late) * 0.99)] * 1000 if late else 0.0
        return sum(1 for g in late if g * 1000 > FRAME_MS), len(late), p99

    def _loop_tick(self) -> None:
        now = time.perf_counter()
        self.loop_max = max(self.loop_max, now - self._loop_last - 0.005)
        self._loop_last = now
        self._handle = asyncio.get_running_loop().call_later(0.005, self._loop_tick)


async def _until(predicate: Any, limit: float) -> None:
    deadline = time.perf_counter() + limit
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


async def _in_process(
    api: str, n: int, seconds: float, home: Path, rate_limit: int = RATE_LIMIT
) -> dict[str, float]:
    from PySide6.QtCore import QSettings

    from jobmonitor.core.credentials.store import CredentialStore
    from jobmonitor.core.paths import data_dir
    from jobmonitor.core.settings import Settings
    from jobmonitor.desktop.root import DesktopApp

    settings = Settings(qsettings=QSettings(str(home / "bench.ini"), QSettings.Format.IniFormat))
    settings.rate_limit = rate_limit  # told: the budget paces at most rate_limit / 60 a second
    rss_empty = _rss_mb()
    app = DesktopApp(
        settings=settings,
        data_dir=data_dir(),
        credentials=CredentialStore(environ={"JOBMONITOR_API_KEY": KEY}),
        base_url=api,
        tray_available=False,
    )
    app.start()
    await asyncio.sleep(0.3)
    # A pasted spreadsheet column, as the add field hands it over: made before the meter
    # starts (a clipboard's text exists before the paste; making it held the loop 50-80 ms).
    text = "\n".join(_ids(n))
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    app.window.adder.add_text_in_background(text)
    handed = time.perf_counter() - started
    await _until(lambda: app.window.model.rowCount() == n and app.watchlist.idle, 120)
    shown = time.perf_counter() - started
    add_stall = max(meter.qt_max, meter.loop_max)
    add_late, add_ticks, add_p99 = meter.over_frame()
    events = 0

    def count(_event: object) -> None:
        nonlocal events
        events += 1

    assert app.session is not None
    app.session.scheduler.add_listener(count)
    meter.start()
    await asyncio.sleep(seconds)
    meter.stop()
    answers = events / seconds
    rss_full = _rss_mb()
    figures = {
        "add_call_ms": handed * 1000,
        "parse_ms": app.window.adder.stream.last_parse_seconds * 1000,
        "add_shown_s": shown,
        "add_stall_ms": add_stall * 1000,
        "add_late": float(add_late),
        "add_ticks": float(add_ticks),
        "add_p99_ms": add_p99,
        "poll_stall_ms": max(meter.qt_max, meter.loop_max) * 1000,
        "answers_per_s": answers,
        "terminal": float(sum(1 for j in app.watchlist.jobs() if j.state.terminal)),
        "rss_empty_mb": rss_empty,
        "rss_full_mb": rss_full,
        "kib_per_job": (rss_full - rss_empty) * 1e6 / 1024 / n,
    }
    figures["search_ms"], figures["search_stall_ms"] = _ms(await gui_ops.search(app, meter))
    figures["sort_ms"], figures["sort_stall_ms"] = _ms(await gui_ops.sort(app, meter))
    deleted, undone, stall = await gui_ops.delete_and_undo(app, meter)
    figures.update(delete_s=deleted, undo_s=undone, delete_stall_ms=stall)
    exported, stall = await gui_ops.export(app, meter, home / "export.csv")
    figures.update(export_s=exported, export_stall_ms=stall)
    meter.stop()
    await app.aclose()
    return figures


def _ms(pair: tuple[float, float]) -> tuple[float, float]:
    return pair[0] * 1000, pair[1]


def _startup(api: str, env: dict[str, str], rounds: int) -> list[tuple[float, float]]:
    """Each round: seconds to the window shown (a long list still being read then) and to the
    whole list in its table, from the launch of a fresh process (its quit is not counted)."""
    import compileall

    import jobmonitor

    # An installed app has its bytecode; a source tree under PYTHONDONTWRITEBYTECODE would
    # compile every module at each start (half a second here): compiled once, first.
    compileall.compile_dir(str(Path(jobmonitor.__file__).parent), quiet=1)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobmonitor", "--base-url", api],
            env=dict(env, JOBMONITOR_EXIT_AFTER_SHOWN="1", JOBMONITOR_API_KEY=KEY),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        seen: dict[str, float] = {}
        tail: list[str] = []
        for line in proc.stderr:
            tail = [*tail[-20:], line]
            for mark in ("window shown", "list restored"):
                if f"jobmonitor: {mark}" in line:
                    seen[mark] = time.perf_counter() - started
        if proc.wait(120) != 0 or "window shown" not in seen:
            raise RuntimeError(f"start-up run failed: {''.join(tail)[-800:]}")
        # (a version that reads the whole list before it shows the window does not say it)
        times.append((seen["window shown"], seen.get("list restored", seen["window shown"])))
    return times


def run(n: int, seconds: float, rounds: int, rate_limit: int = RATE_LIMIT) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="jobmonitor-bench-gui-"))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(home / name.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sim = subprocess.Popen(
        [sys.executable, "-c", _SIM, str(n), KEY],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        api = json.loads(sim.stdout.readline())["api"]
        import qasync

        from jobmonitor.desktop.main import make_qapplication

        qapp = make_qapplication()
        loop = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(loop)
        with loop:
            figures = loop.run_until_complete(_in_process(api, n, seconds, home, rate_limit))
        figures["rate_limit"] = float(rate_limit)
        starts = _startup(api, dict(os.environ), rounds)
        figures["startup_median_s"] = statistics.median(s for s, _ in starts)
        figures["startup_max_s"] = max(s for s, _ in starts)
        figures["restored_median_s"] = statistics.median(r for _, r in starts)
        return figures
    finally:
        if sim.stdin is not None:
            sim.stdin.close()
        sim.wait(30)


# (figure, unit, key, target, "max" or "min"): the targets of issue 14, set for 100,000 jobs
FIGURES = (
    ("paste: parsed (on a worker thread)", "ms", "parse_ms", 300.0, "max"),
    ("  ... saved and shown in the table", "s", "add_shown_s", 1.5, "max"),
    ("  longest stall while adding", "ms", "add_stall_ms", FRAME_MS, "max"),
    ("  ... 99th percentile of its turns", "ms", "add_p99_ms", None, "max"),
    ("polling: answers handled per second", "/s", "answers_per_s", 500.0, "min"),
    ("  longest stall while polling", "ms", "poll_stall_ms", FRAME_MS, "max"),
    ("memory per job", "KiB", "kib_per_job", 1.5, "max"),
    ("start-up to a shown window (median)", "s", "startup_median_s", 1.0, "max"),
    ("  ... and to every saved row in it", "s", "restored_median_s", None, "max"),
    ("search: slowest keystroke's re-filter", "ms", "search_ms", 50.0, "max"),
    ("  longest stall while typing", "ms", "search_stall_ms", FRAME_MS, "max"),
    ("sort: slowest of 4 columns x 2 ways", "ms", "sort_ms", 300.0, "max"),
    ("  longest stall while sorting", "ms", "sort_stall_ms", FRAME_MS, "max"),
    ("Delete of every other row (half)", "s", "delete_s", 1.0, "max"),
    ("  ... and its undo", "s", "undo_s", 1.0, "max"),
    ("  longest stall", "ms", "delete_stall_ms", None, "max"),
    ("export of the whole list as CSV", "s", "export_s", None, "max"),
    ("  longest stall while exporting", "ms", "export_stall_ms", FRAME_MS, "max"),
)


def report(n: int, seconds: float, f: dict[str, float]) -> str:
    lines = [
        f"{n} jobs watched; polled for {seconds:.0f} s ({f['terminal']:.0f} finished by then)"
        f" under a told budget of {f['rate_limit']:.0f} a minute (at most about"
        f" {f['rate_limit'] / 60:.0f} answers/s: a told budget spaces requests 60 s / budget"
        " apart, so --rate-limit higher shows where the app or the simulator bounds it);"
        f" memory {f['rss_empty_mb']:.0f} MB empty, {f['rss_full_mb']:.0f} MB with the list;"
        f" start-up max {f['startup_max_s']:.2f} s; while adding, {f['add_late']:.0f} of"
        f" {f['add_ticks']:.0f} heartbeats were late by more than a frame",
        f"{'figure':<40} {'value':>10}  {'target':>10}",
    ]
    for name, unit, key, target, kind in FIGURES:
        value = f[key]
        shown = f"{value:10.2f}" if unit in ("s", "KiB") else f"{value:10.1f}"
        if target is None:
            lines.append(f"{name:<40} {shown} {unit:<3}")
            continue
        met = value <= target if kind == "max" else value >= target
        bound = "<=" if kind == "max" else ">="
        lines.append(
            f"{name:<40} {shown} {unit:<3} {bound} {target:g} {unit}: {'met' if met else 'MISSED'}"
        )
    return "\n".join(lines)


@pytest.mark.benchmark
def test_bench_gui() -> None:
    figures = run(10_000, 20.0, 3)
    print("\n" + report(10_000, 20.0, figures))
    assert figures["add_shown_s"] < 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=RATE_LIMIT,
        help="the budget told to the app, a minute (the default's 500 a second binds the"
        " answers/s figure; a higher one shows where the app or the simulator does)",
    )
    args = parser.parse_args()
    figures = run(args.jobs, args.seconds, args.rounds, args.rate_limit)
    print(report(args.jobs, args.seconds, figures))


if __name__ == "__main__":
    main()

"""The scheduler sweep in simulated time: the real PollScheduler, StatusClient and simulator, on an
event loop whose clock jumps over every wait (issue 13).

    .venv/bin/python tests/benchmarks/model_scheduler.py [--rows s60,t300,...] [--workers 2]
        [--phases 0,17,30,50]

``bench_scheduler.py`` measures the same rows over loopback sockets, but on a shared 2-core
machine its busiest rows are short of CPU. Here nothing is a copy: the scheduler, its budget,
the API client, httpx and the simulator's Starlette app and limiters all run as shipped, talking
through ``httpx.ASGITransport`` on a ``VirtualTimeLoop`` (tests/helpers/virtualtime.py), so the
simulator's 100 ms latency and every pause cost no real time. The figures are the same on every
run however busy the machine (a row is seconds of CPU), so a change to the budget's rules can be
tried across the whole range at once. Rows, targets and the ideal are those of the benchmark;
the provider's loop runs beside every row (its connection pool of 32 kept, as a semaphore). What
it leaves out: sockets, jitter, CPU time between the sends. Each run starts 17 s into a
calendar minute (``--phases`` for others: over loopback a run starts wherever the real minute
is, and the fixed-window rows depend on it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import httpx
from bench_scheduler import ROWS, table
from sched_pollers import (
    CONNECTIONS,
    EXAMPLE_CAP,
    SCHEDULER_CAP,
    Outcome,
    Scenario,
    add_jobs,
    build_world,
    example_loop,
    ideal,
    watch_with_scheduler,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
import virtualtime  # the tests' helper (on pytest's path; a script needs it added)

from jobmonitor.sim.app import create_api_app

BASE = "http://127.0.0.1:9"
PHASE = 17.0  # seconds into a calendar minute at the start


class Pool32(httpx.AsyncBaseTransport):
    """The ASGI transport with a connection pool's bound: at most ``CONNECTIONS`` out at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self._slots = asyncio.Semaphore(CONNECTIONS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self._slots:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response


async def _run(s: Scenario, poller: str, phase: float) -> Outcome:
    loop = virtualtime.loop()
    loop.advance(phase)
    world = build_world(s, clock=loop.wall)
    transport = Pool32(httpx.ASGITransport(app=create_api_app(world)))
    async with httpx.AsyncClient(transport=transport, timeout=30.0) as http:
        ids = add_jobs(world, s)
        if poller == "scheduler":
            return await watch_with_scheduler(s, world, http, BASE, ids, loop.time, loop.wall)
        return await example_loop(world, http, BASE, ids, loop.wall)


def run_virtual(args: tuple[Scenario, str] | tuple[Scenario, str, float]) -> Outcome:
    s, poller, phase = (*args, PHASE) if len(args) == 2 else args
    started = time.process_time()
    out = virtualtime.run(_run(s, poller, phase))
    out.seconds = time.process_time() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS), help="names, e.g. s60,p600,none,g600")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-loop", action="store_true", help="skip the provider's loop")
    parser.add_argument(
        "--phases",
        default=str(PHASE),
        help="seconds into a calendar minute at the start, e.g. 0,17,30,50: one table each",
    )
    args = parser.parse_args(argv)
    phases = [float(p) for p in args.phases.split(",") if p.strip()]
    for phase in phases:
        if len(phases) > 1:
            print(f"start {phase:g} s into a calendar minute:")
        _sweep(args, phase)
    return 0


def _sweep(args: argparse.Namespace, phase: float) -> None:
    names = [n.strip() for n in args.rows.split(",") if n.strip()]
    scenarios = [ROWS[n] for n in names]
    jobs = [(s, "scheduler", phase) for s in scenarios]
    loops: dict[tuple[int | None, str], Scenario] = {}
    if not args.no_loop:
        for s in scenarios:
            loops.setdefault((s.server_limit, s.window), s)
        jobs += [(s, "example", phase) for s in loops.values()]
    started = time.monotonic()
    with Pool(args.workers) as pool:
        outcomes = pool.map(run_virtual, jobs, chunksize=1)
    ours = dict(zip(names, outcomes[: len(names)], strict=True))
    theirs = dict(zip(loops, outcomes[len(names) :], strict=True))
    results = [
        (s, ideal(s), ours[s.name], theirs.get((s.server_limit, s.window))) for s in scenarios
    ]
    print(table(results))
    cpu = sum(o.seconds for o in outcomes)
    print(
        f"simulated time; caps {SCHEDULER_CAP:.0f} s (scheduler), {EXAMPLE_CAP:.0f} s (loop); "
        f"{cpu:.0f} s of CPU, {(time.monotonic() - started) / 60:.1f} min"
    )


if __name__ == "__main__":
    sys.exit(main())

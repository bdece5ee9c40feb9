"""Benchmark (issues 3 and 13): PollScheduler vs the provider's loop vs an ideal poller, a sweep.

Run either way (each prints the table; neither runs in the default test run):

    .venv/bin/python tests/benchmarks/bench_scheduler.py [--rows s60,p600,...] [--workers 20]
    .venv/bin/pytest tests/benchmarks/bench_scheduler.py -s -m benchmark

200 jobs finish at random over 20-120 s; every job answers ``retry_after`` 2 s. Rows:

- told nothing (no setting, no rate-limit headers, a bare 429): the limits 60, 120, 300, 600,
  900, 1500 and 3000 requests a minute for each kind of limit the simulator has (``s`` sliding
  60 s, ``f`` fixed per calendar minute, ``t`` token bucket, ``p`` a 60 s penalty box after a
  breach), and ``none``, no limit at all; target 1.3x ideal and at most 2 % 429s;
- ``g``: the limit given (the user's setting); ``h``: advertised in headers; target 1.0x ideal
  and no 429.

Each row is one process with its own simulator on its own loopback port, eight at once, so the
whole sweep takes about 13 minutes. The provider's loop (the documentation's example) runs once
per server (it reads no headers, so a told row shares its server's loop), beside every row; by
default in simulated time (``model_scheduler.py``: the same loop code and simulator, on an
event loop whose clock jumps over waits), because after a 429 it is a busy loop that would crowd
the machine's two cores and skew every other row. ``--example some`` (s60, s600, s3000, none),
``sliding`` or ``all`` run it over loopback instead. On a loaded machine the busiest rows (no
limit, 3000/min: 50-100 requests a second) are short of CPU, and their figures say so: compare
them with the ideal's request count.
The pollers and the ideal are described in ``sched_pollers.py``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace

import pytest
from sched_pollers import Outcome, Scenario, ideal, run_in_process

LIMITS = (60, 120, 300, 600, 900, 1500, 3000)
KINDS = {"s": "sliding", "f": "fixed", "t": "bucket", "p": "penalty"}
KIND_WORDS = {"sliding": "sliding 60 s", "fixed": "fixed minute", "bucket": "token bucket"}
KIND_WORDS["penalty"] = "penalty box"


def _rows() -> dict[str, Scenario]:
    rows: dict[str, Scenario] = {}
    for letter, kind in KINDS.items():
        for limit in LIMITS:
            name = f"{letter}{limit}"
            rows[name] = Scenario(name, f"{limit}/min {KIND_WORDS[kind]}", limit, window=kind)
    rows["none"] = Scenario("none", "no limit", None)
    for limit in (60, 600, 3000):
        rows[f"g{limit}"] = Scenario(f"g{limit}", f"{limit}/min sliding, given", limit, limit)
        rows[f"h{limit}"] = Scenario(
            f"h{limit}", f"{limit}/min sliding, in headers", limit, headers=True
        )
    for letter, kind in list(KINDS.items())[1:]:
        title = f"600/min {KIND_WORDS[kind]}, in headers"
        rows[f"h{letter}600"] = Scenario(f"h{letter}600", title, 600, window=kind, headers=True)
    return rows


ROWS = _rows()
SOME_LOOPS = ("s60", "s600", "s3000", "none")  # the provider's loop on these by default


def _server(s: Scenario) -> tuple[int | None, str]:
    return s.server_limit, s.window


def table(results: Sequence[tuple[Scenario, Outcome, Outcome, Outcome | None]]) -> str:
    """One line a row; requests are the scheduler's / the ideal's (fewer: short of CPU)."""
    head = (
        f"{'row':<42} {'ideal s':>7} {'mean s':>7} {'max s':>7} {'x ideal':>7} {'requests':>13} "
        f"{'429s':>5} {'429 %':>6}  {'target':<17} {'loop x':>6} {'loop 429 %':>10}  notes"
    )
    lines = [head, "-" * len(head)]
    met = 0
    for s, ref, out, loop in results:
        ratio = out.mean / ref.mean
        share = out.rate_limited / out.requests * 100 if out.requests else 0.0
        want_ratio, want_share = s.target
        # Compared as printed (two decimals): 1.004x is "1.00x ideal".
        ok = round(ratio, 2) <= want_ratio and share <= want_share * 100 + 1e-9 and not out.missed
        met += ok
        verdict = f"<={want_ratio}x, <={want_share:.0%} {'met' if ok else 'MISSED'}"
        if loop is None:
            loop_ratio = loop_share = "-"
        else:
            loop_ratio = f"{loop.mean / ref.mean:.2f}"
            loop_share = f"{loop.rate_limited / loop.requests * 100:.0f}" if loop.requests else "-"
            if loop.missed:
                loop_ratio += f" ({loop.missed} missed)"
        lines.append(
            f"({s.name}) {s.title:<{40 - len(s.name)}} {ref.mean:7.2f} {out.mean:7.2f} "
            f"{out.worst:7.2f} {ratio:7.2f} {out.requests:6d}/{ref.requests:<6d} "
            f"{out.rate_limited:5d} {share:6.1f}  "
            f"{verdict:<17} {loop_ratio:>6} {loop_share:>10}  {'; '.join(out.notes)}"
        )
    lines.append(f"targets met: {met} of {len(results)} rows")
    return "\n".join(lines)


def bench(names: Sequence[str], workers: int, example: str) -> str:
    scenarios = [ROWS[n] for n in names]
    # Loops of the provider: one per server (limit and kind), on the rows told nothing.
    loops: dict[tuple[int | None, str], Scenario] = {}
    for s in scenarios:
        wanted = (
            example == "all"
            or (example == "sliding" and s.window == "sliding")
            or (example == "some" and s.name in SOME_LOOPS)
        )
        if (wanted or example == "model") and not s.told:
            loops.setdefault(_server(s), s)
        elif example == "model":
            loops.setdefault(_server(s), replace(s, headers=False, client_limit=None))
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    # The provider's loops get their own two processes: each is a busy loop after a 429.
    with (
        ProcessPoolExecutor(workers, mp_context=context) as pool,
        ProcessPoolExecutor(2, mp_context=context) as loop_pool,
    ):
        # Longest first (small limits take the longest to poll every job), each beside one of
        # the busiest (the most requests a second), so the machine is not asked for all of the
        # busy rows in one last wave.
        by_limit = sorted(scenarios, key=lambda s: s.server_limit or math.inf)
        order = []
        while by_limit:
            order.append(by_limit.pop(0))
            if by_limit:
                order.append(by_limit.pop())
        runs: dict[str, Future[Outcome]] = {
            s.name: pool.submit(run_in_process, "scheduler", s) for s in order
        }
        if example == "model":
            from model_scheduler import run_virtual  # it imports this module's rows

            loop_runs = {
                key: loop_pool.submit(run_virtual, (s, "example")) for key, s in loops.items()
            }
        else:
            loop_runs = {
                key: loop_pool.submit(run_in_process, "example", s) for key, s in loops.items()
            }
        results = []
        for s in scenarios:
            out = runs[s.name].result()
            print(f"  ({s.name}) done in {out.seconds:.0f} s", file=sys.stderr)
            future = loop_runs.get(_server(s))
            loop = future.result() if future is not None else None
            results.append((s, ideal(s), out, loop))
    took = time.monotonic() - started
    return f"{table(results)}\nwhole sweep: {took / 60:.1f} min"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS), help="names, e.g. s60,p600,none,g600")
    parser.add_argument("--workers", type=int, default=8, help="scheduler rows at once")
    parser.add_argument(
        "--example",
        choices=("model", "some", "sliding", "all", "none"),
        default="model",
        help="the provider's loop: every row in simulated time (model), or over loopback",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.rows.split(",") if n.strip()]
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)} (known: {', '.join(ROWS)})")
    print(bench(names, args.workers, args.example))
    return 0


@pytest.mark.benchmark
def test_benchmark_scheduler() -> None:
    print()
    print(bench(list(ROWS), 8, "model"))


if __name__ == "__main__":
    sys.exit(main())

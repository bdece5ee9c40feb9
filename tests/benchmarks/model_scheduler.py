"""The scheduler sweep in simulated time: the real RequestBudget and the simulator's real limiters,
with the scheduler's dispatch rules and the network reduced to a fixed latency (issue 13).

    .venv/bin/python tests/benchmarks/model_scheduler.py [--kinds sliding,bucket] [--workers 2]

``bench_scheduler.py`` measures the real thing over loopback, but on a shared 2-core machine its
busiest rows are short of CPU. This model has no CPU in the loop: a row is under a minute of
arithmetic however busy the machine, the figures are the same on every run, and a change to the
budget's rules can be tried across the whole range at once. Same rows as the benchmark: 200
jobs finishing over 20-120 s, ``retry_after`` 2 s, 100 ms latency, 32 requests in flight at most,
the first request 17 s into a calendar minute. What it leaves out: jitter, the event loop, HTTP.
"""

from __future__ import annotations

import argparse
import heapq
import math
import statistics
import sys
from multiprocessing import Pool

from sched_pollers import Scenario, finish_offsets, ideal

from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.sim.limits import make_window

LIMITS = (60, 120, 300, 600, 900, 1500, 3000, None)
KINDS = ("sliding", "fixed", "bucket", "penalty")
CONCURRENCY = 32
PHASE = 17.0  # seconds into a calendar minute at the start
EPOCH = 1_700_000_040.0  # a minute boundary
CAP = 480.0  # seconds of simulated time at most


def run(s: Scenario) -> tuple[float, int, int, int, RequestBudget]:
    """(mean latency, requests, 429s, jobs detected, the budget at the end) of one row."""
    offsets = finish_offsets(s)
    now = 0.0
    budget = RequestBudget(
        s.client_limit, clock=lambda: now, wall_clock=lambda: EPOCH + PHASE + now
    )
    limiter = make_window(s.window) if s.server_limit else None
    ready = [(1, float(i), i) for i in range(s.jobs)]  # (class, waited since, job): new first
    timers: list[tuple[float, int]] = []  # (due, job)
    events: list[tuple[float, int, int, float]] = []  # (time, seq, job or -1: wake, sent at)
    seq, in_flight, requests, refused = 0, 0, 0, 0
    last_sent: dict[int, float] = {}
    detected: dict[int, float] = {}

    def dispatch() -> float | None:  # PollScheduler._dispatch_ready, line by line
        nonlocal in_flight, requests, seq
        while True:
            while timers and timers[0][0] <= now:
                _, job = heapq.heappop(timers)
                heapq.heappush(ready, (2, last_sent[job], job))
            if in_flight >= CONCURRENCY:
                return None
            if budget.blocked_until > now:
                return budget.blocked_until - now
            if not ready:
                return timers[0][0] - now if timers else None
            wait = budget.delay(now)
            if wait > 0:
                budget.held_back(now)
                return wait
            _, _, job = heapq.heappop(ready)
            budget.record(now)
            last_sent[job] = now
            in_flight += 1
            requests += 1
            seq += 1
            heapq.heappush(events, (now + s.latency, seq, job, now))

    def wake(delay: float | None) -> None:
        nonlocal seq
        if delay is not None:
            seq += 1
            heapq.heappush(events, (now + max(delay, 1e-4), seq, -1, now))

    wake(dispatch())
    while events and len(detected) < s.jobs:
        now, _, job, sent = heapq.heappop(events)
        if now > CAP:
            break
        if job >= 0:
            in_flight -= 1
            limit = s.server_limit
            if (
                limiter is not None
                and limit
                and not limiter.take("k", EPOCH + PHASE + now, limit)[0]
            ):
                refused += 1
                budget.on_rate_limited(sent, None, now)
                heapq.heappush(ready, (2 if job in last_sent else 1, -math.inf, job))
            else:
                budget.on_success(sent)
                if now >= offsets[job]:
                    detected[job] = now - offsets[job]
                else:
                    heapq.heappush(timers, (sent + s.retry_after, job))
        wake(dispatch())
    latencies = [detected.get(j, CAP - offsets[j]) for j in range(s.jobs)]
    return statistics.fmean(latencies), requests, refused, len(detected), budget


def row(s: Scenario) -> str:
    reference = ideal(s).mean
    mean, requests, refused, detected, budget = run(s)
    ratio, share = mean / reference, refused / requests * 100
    want_ratio, want_share = s.target
    ok = ratio <= want_ratio and share <= want_share * 100 and detected == s.jobs
    limit = budget.limit if budget.limit is not None else "none"
    return (
        f"({s.name}) {s.title:<{36 - len(s.name)}} ideal {reference:6.2f} s  mean {mean:6.2f} s  "
        f"x{ratio:5.2f}  requests {requests:5d}  429s {refused:3d} ({share:4.1f} %)  "
        f"{'met' if ok else 'MISSED'}  budget {limit}, {budget.kind}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rows = []
    for kind in args.kinds.split(","):
        for limit in LIMITS:
            if limit is None and kind != "sliding":
                continue
            name = f"{kind[0] if kind != 'bucket' else 't'}{limit or ''}" if limit else "none"
            title = f"{limit}/min {kind}" if limit else "no limit"
            rows.append(Scenario(name, title, limit, window=kind))
    with Pool(args.workers) as pool:
        for line in pool.map(row, rows):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

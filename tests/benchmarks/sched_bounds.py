"""Why some rows of the scheduler sweep are out of reach for a client told nothing (issue 13).

    .venv/bin/python tests/benchmarks/sched_bounds.py

The ideal round-robin poller of ``sched_pollers.ideal`` on the sweep's own 200 finishing times,
with one constraint added at a time (computed in a second, no server):

1. held to L a minute until T s and free after: the largest T at which it still meets 1.3x of
   the no-limit ideal. A client told nothing cannot tell a limit of L from none before its
   first 429, so one that meets the no-limit row passes L a minute by then;
2. a sliding window of L that the client filled by then takes nothing until its first requests
   age out (60 s): the ideal poller at L, stalled from the best moment up to then until 60 s;
3. a penalty box of L: the ideal poller at L with a silent minute from the best moment up to
   when the breach must come.

A sketch of a lower bound, not a proof over every client: after a stall the ageing-out of a
burst can let a real client poll a little faster than L for a while (the README says where).
"""

from __future__ import annotations

import heapq
import math
import statistics

from bench_scheduler import ROWS
from sched_pollers import finish_offsets

S = ROWS["none"]  # the same jobs, finishing times, retry_after and latency in every row


def mean_latency(
    pace: float, *, free_after: float = math.inf, silent: tuple[float, float] = (0, 0)
) -> float:
    """The ideal poller at ``pace`` a minute (unbounded from ``free_after``), sending nothing in
    ``silent`` (start, end)."""
    offsets = finish_offsets(S)
    heap = [(-math.inf, i) for i in range(len(offsets))]
    heapq.heapify(heap)
    slot, latencies = 0.0, []
    while heap:
        previous, i = heapq.heappop(heap)
        send = max(previous + S.retry_after, 0.0)
        if send < free_after:  # paced, but free from then on
            send = min(max(send, slot), free_after)
            slot = send + 60.0 / pace
        if silent[0] <= send < silent[1]:
            send = silent[1]
            slot = max(slot, send + 60.0 / pace)
        decided = send + S.latency
        if offsets[i] <= decided:
            latencies.append(decided - offsets[i])
        else:
            heapq.heappush(heap, (send, i))
    return statistics.fmean(latencies)


def main() -> None:
    none = mean_latency(math.inf, free_after=0.0)
    print(f"no limit: ideal {none:.2f} s, target {1.3 * none:.2f} s")
    for limit in (120, 300, 600, 900, 1500):
        ideal = mean_latency(limit)
        by = max(t for t in range(121) if mean_latency(limit, free_after=t) <= 1.3 * none)
        # From then on at the no-limit pace (every job each retry_after), the count reaches L.
        full = by + limit * (1 - min(by, 60) / 60) / (len(finish_offsets(S)) / S.retry_after)
        starts = [x / 2 for x in range(int(full * 2) + 1)]
        sliding = min(mean_latency(limit, silent=(t, 60.0)) for t in starts) / ideal
        penalty = min(mean_latency(limit, silent=(t, t + 60.0)) for t in starts) / ideal
        print(
            f"L={limit:5d}/min: no-limit row met only if past L by {by} s; window full by "
            f"{full:.1f} s; sliding at best {sliding:.2f}x, penalty box at best {penalty:.2f}x"
        )


if __name__ == "__main__":
    main()

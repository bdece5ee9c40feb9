"""Row arithmetic for tables of 100,000 rows: runs of adjacent rows, inverse maps, and the filter
and sort passes in bounded steps (generators that ``SlicedPass`` drives a few ms per turn).

Arrays of C ints hold row numbers: 4 bytes a row, where a list of Python ints costs 36.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Generator, Sequence
from typing import Any

from jobmonitor.core.watchlist.records import WatchedJob

CHUNK = 2_000  # rows per step of a sliced pass: about a millisecond of Python


def filtered_rows(
    jobs: Sequence[WatchedJob], accepts: Callable[[WatchedJob], bool], rows: Sequence[int]
) -> Generator[None, None, array[int]]:
    """The ``rows`` (in their order) whose job ``accepts`` takes, a chunk of rows per step."""
    accepted: array[int] = array("i")
    for start in range(0, len(rows), CHUNK):
        accepted.extend(r for r in rows[start : start + CHUNK] if accepts(jobs[r]))
        yield
    return accepted


def inverse_steps(shown: array[int], n: int) -> Generator[None, None, array[int]]:
    """Source row -> shown row (-1: hidden), a chunk of rows per step (100,000 at once: 20+ ms)."""
    inverse = array("i", [-1]) * n
    for start in range(0, len(shown), CHUNK):
        for proxy_row in range(start, min(len(shown), start + CHUNK)):
            inverse[shown[proxy_row]] = proxy_row
        yield
    return inverse


def inverse_of(shown: array[int], n: int) -> array[int]:
    steps = inverse_steps(shown, n)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending rows as (first, last) runs of adjacent rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def sorted_rows(
    rows: array[int],
    jobs: Sequence[WatchedJob],
    keys_of: Callable[[Sequence[WatchedJob]], list[Any]],
    descending: bool,
) -> Generator[None, None, array[int]]:
    """Sort ``rows`` by ``keys_of`` (the keys of a chunk of jobs), stable, in bounded steps:
    keys a chunk at a time, sorted runs of a few thousand, then neighbouring runs merged in
    pairs, each merge one C call (Timsort merges two sorted runs in linear time: the last of a
    100,000-row sort takes a few ms; ``heapq.merge`` drew every row through Python, most of
    such a sort's time)."""
    keys: list[Any] = []
    row_job = jobs.__getitem__
    for start in range(0, len(rows), CHUNK):
        keys.extend(keys_of(list(map(row_job, rows[start : start + CHUNK]))))
        yield
    key = keys.__getitem__
    runs: list[list[int]] = []
    run = 4 * CHUNK
    for start in range(0, len(rows), run):
        runs.append(sorted(range(start, min(len(rows), start + run)), key=key, reverse=descending))
        yield
    while len(runs) > 1:  # neighbours only, so that equal keys keep their order (stable)
        merged: list[list[int]] = []
        for i in range(0, len(runs) - 1, 2):
            merged.append(sorted(runs[i] + runs[i + 1], key=key, reverse=descending))
            yield
        if len(runs) % 2:
            merged.append(runs[-1])
        runs = merged
    order = runs[0] if runs else []
    out: array[int] = array("i")
    for start in range(0, len(order), 4 * CHUNK):
        out.extend(map(rows.__getitem__, order[start : start + 4 * CHUNK]))
        yield
    return out


def run_starts_desc(rows: Sequence[int]) -> list[int]:
    """The first row of each run of adjacent rows in descending ``rows``."""
    return [r for i, r in enumerate(rows) if i == 0 or rows[i - 1] != r + 1]


def scattered(positions: Sequence[int], fresh: Sequence[int], limit: int) -> bool:
    """Whether ascending ``fresh`` positions land in more than ``limit`` places."""
    places = 0
    last = -1
    for p in fresh:
        at = bisect_left(positions, p)
        if at != last:
            places += 1
            last = at
            if places > limit:
                return True
    return False

"""Many rows in one SQLite statement: ``INSERT ... VALUES (...), (...), ...`` a chunk at a time.

``executemany`` steps SQLite once per row, and each step lets go of the GIL and takes it back.
While the GUI thread runs Python (polling, painting, adding), each take-back waits for the
interpreter's switch interval (5 ms): 100,000 new jobs took 1.5 s to save beside an idle
thread and 7.4 s beside a busy one, which is why a 100,000-id paste was "saved and shown" in
anything from 6 to 13 s. One statement per chunk takes the GIL back a few dozen times for the
whole batch.

The rows are bound as plain parameters of one multi-row VALUES statement. An earlier version
sent each chunk as one JSON array read by ``json_each``: SQLite parsed the array again for
every column (twelve times a row), strings with a NUL or floats JSON has no word for needed a
row-by-row path, and rows holding a job's last answer (long text quoted twice) cost more than
they saved, so they went row by row too. Bound parameters carry every value exactly, so every
row takes the same path. 100,000 new jobs beside a busy thread: 1.3-1.8 s against 2.2 s
(JSON) and 2.6 s (executemany); 50,000 answered jobs: 0.7 s against 2.6 s (row by row).

Each statement's shape (its number of rows) is one of a few: a full chunk, or a power of two
below it (a batch's last 700 rows go as 512 + 128 + 32 + 16 + 8 + 4). Python's sqlite3 keeps
the last 128 statements prepared, and a prepared VALUES statement holds some 2.4 KB of SQLite's
memory per row: with every batch's last chunk a shape of its own, a 100,000-id paste kept
50-100 MB of them (half a KiB per job of the app's memory, never given back).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add, itemgetter
from typing import Any

# Bound values per statement at most (binding them holds the GIL well under a millisecond): 1,024
# rows of the jobs table, 4,096 of the history's three columns. A prepared statement's memory
# goes with its values, and every statement lets go of the GIL and waits to take it back (up to
# the switch interval while the GUI thread runs Python): as few as that memory allows.
VALUES = 12_288
CHUNK = VALUES // 12  # rows of the jobs table per statement
CHUNK_TEXT = 4_000_000  # characters of text per statement at most: a chunk of long answers


@dataclass(frozen=True, slots=True)
class Insert:
    """An INSERT into ``table``'s ``columns``, a statement per chunk of rows."""

    table: str
    columns: tuple[str, ...]
    verb: str = "INSERT"
    text: tuple[int, ...] | None = None  # the columns that may hold long text (None: any)

    def statement(self, rows: int) -> str:
        one = "(" + ",".join("?" * len(self.columns)) + ")"
        head = f"{self.verb} INTO {self.table} ({', '.join(self.columns)}) VALUES "
        return head + ",".join([one] * rows)


def rows_per_statement(conn: sqlite3.Connection, what: Insert) -> int:
    """As many rows as VALUES and the build's limit on bound parameters allow (999 before 3.32)."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(VALUES, limit) // len(what.columns))


def chunks(
    rows: Sequence[Sequence[Any]], most: int, text: Sequence[int] | None = None
) -> list[Sequence[Sequence[Any]]]:
    """``rows`` cut into runs of at most ``most`` rows and about CHUNK_TEXT characters of text
    in the columns ``text`` (indexes; None: every column, a None counted as 4 characters).

    The text is measured a column at a time in C (``str`` of a string is itself): a generator
    over every value of every row was a third of the time to save 50,000 rows (an undo)."""
    n = len(rows)
    columns = range(len(rows[0])) if text is None and n else (text or ())
    ends: list[int] = []
    if columns:
        per_row: Iterator[int] | None = None
        for column in columns:
            sizes = map(len, map(str, map(itemgetter(column), rows)))
            per_row = sizes if per_row is None else map(add, per_row, sizes)
        assert per_row is not None
        ends = list(accumulate(per_row))  # text up to and including each row
    out: list[Sequence[Sequence[Any]]] = []
    start, before = 0, 0
    while start < n:
        stop = min(n, start + most)
        if ends:  # the first row that brings the run's text to the limit ends it
            over = bisect_left(ends, before + CHUNK_TEXT, start, stop)
            stop = min(stop, over + 1)
            before = ends[stop - 1]
        out.append(rows[start:stop])
        start = stop
    return out


def shapes(rows: int, most: int) -> list[int]:
    """Statement sizes for ``rows`` rows: ``most`` at a time, the rest in powers of two (so
    all the statements ever prepared are of a dozen shapes or so, whatever the batches)."""
    sizes = [most] * (rows // most)
    rest = rows % most
    while rest:
        size = 1 << (rest.bit_length() - 1)  # the largest power of two in what is left
        sizes.append(size)
        rest -= size
    return sizes


def insert(conn: sqlite3.Connection, what: Insert, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (of str, int, float, bytes or None), a statement per piece of a chunk."""
    most = rows_per_statement(conn, what)
    for chunk in chunks(rows, most, what.text):
        start = 0
        for size in shapes(len(chunk), most):
            piece = chunk[start : start + size]
            start += size
            conn.execute(what.statement(size), [value for row in piece for value in row])

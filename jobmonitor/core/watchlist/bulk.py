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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHUNK = 1_024  # rows per statement at most; binding them holds the GIL well under a millisecond
CHUNK_TEXT = 4_000_000  # characters of text per statement at most: a chunk of long answers


@dataclass(frozen=True, slots=True)
class Insert:
    """An INSERT into ``table``'s ``columns``, a statement per chunk of rows."""

    table: str
    columns: tuple[str, ...]
    verb: str = "INSERT"

    def statement(self, rows: int) -> str:
        one = "(" + ",".join("?" * len(self.columns)) + ")"
        head = f"{self.verb} INTO {self.table} ({', '.join(self.columns)}) VALUES "
        return head + ",".join([one] * rows)


def rows_per_statement(conn: sqlite3.Connection, what: Insert) -> int:
    """As many rows as CHUNK and the build's limit on bound parameters allow (999 before 3.32)."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(CHUNK, limit // len(what.columns)))


def chunks(rows: Sequence[Sequence[Any]], most: int) -> list[Sequence[Sequence[Any]]]:
    """``rows`` cut into runs of at most ``most`` rows and about CHUNK_TEXT characters of text."""
    out: list[Sequence[Sequence[Any]]] = []
    start, size = 0, 0
    for i, row in enumerate(rows):
        size += sum(len(v) for v in row if isinstance(v, str))
        if i + 1 - start >= most or size >= CHUNK_TEXT:
            out.append(rows[start : i + 1])
            start, size = i + 1, 0
    if start < len(rows):
        out.append(rows[start:])
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
    for chunk in chunks(rows, most):
        start = 0
        for size in shapes(len(chunk), most):
            piece = chunk[start : start + size]
            start += size
            conn.execute(what.statement(size), [value for row in piece for value in row])

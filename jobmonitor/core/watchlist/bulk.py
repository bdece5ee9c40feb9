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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHUNK = 2_000  # rows per statement at most; binding them holds the GIL well under a millisecond
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


def insert(conn: sqlite3.Connection, what: Insert, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (of str, int, float, bytes or None), one statement per chunk."""
    for chunk in chunks(rows, rows_per_statement(conn, what)):
        # the statement cache keeps the few shapes (a full chunk, each batch's last one)
        conn.execute(what.statement(len(chunk)), [value for row in chunk for value in row])

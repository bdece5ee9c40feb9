"""Many rows in one SQLite statement: a chunk of rows bound as one JSON array, read by json_each.

``executemany`` steps SQLite once per row, and each step lets go of the GIL and takes it back.
While the GUI thread runs Python (polling, painting, adding), each take-back waits for the
interpreter's switch interval (5 ms): 100,000 new jobs took 1.5 s to save beside an idle
thread and 7.4 s beside a busy one, which is why a 100,000-id paste was "saved and shown" in
anything from 6 to 13 s. One statement per chunk takes the GIL back a few dozen times for the
whole batch; the JSON text is built with it held, a chunk (a millisecond or two) at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHUNK = 2_000  # rows per statement: about a millisecond of json.dumps, which holds the GIL


@dataclass(frozen=True, slots=True)
class Insert:
    """An INSERT into ``table``'s ``columns``, as one statement per chunk or one per row."""

    table: str
    columns: tuple[str, ...]
    verb: str = "INSERT"
    # A column of long text (a job's last answer): rows with one go row by row, the others a
    # chunk at a time. Quoted again inside the JSON and parsed back by SQLite it cost more than
    # the steps it saves (50,000 answered jobs: 2.8 s against 2.05 s beside an idle thread, 6.0
    # against 6.7 s beside a busy one); the new rows of a big paste have none, and the first
    # answers saved among them do not send whole chunks of them row by row.
    wide: int | None = None

    @property
    def per_row(self) -> str:
        marks = ",".join("?" * len(self.columns))
        return f"{self.verb} INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"

    @property
    def from_json(self) -> str:
        # json_extract, not ->> (SQLite 3.38+): the JSON functions are in older builds too.
        picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(self.columns)))
        cols = ", ".join(self.columns)
        return f"{self.verb} INTO {self.table} ({cols}) SELECT {picks} FROM json_each(?)"


def insert(conn: sqlite3.Connection, what: Insert, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (of str, int, float or None; with a ``wide`` column, of distinct keys),
    a chunk per statement.

    A chunk JSON cannot carry exactly goes row by row instead: a NaN, a string with a NUL
    (SQLite's JSON reader is not trusted with it), or a SQLite without JSON functions."""
    from_json, per_row = what.from_json, what.per_row
    if what.wide is not None:  # (the rows are of distinct keys: their order does not matter)
        wide = what.wide
        long = [row for row in rows if row[wide] is not None]
        if long:
            conn.executemany(per_row, long)
            rows = [row for row in rows if row[wide] is None]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        try:
            text = json.dumps(chunk, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except ValueError:
            conn.executemany(per_row, chunk)
            continue
        if "\\u0000" in text:
            conn.executemany(per_row, chunk)
            continue
        try:
            conn.execute(from_json, (text,))
        except sqlite3.OperationalError:  # no json_each here; a disk error fails again below
            conn.executemany(per_row, chunk)

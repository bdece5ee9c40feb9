"""What opening the watch list's database can run into, and which of it sets the file aside.

A second process in a write transaction made ``database is locked`` (a ``DatabaseError``) look
like damage: the live list was renamed ``.corrupt-...`` and an empty one started. Now busy is
waited for (SQLite's busy handler, ``DEFAULT_BUSY_TIMEOUT``) and then said as ``StoreBusy``; a
schema from a newer version of the app is ``StoreNewer`` and left in place; any other error that
is no damage (read-only, I/O, a full disk) is a ``StoreError`` that leaves the file alone. Only a
failed integrity check or a file that is no database is set aside (``damaged``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# SQLite's primary result codes: busy and locked mean "someone else is writing"; corrupt and
# not-a-database are the damage that sets a file aside.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 6, 11, 26
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds to wait for another connection's write to end


class StoreError(Exception):
    """The database could not be opened or written, even after setting a bad file aside."""


class StoreBusy(StoreError):
    """Another process holds the database's write lock past the wait (another Job Monitor)."""


class StoreNewer(StoreError):
    """The database was written by a newer version of the app; it is left as it is."""


class Corrupt(sqlite3.DatabaseError):
    """The integrity check failed: the one verdict, besides "no database", that sets it aside."""


def error_code(exc: sqlite3.DatabaseError) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    return code & 0xFF if isinstance(code, int) else None


def damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether the file is damaged or no database (set it aside), not merely busy or unwritable."""
    if isinstance(exc, Corrupt):
        return True
    code = error_code(exc)
    if code is not None:
        return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc).lower()  # no result code (another SQLite binding): go by the words
    return "malformed" in text or "not a database" in text


def refusal(path: Path, exc: sqlite3.DatabaseError, busy_timeout: float) -> StoreError:
    """What to say for an error that is no damage: the file stays where it is."""
    if error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreBusy(
            f"The watch list {path} is in use by another Job Monitor (it did not let go within "
            f"{busy_timeout:g} s). Close the other one, or wait, and try again."
        )
    return StoreError(f"cannot open the watch list {path}: {exc}; it was left as it is")


__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "Corrupt",
    "StoreBusy",
    "StoreError",
    "StoreNewer",
    "damaged",
    "refusal",
]

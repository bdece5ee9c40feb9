"""A job's input file on disk: what it was when submitted, whether it changed, and its excerpt.

Blocking (it reads the file): the window calls ``look_at_input`` on a worker thread. The hash is
SHA-256 of the bytes. It is computed only when size or modification time differ from the record
(the quick check of make and rsync): a file whose size and mtime are unchanged is taken as
unchanged, and a touched but identical file is still recognised as the same input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jobmonitor.core.watchlist.excerpt import Excerpt, excerpt_from_file, reading_for

HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class InputFingerprint:
    """A file as it was at one moment: size in bytes, mtime (epoch s), SHA-256 (hex)."""

    size: int
    mtime: float
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while piece := f.read(HASH_CHUNK):
            digest.update(piece)
    return digest.hexdigest()


def fingerprint(path: Path) -> InputFingerprint:
    """Size, mtime and hash of a file now (raises OSError)."""
    stat = path.stat()
    return InputFingerprint(stat.st_size, stat.st_mtime, sha256_of(path))


def has_changed(path: Path, recorded: InputFingerprint) -> bool:
    """Whether the file differs from what was recorded (raises OSError when it cannot be read)."""
    stat = path.stat()
    if stat.st_size != recorded.size:
        return True
    if stat.st_mtime == recorded.mtime:
        return False
    return sha256_of(path) != recorded.sha256


@dataclass(frozen=True, slots=True)
class InputLook:
    """What the details show about a failed job's input; ``error`` when the file could not be read."""

    path: Path
    excerpt: Excerpt | None = None
    changed: bool | None = None  # None: nothing recorded to compare with (an attached file)
    error: str | None = None


def look_at_input(
    path: Path,
    line: int,
    column: int | None,
    *,
    code: str | None = None,
    recorded: InputFingerprint | None = None,
) -> InputLook:
    """The excerpt of ``path`` at the failure, and whether it changed since ``recorded``."""
    try:
        changed = has_changed(path, recorded) if recorded is not None else None
        excerpt = excerpt_from_file(path, line, column, reading=reading_for(code))
    except FileNotFoundError:
        return InputLook(path, error=f"{path} is no longer there")
    except IsADirectoryError:
        return InputLook(path, error=f"{path} is a folder, not a file")
    except OSError as exc:
        return InputLook(path, error=f"{path} could not be read: {exc.strerror or exc}")
    return InputLook(path, excerpt, changed)


def failure_position(details: object) -> tuple[int, int | None] | None:
    """(line, column) from a failed job's ``error.details``, when it names a usable line.

    Accepts numbers and numeric strings (a server may send either); a line below 1, a bool or a
    fraction is no position. A bad column drops the column, not the line.
    """
    if not isinstance(details, Mapping):
        return None
    line = _positive(details.get("line"))
    if line is None:
        return None
    return line, _positive(details.get("column"))


def _positive(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 1 << 31 else None

"""What the quick lane knows of a download folder, looked up once for many files: the folder
made and resolved, and the jobs that have a resume record in it.

Download all saves 1,000 files into one folder. Per file, making the folder (``mkdir``), resolving
it (a system call per path component, twice: reserve and rename) and scanning it for resume
records (a pass over a folder growing to 1,000 entries) were a good part of the workers' time,
each system call a moment the worker lets go of the GIL and then waits to get it back from the
window or another worker. One look serves every file for ``TTL`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from jobmonitor.core.downloads import partfile

TTL = 2.0  # how long a folder's look is trusted


class FolderLooks:
    """Per folder: (when, the folder resolved, the job ids with a resume record). Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._known: dict[Path, tuple[float, Path, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def resolved(self, folder: Path) -> Path:
        """``folder`` made (with its parents) and resolved; raises OSError as ``mkdir`` does."""
        return self._look(folder)[1]

    def has_record(self, folder: Path, job_id: str) -> bool:
        """Whether a resume record of ``job_id`` is in ``folder`` (its .part is resumed the
        general way). The manager never sends here a job that went the general way in this
        session, so a record a look missed can only be another process's, and that costs a
        fresh name, never a file."""
        try:
            return job_id in self._look(folder)[2]
        except OSError:  # the folder cannot be made: the save says so, as the general way would
            return False

    def forget(self, folder: Path) -> None:
        """Look again next time (the folder was removed or replaced meanwhile)."""
        with self._lock:
            self._known.pop(folder, None)

    def _look(self, folder: Path) -> tuple[float, Path, frozenset[str]]:
        now = self._clock()
        with self._lock:
            known = self._known.get(folder)
        if known is not None and now - known[0] <= TTL:
            return known
        folder.mkdir(parents=True, exist_ok=True)
        known = (now, folder.resolve(), partfile.record_owners(folder))
        with self._lock:
            self._known[folder] = known
        return known

"""A folder's fsync after a rename, shared by the renames made while one runs (a group commit).

Download all's disk threads publish many small files into one folder, and an fsync of the folder
per file was half of the journal commits of each file; a commit is most of a small file's cost
on this kind of disk. A rename waits for an fsync that began after it, so every file is as
durable as with a sync of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path


class _GroupSync:
    """A folder's fsync shared by every rename made before it started (a group commit).

    Download all's disk threads publish into one folder: one fsync of it each was half of the
    journal commits per file, and a commit is most of a small file's cost. A rename waits for
    an fsync that began after it, so every file is as durable as with its own fsync."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._asked = 0  # renames that asked for a sync
        self._done = 0  # renames covered by a finished sync
        self._running = False

    def sync(self, folder: Path, fsync: Callable[[Path], None]) -> None:
        with self._cond:
            self._asked += 1
            ticket = self._asked
            while self._done < ticket:
                if self._running:  # began before this rename, maybe: wait for it, then see
                    self._cond.wait()
                    continue
                self._running = True
                covers = self._asked
                self._cond.release()
                try:
                    fsync(folder)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._done = max(self._done, covers)
                    self._cond.notify_all()


_groups: dict[Path, _GroupSync] = {}
_groups_lock = threading.Lock()


def sync_dir(folder: Path, fsync: Callable[[Path], None]) -> None:
    """Make the renames into ``folder`` so far durable with ``fsync(folder)``: one call for
    every rename made while another one ran."""
    with _groups_lock:
        group = _groups.get(folder)
        if group is None:
            group = _groups[folder] = _GroupSync()
    group.sync(folder, fsync)

"""Small files saved in groups: one sync for every file waiting, then each no-overwrite rename,
then one fsync per folder, on a thread of its own (the quick lane's saver).

Download all writes 1,000 files of 100 KB. An fsync of each file and of its folder after each
rename were two journal commits per file, and most of the quick lane's wall time
(bench_download_all: 0.28-0.37x curl with them, 0.77-1.12x with none). Here the lane's workers
write each file to its ``.part`` and hand it over still open (``add``), then fetch the next one.
The saver takes every file waiting as one group:

1. on Linux one ``syncfs(2)`` of the folder's filesystem writes out all of them in one commit
   (a head start only: an error there is ignored, the next step is the check);
2. an ``fsync`` of each file, which then finds nothing left to write and reports this file's
   own write error (where there is no ``syncfs`` it does the work, one file at a time);
3. the rename of each file that synced to its final name, never over an existing file;
4. an ``fsync`` of each folder, once, after its renames;

and only then reports the group (``finished``). A crash before step 2 ends leaves ``.part``
files, never a short file under its final name. While one group syncs the next one gathers, so
a group is as big as the disk is slow. At most ``MAX_WAITING`` files wait (each holds a file
descriptor); past that a worker waits for the saver.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.partfile import PartFile

log = logging.getLogger(__name__)

MAX_WAITING = 64  # files written and not yet saved (open descriptors); then the workers wait
LINGER = 1.0  # the saver's thread ends after this long with nothing to save


def _load_syncfs() -> Callable[[int], None] | None:
    """``syncfs(2)`` from the C library (Linux 2.6.39+); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int

    def syncfs(fd: int) -> None:  # ctypes lets go of the GIL for the call
        if function(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return syncfs


SYNCFS = _load_syncfs()


class Owner(Protocol):
    """Whose file it is: a cancelled owner's file is discarded instead of saved."""

    cancelled: bool


@dataclass(slots=True)
class Written:
    """A file written whole to ``folder / (name + ".part")``, open, not yet synced."""

    owner: Owner
    folder: Path  # resolved
    name: str
    part: PartFile
    size: int


@dataclass(slots=True)
class Filed:
    """What became of a written file: saved at ``path``, refused by the disk (``error``; its
    .part removed), or neither (its owner was cancelled; its .part removed)."""

    written: Written
    path: Path | None = None
    error: OSError | None = None


class GroupSaver:
    """Saves written files in groups on its own thread; ``finished`` gets each group's outcomes
    (on that thread) once every file of it is synced, renamed and its folder synced."""

    def __init__(
        self,
        finished: Callable[[list[Filed]], None],
        *,
        syncfs: Callable[[int], None] | None = SYNCFS,
        max_waiting: int = MAX_WAITING,
        linger: float = LINGER,
    ) -> None:
        self._finished = finished
        self._syncfs = syncfs
        self._max_waiting = max_waiting
        self._linger = linger
        self._cond = threading.Condition()
        self._waiting: list[Written] = []
        self._running = False  # a saver thread is alive (it may be lingering)
        self.groups = 0  # groups saved (tests and logs)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def add(self, written: Written) -> None:
        """Queue a written file; blocks while ``max_waiting`` files wait already."""
        with self._cond:
            while len(self._waiting) >= self._max_waiting:
                self._cond.wait()
            self._waiting.append(written)
            if self._running:
                self._cond.notify_all()
                return
            self._running = True
        threading.Thread(target=self._run, name="download-saver", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._waiting:
                    self._cond.wait(self._linger)
                if not self._waiting:
                    self._running = False
                    return
                group, self._waiting = self._waiting, []
                self._cond.notify_all()  # a worker waiting for room
            try:
                filed = save_group(group, self._syncfs)
            except Exception as exc:  # a bug must not leave the group's owners waiting
                log.exception("saving a group of %d files failed unexpectedly", len(group))
                error = OSError(f"unexpected {type(exc).__name__}")
                filed = [_discard(w, error) for w in group]
            self.groups += 1
            self._finished(filed)


def save_group(group: list[Written], syncfs: Callable[[int], None] | None) -> list[Filed]:
    """Sync, rename and folder-sync a group of written files (the steps in the docstring)."""
    keep: list[Written] = []
    filed: list[Filed] = []
    for written in group:
        if written.owner.cancelled:
            filed.append(_discard(written, None))
        else:
            keep.append(written)
    folders = _open_folders({w.folder for w in keep})
    try:
        if syncfs is not None:
            for fd in folders.values():
                with contextlib.suppress(OSError):  # a head start only: each fsync checks
                    syncfs(fd)
        synced: list[Written] = []
        for written in keep:
            try:
                try:
                    written.part.sync()
                finally:
                    written.part.close()
            except OSError as exc:
                filed.append(_discard(written, exc, closed=True))
            else:
                synced.append(written)
        renamed: set[Path] = set()
        for written in synced:
            try:
                path = partfile.publish(
                    written.folder, written.name, sync_folder=False, resolved=True
                )
            except OSError as exc:
                filed.append(_discard(written, exc, closed=True))
            else:
                renamed.add(written.folder)
                filed.append(Filed(written, path=path))
        for folder in renamed:
            folder_fd = folders.get(folder)
            if folder_fd is not None:
                with contextlib.suppress(OSError):  # as partfile.fsync_dir
                    os.fsync(folder_fd)
    finally:
        for fd in folders.values():
            os.close(fd)
    return filed


def _open_folders(folders: set[Path]) -> dict[Path, int]:
    """A descriptor of each folder, for its syncfs and fsync (none on Windows, where folders
    cannot be opened and a rename needs no folder sync)."""
    opened: dict[Path, int] = {}
    if os.name == "nt":
        return opened
    for folder in folders:
        with contextlib.suppress(OSError):
            opened[folder] = os.open(folder, os.O_RDONLY)
    return opened


def _discard(written: Written, error: OSError | None, *, closed: bool = False) -> Filed:
    if not closed:
        with contextlib.suppress(OSError):
            written.part.close()
    with contextlib.suppress(OSError):
        partfile.part_path(written.folder, written.name).unlink()
    return Filed(written, error=error)

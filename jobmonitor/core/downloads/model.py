"""The vocabulary of downloads: states, progress snapshots, the handle, and messages for people."""

from __future__ import annotations

import asyncio
import errno
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import httpx

from jobmonitor.api import transport as api_transport
from jobmonitor.core.downloads.partfile import PartMeta

SPEED_WINDOW = 3.0  # seconds of history behind the speed figure


class DownloadState(StrEnum):
    QUEUED = "queued"  # waiting for a free slot
    SAVING = "saving"  # connecting, receiving or writing: the file is NOT complete yet
    DONE = "done"  # fsynced and renamed to its final name: complete
    FAILED = "failed"  # the message says why; any .part is kept for a later resume
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (DownloadState.DONE, DownloadState.FAILED, DownloadState.CANCELLED)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DownloadState.QUEUED: "Waiting",
    DownloadState.SAVING: "Saving",
    DownloadState.DONE: "Done",
    DownloadState.FAILED: "Failed",
    DownloadState.CANCELLED: "Cancelled",
}


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """One observation of a download, as listeners receive it.

    ``speed`` is bytes per second over the last few seconds, ``eta`` seconds left (None when
    unknown). ``path`` is the final file once DONE; while SAVING it is the name being saved (the
    bytes are in ``path + ".part"`` until then), None before the name is known.
    """

    job_id: str
    state: DownloadState
    bytes_done: int
    total: int | None
    speed: float | None
    eta: float | None
    path: Path | None
    message: str

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return 1.0 if self.state is DownloadState.DONE else None
        return min(self.bytes_done / self.total, 1.0)


class DownloadError(Exception):
    """A download failed for good; ``message`` is a sentence for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SpeedMeter:
    """Bytes per second over a sliding window of recent samples."""

    def __init__(self, window: float = SPEED_WINDOW) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def add(self, now: float, received: int) -> None:
        samples = self._samples
        samples.append((now, received))
        while len(samples) > 2 and now - samples[1][0] >= self._window:
            samples.popleft()

    def speed(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        if t1 - t0 < 0.2:
            return None
        return max(b1 - b0, 0) / (t1 - t0)


class Download:
    """One download the manager runs: where it goes, how far it got, and a way to wait for it."""

    def __init__(self, job_id: str, url: str, folder: Path) -> None:
        self.job_id = job_id
        self.url = url
        self.folder = folder
        self.state = DownloadState.QUEUED
        self.message = "Waiting for a free download slot"
        self.name: str | None = None  # the file name chosen (the bytes go to name + ".part")
        self.path: Path | None = None  # the final path once DONE
        self.meta: PartMeta | None = None
        # The .part under ``name`` is this download's own (reserved by it, or its resume record
        # says so): only then may it be opened again, cut back or continued.
        self.owns_part = False
        self.received = 0
        self.total: int | None = None
        self.restart = False  # the next request asks for the whole file (no Range)
        self.discard = False  # cancelled by the user: remove the .part
        self.speed = SpeedMeter()
        self.last_emit = float("-inf")
        self.task: asyncio.Task[None] | None = None  # the general path's; None in the quick lane
        self._waiters: list[asyncio.Future[None]] = []
        self.progress = self.snapshot()

    def snapshot(self) -> DownloadProgress:
        speed = self.speed.speed() if self.state is DownloadState.SAVING else None
        eta = None
        if speed and self.total is not None:
            eta = max(self.total - self.received, 0) / speed
        path = self.path
        if path is None and self.name is not None:
            path = self.folder / self.name
        return DownloadProgress(
            self.job_id, self.state, self.received, self.total, speed, eta, path, self.message
        )

    async def wait(self) -> DownloadProgress:
        """Wait until the download is DONE, FAILED or CANCELLED; return its last progress."""
        if not self.state.terminal:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        return self.progress

    def settle(self) -> None:
        """The manager says it ended: wake whoever waits (``wait``)."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def human_size(n: float) -> str:
    """``1536`` -> ``1.5 KB`` (powers of 1000, as file managers show sizes)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def format_eta(seconds: float) -> str:
    """``42 s``, ``1 min 15 s``, ``2 h 01 min``: a time left, for people."""
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def describe_disk_error(exc: OSError, dl: Download) -> str:
    name = dl.name or "the file"
    kept = (
        f" The {human_size(dl.received)} saved so far stay in {name}.part to continue later."
        if dl.received
        else ""
    )
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return f"The disk is full: not enough space in {dl.folder} to save {name}.{kept}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Cannot write to the folder {dl.folder}: {exc.strerror}. Choose another download folder."
    if isinstance(exc, FileExistsError):
        return f"Could not find a free name for {name} in {dl.folder}."
    return f"Cannot save {name} in {dl.folder}: {exc.strerror or exc}.{kept}"


def describe_transport_error(exc: httpx.TransportError) -> str:
    phrase = api_transport.describe_transport_error(exc, peer="the file server")
    return phrase[:1].upper() + phrase[1:]

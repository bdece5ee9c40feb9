"""The disk side of downloads: a lane of ordered file operations per download on one shared
pool of threads, and the writer that moves a body into its ``.part`` through two buffers.

Download all of 1,000 small files paid for a thread per download (started and joined for
every file) and a hop through the event loop's default executor for each file-system step;
a lane costs neither, and whole sequences (open and record, write and fsync and rename) go
to the disk as one job.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from jobmonitor.core.downloads.partfile import PartFile

T = TypeVar("T")

# One pool for every download of the process (as asyncio's default executor is): the disk,
# not the thread count, bounds the throughput, and a few threads let one download's fsync
# overlap another's writes.
DISK_THREADS = 4
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def disk_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(DISK_THREADS, thread_name_prefix="download-disk")
        return _pool


class Lane:
    """Runs blocking calls one after another, in the order given, on the shared disk pool.

    One download's file operations never overlap or pass each other (a cancelled download never
    closes its file under a running write), and no download needs a thread of its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = deque()
        self._running = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queue.append((future, fn, args))
            if self._running:
                return future
            self._running = True
        disk_pool().submit(self._drain)
        return future

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in this lane, awaited (a cancel leaves it to finish in order)."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                future, fn, args = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            # handed to the awaiting task, as concurrent.futures' own workers do
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)


class PartWriter:
    """Copies the body into two fixed buffers of ``size`` bytes and has the lane write them out
    in turn: one buffer fills while the other is written.

    The event loop never waits on the disk while the network has data, and memory is two
    buffers whatever the file size. Reusing the buffers (rather than holding on to each chunk
    the socket gave) keeps the allocator from handing pages back and faulting them in again for
    every piece, which cost more than the copy (tests/benchmarks/bench_download.py). Every
    operation on the file (write, fsync, close) runs in order in the lane, so a cancelled
    download never closes the file under a running write; after a failed write nothing more is
    written, since a later piece would land at the wrong offset.
    """

    def __init__(self, part: PartFile, size: int, lane: Lane) -> None:
        self._part = part
        self._size = size
        self._buffers = (bytearray(size), bytearray(size))
        self._current = 0
        self._filled = 0
        self._pending: asyncio.Future[None] | None = None  # the write of the other buffer
        self._failed = False  # read and written in the lane only
        self._closed = False
        self._lane = lane

    async def feed(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            n = min(len(view), self._size - self._filled)
            self._buffers[self._current][self._filled : self._filled + n] = view[:n]
            self._filled += n
            view = view[n:]
            if self._filled == self._size:
                await self._dispatch()

    def _take(self) -> memoryview:
        """The filled part of the current buffer; the next bytes go to the other buffer."""
        data = memoryview(self._buffers[self._current])[: self._filled]
        self._current ^= 1
        self._filled = 0
        return data

    async def _dispatch(self) -> None:
        # The other buffer is free again once its write is done: wait for that first.
        await self._wait_pending()
        self._pending = asyncio.wrap_future(self._lane.submit(self._write, self._take()))

    def _write(self, data: memoryview) -> None:
        if self._failed:
            return
        try:
            self._part.write(data)
        except BaseException:
            self._failed = True
            raise

    async def _wait_pending(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            # shield: a cancel must not cancel a write not yet started, or the next piece
            # (written on close) would leave a hole in the .part.
            await asyncio.shield(pending)

    async def flush(self) -> None:
        """Write everything received so far (raises the OSError of a failed write)."""
        if self._filled:
            await self._dispatch()
        await self._wait_pending()

    async def finish(self, then: Callable[[], T]) -> T:
        """Write the rest, fsync, close, then ``then()`` (the rename): one job for the disk."""
        await self._wait_pending()
        rest = self._take() if self._filled else None

        def complete() -> T:
            if rest is not None:
                self._write(rest)
            self._part.sync()
            self._close()
            return then()

        return await asyncio.shield(asyncio.wrap_future(self._lane.submit(complete)))

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._part.close()

    async def close(self) -> None:
        """Write what is still buffered (unless a write failed), then close the file.

        Safe to call when cancelled: the bytes already received are kept for the resume.
        """
        if self._pending is not None:  # cancelled while it ran: its outcome no longer matters
            self._pending.add_done_callback(_consume)
            self._pending = None
        if self._filled:  # the other buffer: its write, if still running, goes first
            self._lane.submit(self._write, self._take())
        closing = self._lane.submit(self._close)
        # shield: even a second cancel waits for the close, so the .part is not in use after.
        await asyncio.shield(asyncio.wrap_future(closing))


def _consume(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


async def on_disk(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on the shared disk pool, awaited: one file-system step of a download."""
    return await asyncio.wrap_future(disk_pool().submit(fn, *args))

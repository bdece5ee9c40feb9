"""The status polls' network I/O on a worker thread with its own plain asyncio loop; the answers
reach the scheduler's loop in batches, at most one batch per frame.

Under qasync every asyncio callback of the GUI thread is a Qt timer, and a poll is a dozen of
them besides the HTTP client's own Python: at 100,000 watched jobs the polls' I/O took most of
the GUI thread, which then had no frame to spare. Here the scheduler (still on its own loop: its
plan, the budget and the listeners stay single-threaded) hands each request to ``submit``; the
worker runs ``StatusClient.get_job`` on its own ``LiteClient`` (``core/litehttp.py``), so every
rule of ``api/`` holds as it is (the key only to the API's origin, redirects by hand, bounded
bodies and waits, everything an ``ApiError``), and puts the outcome in an outbox. The first
outcome of a batch writes one byte to a socket pair the scheduler's loop reads (no Qt object is
touched off the GUI thread); the loop then takes the whole outbox at most once per ``FRAME``.

``close`` cancels what is in flight, closes the worker's connections and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jobmonitor.api.client import StatusClient, StatusHttp
from jobmonitor.api.models import JobSnapshot

log = logging.getLogger(__name__)

FRAME = 0.016  # answers reach the scheduler at most once per frame
JOIN_TIMEOUT = 2.0  # seconds close() waits for the worker to end


@dataclass(eq=False, slots=True)
class Ticket:
    """One request handed to the lane; ``context`` and what follows it are the scheduler's
    (never read here) but ``outcome`` and ``answered_at``, which the worker sets."""

    job_id: str
    status_url: str | None
    context: object = None
    sent_at: float = 0.0
    key_generation: int = 0
    outcome: JobSnapshot | Exception | None = field(default=None)
    answered_at: float = 0.0  # clock time the outcome came (the worker's reading)


class PollLane:
    """See the module doc. ``make_http`` builds the worker's HTTP client (in the worker)."""

    def __init__(
        self,
        client: StatusClient,
        make_http: Callable[[], StatusHttp],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._make_http = make_http
        self._clock = clock
        self._lock = threading.Lock()
        self._outbox: list[Ticket] = []
        self._calls: list[Callable[[], None]] = []
        self._posted = False  # a wake-up is on its way to the scheduler's loop
        self._last_delivery = float("-inf")
        self._deliver: Callable[[list[Ticket]], None] | None = None
        self._home: asyncio.AbstractEventLoop | None = None  # the scheduler's loop
        self._worker: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: dict[Ticket, asyncio.Task[None]] = {}  # the worker's own
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._http: StatusHttp | None = None  # the worker's, made in its thread
        self._closed = False
        self.batches = 0  # deliveries made (tests, benchmarks)

    # -- the scheduler's loop ------------------------------------------------------------------
    def start(
        self,
        deliver: Callable[[list[Ticket]], None],
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Start the worker (on the scheduler's running loop); ``deliver`` gets each batch,
        ``clock`` (the scheduler's; it must be safe to read from another thread) stamps the
        answers."""
        if clock is not None:
            self._clock = clock
        self._deliver = deliver
        if self._thread is not None:
            return
        self._home = asyncio.get_running_loop()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._home.add_reader(self._wake_r.fileno(), self._woken)
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(ready,), name="poll-lane", daemon=True
        )
        self._thread.start()
        ready.wait(JOIN_TIMEOUT)

    @property
    def running(self) -> bool:
        """Whether requests can be submitted (the worker's loop is up, not closing)."""
        return self._worker is not None and not self._closed

    def submit(self, ticket: Ticket) -> None:
        """Send ``ticket``'s request on the worker; its outcome comes back in a batch."""
        worker = self._worker
        if worker is None or self._closed:
            raise RuntimeError("the poll lane is not running")
        worker.call_soon_threadsafe(self._begin, ticket)

    def cancel(self, ticket: Ticket) -> None:
        """Cancel ``ticket``'s request (its outcome, if one still comes, is the caller's to
        ignore)."""
        worker = self._worker
        if worker is not None and not self._closed:
            with contextlib.suppress(RuntimeError):  # the worker's loop has just closed
                worker.call_soon_threadsafe(self._abort, ticket)

    def call_home(self, call: Callable[[], None]) -> None:
        """Run ``call`` on the scheduler's loop with the next batch (from any thread)."""
        with self._lock:
            self._calls.append(call)
        self._wake()

    def _woken(self) -> None:
        assert self._wake_r is not None
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_r.recv(4096):
                pass
        wait = self._last_delivery + FRAME - self._clock()
        if wait <= 0:
            self._deliver_now()
        else:
            assert self._home is not None
            self._home.call_later(wait, self._deliver_now)

    def _deliver_now(self) -> None:
        with self._lock:
            batch, self._outbox = self._outbox, []
            calls, self._calls = self._calls, []
            self._posted = False
        self._last_delivery = self._clock()
        for call in calls:
            try:
                call()
            except Exception:  # one callback's bug must not lose the batch
                log.exception("a call handed from the poll lane failed")
        if batch and self._deliver is not None:
            self.batches += 1
            self._deliver(batch)

    async def aclose(self) -> None:
        """Cancel every request, close the worker's connections and end its thread."""
        if self._closed:
            return
        self._closed = True
        thread, worker = self._thread, self._worker
        if worker is not None:
            with contextlib.suppress(RuntimeError):
                worker.call_soon_threadsafe(lambda: worker.create_task(self._shut_down()))
        if thread is not None:
            # Joined in a helper thread, so the scheduler's loop goes on meanwhile (bounded).
            await asyncio.get_running_loop().run_in_executor(None, thread.join, JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("the poll lane's thread did not end within %s s", JOIN_TIMEOUT)
        if self._home is not None and self._wake_r is not None:
            self._home.remove_reader(self._wake_r.fileno())
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None

    # -- the worker thread -----------------------------------------------------------------
    def _work(self, ready: threading.Event) -> None:
        try:
            self._http = self._make_http()
            loop = asyncio.new_event_loop()
        except Exception:  # no lane then: the scheduler sends on its own loop (``running``)
            log.exception("the poll lane could not start")
            ready.set()
            return
        self._worker = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._worker = None
            loop.close()

    def _begin(self, ticket: Ticket) -> None:
        assert self._worker is not None
        self._tasks[ticket] = self._worker.create_task(self._fetch(ticket))

    def _abort(self, ticket: Ticket) -> None:
        task = self._tasks.get(ticket)
        if task is not None:
            task.cancel()

    async def _fetch(self, ticket: Ticket) -> None:
        try:
            ticket.outcome = await self._client.get_job(
                ticket.job_id, status_url=ticket.status_url, http=self._http
            )
        except asyncio.CancelledError:
            return  # cancelled by the scheduler, or the lane is closing: nobody waits for it
        except Exception as exc:  # noqa: BLE001 - an ApiError, or a bug below: the scheduler decides
            ticket.outcome = exc
        finally:
            self._tasks.pop(ticket, None)
        ticket.answered_at = self._clock()
        with self._lock:
            self._outbox.append(ticket)
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            if self._posted:
                return
            self._posted = True
        with contextlib.suppress(OSError):  # closed: nobody is waiting any more
            if self._wake_w is not None:
                self._wake_w.send(b"\0")

    async def _shut_down(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            if self._http is not None:
                await self._http.aclose()
        except Exception:  # closing must never stop the quit
            log.exception("closing the poll lane's connections failed")
        assert self._worker is not None
        self._worker.stop()


__all__ = ["FRAME", "PollLane", "Ticket"]

"""The GUI's network side: one httpx client per origin, and the status client + scheduler of one API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from jobmonitor import __version__
from jobmonitor.api.client import StatusClient, origin_of
from jobmonitor.api.errors import ApiError
from jobmonitor.core.polling.scheduler import DEFAULT_CONCURRENCY, PollScheduler

log = logging.getLogger(__name__)

STOP_TIMEOUT = 2.0  # seconds the scheduler gets to return after stop()


class HttpPool:
    """One ``httpx.AsyncClient`` per origin (API, result files), created on first use, closed once.

    Redirects are never followed by httpx itself: the API client follows same-origin ones by
    hand, so the key never travels to another origin.
    """

    def __init__(self, *, timeout: float = 20.0) -> None:
        self._timeout = timeout
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._closed = False

    def for_url(self, url: str) -> httpx.AsyncClient:
        origin = origin_of(url)
        client = self._clients.get(origin)
        if client is None:
            if self._closed:
                raise RuntimeError("the HTTP clients are closed")
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout, connect=10.0),
                follow_redirects=False,
                headers={"user-agent": f"jobmonitor/{__version__}"},
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            )
            self._clients[origin] = client
        return client

    async def aclose(self) -> None:
        self._closed = True
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


class PollingSession:
    """The status client and the scheduler of one API base URL, and the task that runs it.

    The composition root makes a new session when the base URL changes and closes the old one.
    """

    def __init__(
        self,
        http: HttpPool,
        base_url: str,
        *,
        api_key: str | None = None,
        rate_limit: int | None = None,
        route_template: str | None = None,
        on_route_learned: Callable[[str], None] | None = None,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.client = StatusClient(
            http.for_url(base_url),
            base_url,
            api_key=api_key,
            route_template=route_template,
            on_route_learned=on_route_learned,
        )
        self.base_url = self.client.base_url
        self.origin = self.client.origin
        self.scheduler = PollScheduler(
            self.client, rate_limit=rate_limit, max_concurrency=max_concurrency
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def api_key(self) -> str | None:
        return self.client.api_key

    def start(self) -> None:
        """Run the scheduler as a task this session owns (needs a running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self.scheduler.run(), name=f"poll {self.origin}"
            )

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def aclose(self) -> None:
        """Stop polling and wait for every request in flight to be cancelled."""
        await asyncio.sleep(0)  # a task created just now gets to start before it is stopped
        self.scheduler.stop()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            # wait_for cancels the task if it has not returned in time (e.g. stop() came before
            # run() had started, and run() begins by clearing the stop flag).
            await asyncio.wait_for(task, timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.info("the poll scheduler did not stop within %s s; cancelled", STOP_TIMEOUT)
        except Exception:  # a crash of the loop is logged, never raised at quit
            log.exception("the poll scheduler ended with an error")

    async def result_url(self, job_id: str) -> str | None:
        """Ask the API again for a job's result file URL (expired download links)."""
        try:
            snapshot = await self.client.get_job(job_id)
        except ApiError as exc:
            log.info("could not refresh the result URL of %s: %s", job_id, exc)
            return None
        return snapshot.result.file if snapshot.result is not None else None

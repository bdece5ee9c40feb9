"""The status client and the poll scheduler of one API base URL, and the task that runs them."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError
from jobmonitor.core.http import HttpPool
from jobmonitor.core.polling.lane import PollLane
from jobmonitor.core.polling.scheduler import DEFAULT_CONCURRENCY, PollScheduler

log = logging.getLogger(__name__)

STOP_TIMEOUT = 2.0  # seconds the scheduler gets to return after stop()


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
        self._route_learned = on_route_learned
        self.client = StatusClient(
            http.for_status(base_url),
            base_url,
            api_key=api_key,
            route_template=route_template,
            on_route_learned=self._learned_route if on_route_learned else None,
        )
        self.base_url = self.client.base_url
        self.origin = self.client.origin
        # The polls' I/O on a worker thread (lane.py), unless a proxy is set: then httpx's own
        # client, which honours it, on this loop.
        make_http = http.status_client_maker()
        self.lane = PollLane(self.client, make_http) if make_http is not None else None
        self._home = threading.get_ident()
        self.scheduler = PollScheduler(
            self.client, rate_limit=rate_limit, max_concurrency=max_concurrency, lane=self.lane
        )
        self._task: asyncio.Task[None] | None = None

    def _learned_route(self, route: str) -> None:
        """The server's route, learned by a request; told on this loop (the settings are Qt's)."""
        assert self._route_learned is not None
        if threading.get_ident() == self._home or self.lane is None:
            self._route_learned(route)
        else:
            callback = self._route_learned
            self.lane.call_home(lambda: callback(route))

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
        try:
            if task is None:
                return
            # wait_for cancels the task if it has not returned in time (e.g. stop() came before
            # run() had started, and run() begins by clearing the stop flag).
            await asyncio.wait_for(task, timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.info("the poll scheduler did not stop within %s s; cancelled", STOP_TIMEOUT)
        except Exception:  # a crash of the loop is logged, never raised at quit
            log.exception("the poll scheduler ended with an error")
        finally:
            if self.lane is not None:
                await self.lane.aclose()

    async def result_url(self, job_id: str) -> str | None:
        """Ask the API again for a job's result file URL (expired download links)."""
        try:
            snapshot = await self.client.get_job(job_id)
        except ApiError as exc:
            log.info("could not refresh the result URL of %s: %s", job_id, exc)
            return None
        return snapshot.result.file if snapshot.result is not None else None

"""The app's link to one Status API: its polling session, its key, and what it learned of the budget.

``DesktopApp`` owns one ``ApiConnection``. It builds the ``PollingSession`` for the base URL in
use (the demo's, ``--base-url``'s or the setting's), loads the key for that origin from the
keyring, hands the scheduler a new key or rate limit from Settings, and replaces the session when
the base URL changes. What a session learned of the request budget is kept for the next one on
that base URL (a day), so a restart does not cost another 429 or another probing first minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from jobmonitor.api.errors import InsecureUrl
from jobmonitor.core.credentials.store import CredentialStore
from jobmonitor.core.http import HttpPool
from jobmonitor.core.polling.controller import PollingController
from jobmonitor.core.polling.session import PollingSession
from jobmonitor.core.settings import BUDGET_MEMORY_AGE, BudgetMemory, Settings
from jobmonitor.core.state import JobEvent
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.desktop.demo import DemoSetup

log = logging.getLogger(__name__)


class ApiConnection:
    """Builds, re-keys and replaces the one polling session; ``session`` is None while polling
    is off (an insecure base URL)."""

    def __init__(
        self,
        *,
        http: HttpPool,
        settings: Settings,
        credentials: CredentialStore,
        polling: PollingController,
        watchlist: WatchList,
        demo: DemoSetup | None,
        base_url: str | None,
        on_event: Callable[[JobEvent], None],
        on_started: Callable[[PollingSession], None],
        notice: Callable[[str], None],
        own: Callable[[Coroutine[Any, Any, None]], None],
        on_keyed: Callable[[PollingSession], None] = lambda session: None,
    ) -> None:
        """``on_event``: each job event of the scheduler; ``on_started``: a session began
        (downloads follow its origin); ``on_keyed``: the session has a usable key (requests in
        its name can go); ``notice``: a sentence for the window's notice bar;
        ``own``: run a coroutine as a task the app cancels on quit."""
        self._http = http
        self._settings = settings
        self._credentials = credentials
        self._polling = polling
        self._watchlist = watchlist
        self._demo = demo
        self._override = demo.base_url if demo else base_url
        self._on_event = on_event
        self._on_started = on_started
        self._notice = notice
        self._own = own
        self._on_keyed = on_keyed
        self.session: PollingSession | None = None
        self._recalled = BudgetMemory()  # the budget memory it started with

    @property
    def base_url(self) -> str:
        return self.session.base_url if self.session else (self._override or "")

    @property
    def api_key(self) -> str | None:
        return self.session.api_key if self.session else None

    def start(self) -> None:
        url = self._override or self._settings.base_url
        try:
            session = PollingSession(
                self._http,
                url,
                api_key=self._demo.key if self._demo else None,
                rate_limit=self._settings.rate_limit,
                route_template=self._settings.route_template(url),
                on_route_learned=lambda route: self._settings.set_route_template(url, route),
            )
        except InsecureUrl as exc:
            self._notice(f"Polling is off: {exc.message}. Fix the base URL in Settings.")
            return
        self.session = session
        budget = session.scheduler.budget
        budget.recall(*self._settings.budget_memory(url, time.time(), BUDGET_MEMORY_AGE))
        self._recalled = BudgetMemory(*budget.memory)
        session.scheduler.add_listener(self._on_event)
        self._watchlist.attach_poller(session.scheduler)
        self._polling.attach(session.scheduler)
        session.start()
        self._on_started(session)
        if self._demo is not None:
            self._credentials.keep_for_session(session.origin, self._demo.key)
            self._on_keyed(session)
        else:
            self._own(self._load_key(session))

    async def _load_key(self, session: PollingSession) -> None:
        lookup = await self._credentials.get(session.origin)
        if session is self.session:
            session.scheduler.set_api_key(lookup.key if lookup.usable else None)
            if lookup.usable:
                self._on_keyed(session)
            else:
                log.info("no usable API key for %s: %s", session.origin, lookup.message)

    async def result_url(self, job_id: str) -> str | None:
        return await self.session.result_url(job_id) if self.session else None

    def reload_key(self) -> None:
        """A key was saved in Settings: the scheduler gets it (the demo's key stays)."""
        if self.session is not None and self._demo is None:
            self._own(self._load_key(self.session))

    def set_rate_limit(self, limit: int | None) -> None:
        if self.session is not None:
            self.session.scheduler.set_rate_limit(limit)

    async def switch(self) -> None:
        """A new base URL: a new client and scheduler; every job is checked again there, the
        finished ones too (what the old server said of a job says nothing of this one's)."""
        old, self.session = self.session, None
        self._override = None
        if old is not None:
            self._remember_budget(old)
            await old.aclose()
        self.start()
        self._polling.check_now(job.job_id for job in self._watchlist.jobs())

    def _remember_budget(self, session: PollingSession) -> None:
        """Keep what this session learned of the API's request budget for the next ones (a
        day): a 429's lesson, or how far pacing grew without one. A value only recalled is not
        saved again, so it expires unless a session confirms it."""
        memory = BudgetMemory(*session.scheduler.budget.memory)
        if memory != self._recalled:
            self._settings.set_budget_memory(session.base_url, memory, time.time())
            self._settings.sync()

    async def aclose(self) -> None:
        if self.session is not None:
            self._remember_budget(self.session)
            await self.session.aclose()

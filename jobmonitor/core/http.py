"""The one per-origin HTTP client pool, shared by the desktop app and the command line.

One ``httpx.AsyncClient`` per origin (the API, each file origin), created on first use and closed
once. httpx never follows redirects itself: the API client and the download transfer follow them
by hand under ``api/urls.py``'s rules, so the key never travels to another origin. The key is never
a default header of a client.
"""

from __future__ import annotations

import contextlib
import importlib
import ssl
import urllib.request
from collections.abc import Callable

import httpcore
import httpx

from jobmonitor import __version__
from jobmonitor.api.client import StatusHttp
from jobmonitor.api.urls import origin_of
from jobmonitor.core.litehttp import LiteClient, LiteTransport

USER_AGENT = f"jobmonitor/{__version__}"

# What httpx imports at its first request, not before (anyio's event-loop backend and its
# streams, the trust store): 40 modules, 50-70 ms on the GUI thread in the middle of the first
# poll or a paste's first answers (more under PySide's import hook, which reads each module).
FIRST_REQUEST_MODULES = (
    "anyio._backends._asyncio",
    "anyio.streams.memory",
    "anyio.streams.tls",
    "anyio.to_thread",
    "sniffio",
    "jobmonitor.core.tls",
)


def warm_up() -> None:
    """Import what a first request needs (the desktop app runs this on a worker thread while
    its window shows: Python code, so the GUI thread gets its turns meanwhile)."""
    for name in FIRST_REQUEST_MODULES:
        # a newer httpx or anyio laid out otherwise: the first request imports what it needs
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


# httpcore reads at most READ_NUM_BYTES (64 KiB) from the socket at a time, and anyio then cuts
# each bigger asyncio read into such pieces, copying the rest every time. Whole 1 MiB reads make
# big downloads much faster (tests/benchmarks/bench_download.py). It is a class attribute meant for
# tuning and only caps a read, so small answers (status polls) are unaffected; it is set here, once,
# for every connection of the process, because httpx offers no per-client setting for it.
HTTP_READ_SIZE = 1024 * 1024
httpcore.AsyncHTTP11Connection.READ_NUM_BYTES = max(
    httpcore.AsyncHTTP11Connection.READ_NUM_BYTES, HTTP_READ_SIZE
)


def make_client(
    *, timeout: float = 20.0, verify: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """A client with the app's policy: no redirects followed, no key, bounded waits, servers
    verified against ``verify`` (by default the OS trust store or its overrides: core/tls.py)."""
    if verify is None:
        from jobmonitor.core.tls import trust_context

        verify = trust_context().context
    return httpx.AsyncClient(
        verify=verify,
        timeout=httpx.Timeout(timeout, connect=10.0),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
        # As many kept alive as may be open: the scheduler keeps 16 polls in flight, and with 8
        # kept, half of every burst's connections were closed and opened again (a connect and
        # a close per poll: a third of the poll loop's system time at 500 answers a second).
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
    )


def proxy_configured() -> bool:
    """Whether the environment names a proxy (which httpx's own transport would use)."""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


class HttpPool:
    """One ``httpx.AsyncClient`` per origin, created on first use; ``aclose`` closes them all."""

    def __init__(self, *, timeout: float = 20.0, verify: ssl.SSLContext | None = None) -> None:
        """``verify``: the SSL context every client checks servers with (one, shared)."""
        self._timeout = timeout
        self._verify = verify
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._status_clients: dict[str, LiteClient] = {}
        self._lite: list[LiteTransport] = []
        self._closed = False

    def for_url(self, url: str) -> httpx.AsyncClient:
        origin = origin_of(url)
        client = self._clients.get(origin)
        if client is None:
            if self._closed:
                raise RuntimeError("the HTTP clients are closed")
            client = make_client(timeout=self._timeout, verify=self.verify)
            self._clients[origin] = client
        return client

    def for_status(self, url: str) -> StatusHttp:
        """The client for the status polls of ``url``'s origin: ``litehttp.LiteClient`` (a
        fraction of httpx's CPU per poll), unless a proxy is configured (a socket of ours would
        not go through it): then ``for_url``'s."""
        if proxy_configured():
            return self.for_url(url)
        origin = origin_of(url)
        client = self._status_clients.get(origin)
        if client is None:
            if self._closed:
                raise RuntimeError("the HTTP clients are closed")
            client = LiteClient(
                verify=lambda: self.verify,
                timeout=httpx.Timeout(self._timeout, connect=10.0),
                headers={"user-agent": USER_AGENT},
            )
            self._lite.append(client.transport)
            self._status_clients[origin] = client
        return client

    def status_client_maker(self) -> Callable[[], LiteClient] | None:
        """What makes a status client of its own for the poll lane's worker thread (its
        connections belong to that thread's loop; the lane closes it), or None when a proxy
        is configured (the lane is off then, and ``for_status`` is httpx's)."""
        if proxy_configured():
            return None
        self.verify  # noqa: B018 - the trust is loaded here, not on the worker thread
        return lambda: LiteClient(
            verify=lambda: self.verify,
            timeout=httpx.Timeout(self._timeout, connect=10.0),
            headers={"user-agent": USER_AGENT},
        )

    @property
    def verify(self) -> ssl.SSLContext:
        """The SSL context servers are verified with now (the quick download lane's too)."""
        if self._verify is None:
            from jobmonitor.core.tls import trust_context

            self._verify = trust_context().context
        return self._verify

    async def set_verify(self, verify: ssl.SSLContext) -> None:
        """Trust something else from now on: the clients made so far are closed (a request in
        flight on one fails like a dropped connection and is retried on a new client). The
        status clients stay: their connections are dropped, and new ones use the new trust."""
        self._verify = verify
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
        for lite in self._lite:
            lite.drop_connections()

    async def aclose(self) -> None:
        self._closed = True
        for client in self._take_all():
            await client.aclose()

    def _take_all(self) -> list[httpx.AsyncClient | LiteClient]:
        clients: list[httpx.AsyncClient | LiteClient] = [*self._clients.values()]
        clients += self._status_clients.values()
        self._clients, self._status_clients, self._lite = {}, {}, []
        return clients

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

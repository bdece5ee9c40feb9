"""Run the simulator's three origins (API, result files, upload storage) with uvicorn in a
background thread.

Sockets are bound before the thread starts (port 0 picks free ports), so the URLs are known at
once; ``stop()`` drops every connection like a killed server, and ``start()`` again binds the same
ports, for "server went away and came back" tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from jobmonitor.sim.app import create_api_app
from jobmonitor.sim.files import create_files_app
from jobmonitor.sim.storage import create_storage_app
from jobmonitor.sim.world import SimWorld

_QUIET = (
    "ASGI callable returned without completing response.",  # the file origin cutting on purpose
)


class _DropExpected(logging.Filter):
    """Hide the log lines the simulator causes on purpose (cuts, connections dropped on stop)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() in _QUIET:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_FILTER = _DropExpected()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off only on sockets that say they are TCP;
    # with proto 0 every keep-alive answer waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class SimServer:
    """The origins of a ``SimWorld`` on loopback sockets; a sync context manager.

    The result files and the upload storage share the second loopback address (another origin
    than the API's, as the provider's hosts are), on ports of their own.
    """

    def __init__(
        self,
        world: SimWorld,
        *,
        host: str = "127.0.0.1",
        files_host: str = "127.0.0.2",
        port: int = 0,
        files_port: int = 0,
        tls: tuple[str, str] | None = None,
        storage_port: int = 0,
    ) -> None:
        """``tls`` = (certificate chain PEM file, private key PEM file): every origin over HTTPS."""
        self.world = world
        self.tls = tls
        self.host = host
        self.files_host = files_host
        self.port = port
        self.files_port = files_port
        self.storage_port = storage_port
        self.api_url = ""
        self.files_url = ""
        self.storage_url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._error: BaseException | None = None
        logging.getLogger("uvicorn.error").addFilter(_FILTER)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def open_connections(self) -> int:
        """Client connections both origins hold right now (to wait for a request in flight)."""
        return sum(len(server.server_state.connections) for server in self._servers)

    def start(self) -> SimServer:
        """Bind (the same ports as before, after a stop) and serve; returns once accepting."""
        if self.running:
            return self
        api_sock = _bind(self.host, self.port)
        try:
            files_sock = self._bind_files()
        except OSError:
            api_sock.close()
            raise
        try:
            storage_sock = _bind(self.files_host, self.storage_port)
        except OSError:
            api_sock.close()
            files_sock.close()
            raise
        self.port = api_sock.getsockname()[1]
        self.files_port = files_sock.getsockname()[1]
        self.storage_port = storage_sock.getsockname()[1]
        scheme = "https" if self.tls else "http"
        self.api_url = _url(self.host, self.port, scheme)
        self.files_url = _url(self.files_host, self.files_port, scheme)
        self.storage_url = _url(self.files_host, self.storage_port, scheme)
        self.world.files_base_url = self.files_url
        self.world.storage_base_url = self.storage_url
        self._servers = [
            uvicorn.Server(_config(create_api_app(self.world), self.tls)),
            uvicorn.Server(_config(create_files_app(self.world), self.tls)),
            uvicorn.Server(_config(create_storage_app(self.world), self.tls)),
        ]
        ready = threading.Event()
        self._error = None
        sockets = [api_sock, files_sock, storage_sock]
        self._thread = threading.Thread(
            target=self._run, args=(sockets, ready), name="sim-server", daemon=True
        )
        self._thread.start()
        if not ready.wait(15) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {self._error!r}")
        return self

    def _bind_files(self) -> socket.socket:
        try:
            return _bind(self.files_host, self.files_port)
        except OSError:
            # Only Linux routes all of 127.0.0.0/8 to loopback; elsewhere use the API's host.
            if self.files_host == self.host or self.files_port != 0:
                raise
            self.files_host = self.host
            return _bind(self.files_host, 0)

    def stop(self) -> None:
        """Stop at once: close the listeners and drop open connections, like a killed server."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop just finished by itself
                loop.call_soon_threadsafe(self._kill)
        thread.join(15)
        self._thread = None
        self._loop = None

    def _kill(self) -> None:
        for task in self._tasks:
            task.cancel()

    def _run(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(sockets, ready))
        except Exception as exc:  # noqa: BLE001 - reported to start(); the thread has nobody else
            self._error = exc
            ready.set()

    async def _main(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self._servers, sockets, strict=True)
        ]
        while not all(server.started for server in self._servers):
            failed = [t for t in tasks if t.done()]
            if failed:
                for t in tasks:
                    t.cancel()
                failed[0].result()
                raise RuntimeError("a simulator server exited during start-up")
            await asyncio.sleep(0.005)
        ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)  # until stop() cancels them
        # Like a killed process: listeners closed, connections dropped, requests abandoned.
        for server in self._servers:
            for listener in getattr(server, "servers", []):
                listener.close()
            for conn in list(server.server_state.connections):
                transport: Any = getattr(conn, "transport", None)
                if transport is not None:
                    transport.abort()
        for sock in sockets:
            sock.close()
        pending = [t for s in self._servers for t in s.server_state.tasks if not t.done()]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.sleep(0)  # let the aborted transports finish closing

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _config(app: Any, tls: tuple[str, str] | None = None) -> uvicorn.Config:
    certfile, keyfile = tls if tls else (None, None)
    return uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,  # never reconfigure the host program's logging
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )

"""Keyring backends for the credential store: usable or not, locked or not, and the worker thread.

``ensure_usable`` blocks on D-Bus and on unlock prompts: it runs in ``KeyringWorker``'s thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import closing
from typing import Any, TypeVar

import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

_T = TypeVar("_T")


class NoBackend(keyring.errors.KeyringError):
    """No keyring backend that can keep a secret is available."""


class KeyringTimeout(Exception):
    """The keyring did not answer within the store's timeout."""


def leaf_backends(backend: KeyringBackend) -> list[KeyringBackend]:
    if isinstance(backend, chainer.ChainerBackend):
        return list(backend.backends)
    return [backend]


def display_name(backend: KeyringBackend) -> str:
    leaves = leaf_backends(backend)
    names = [str(leaf.name) for leaf in leaves] or [str(backend.name)]
    return ", ".join(names)


def ensure_usable(backend: KeyringBackend, *, unlock_timeout: float | None = None) -> None:
    """Raise ``NoBackend`` when nothing can keep a key; unlock a locked Secret Service collection.

    Raises ``keyring.errors.KeyringLocked`` when it stays locked (prompt dismissed, or no prompt
    can be shown), ``keyring.errors.InitError`` when the collection cannot be opened.
    """
    leaves = leaf_backends(backend)
    if not leaves or all(isinstance(leaf, fail.Keyring | null.Keyring) for leaf in leaves):
        raise NoBackend("no usable keyring backend")
    for leaf in leaves:
        if _is_secret_service(leaf):
            _unlock_secret_service(leaf, unlock_timeout)


def _is_secret_service(backend: KeyringBackend) -> bool:
    try:
        from keyring.backends import SecretService
    except ImportError:  # pragma: no cover - keyring always ships it; secretstorage is optional
        return False
    return isinstance(backend, SecretService.Keyring)


def _unlock_secret_service(backend: KeyringBackend, timeout: float | None) -> None:
    # Done here, on a connection we close, before keyring's own call: keyring's backend leaves
    # its D-Bus connection open when it raises KeyringLocked or InitError.
    import secretstorage
    from secretstorage.exceptions import SecretServiceNotAvailableException, SecretStorageException

    try:
        bus = secretstorage.dbus_init()
    except SecretServiceNotAvailableException as exc:
        raise NoBackend(f"the Secret Service is not available: {exc}") from None
    with closing(bus):
        path = getattr(backend, "preferred_collection", None)
        try:
            if path:
                collection = secretstorage.Collection(bus, path)
            else:
                collection = secretstorage.get_default_collection(bus)
        except SecretStorageException as exc:
            raise keyring.errors.InitError(f"cannot open the keyring's collection: {exc}") from None
        if not collection.is_locked():
            return
        if getattr(secretstorage, "__version_tuple__", (0,)) >= (3, 5):
            dismissed = collection.unlock(timeout=timeout)
        else:  # pragma: no cover - older secretstorage: the store's own timeout still applies
            dismissed = collection.unlock()
        if dismissed or collection.is_locked():
            raise keyring.errors.KeyringLocked("the unlock was dismissed or could not be shown")


class KeyringWorker:
    """Runs keyring calls one at a time in a worker thread, each bounded by ``timeout`` seconds."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()  # one keyring call at a time (prompts, D-Bus)

    def _start(self, fn: Callable[[], _T]) -> Future[_T]:
        # A daemon thread per call rather than a ThreadPoolExecutor: a hung unlock prompt must
        # not keep the app from quitting (executor workers are joined at interpreter exit).
        future: Future[_T] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                with self._lock:
                    result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="jobmonitor-keyring", daemon=True).start()
        return future

    def run_sync(self, fn: Callable[[], _T]) -> _T:
        future = self._start(fn)
        try:
            return future.result(timeout=self.timeout)
        except TimeoutError:
            if future.done():
                raise
            raise KeyringTimeout from None

    async def run(self, fn: Callable[[], _T]) -> _T:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_T] = loop.create_future()

        def relay(done: Future[_T]) -> None:
            # RuntimeError: the loop closed while the keyring was busy; nobody waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_copy_outcome, done, waiter)

        self._start(fn).add_done_callback(relay)
        try:
            return await asyncio.wait_for(waiter, self.timeout)
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                raise
            raise KeyringTimeout from None


def _copy_outcome(source: Future[Any], waiter: asyncio.Future[Any]) -> None:
    if waiter.done():
        return
    exc = source.exception()
    if exc is not None:
        waiter.set_exception(exc)
    else:
        waiter.set_result(source.result())

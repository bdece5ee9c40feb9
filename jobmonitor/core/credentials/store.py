"""The API key in the OS keyring (service ``jobmonitor``, account = the API origin), with clear problem states.

Where a key comes from, first match wins: ``$JOBMONITOR_API_KEY`` (for scripts; the lookup says
so), a key kept in memory for this session only (offered when no keyring can keep it), then the OS
keyring. Every keyring call runs in a worker thread with a timeout, so a hung Secret Service or an
unlock prompt nobody answers never blocks the event loop. A set is read back, because some backends
accept a key and keep nothing. The key never appears in a message, a repr or an exception text.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from jobmonitor import KEYRING_SERVICE
from jobmonitor.api.urls import origin_of
from jobmonitor.core.credentials import backends as keyring_backends
from jobmonitor.core.redact import register_secret

ENV_KEY = "JOBMONITOR_API_KEY"
DEFAULT_TIMEOUT = 10.0


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    SESSION = "session"  # in memory only, forgotten when the app quits
    NONE = "none"


class KeyProblem(StrEnum):
    """Why there is no usable key. Each has its own plain message."""

    NO_BACKEND = "no_backend"  # no OS keyring can be used: offer a session-only key
    LOCKED = "locked"  # locked and not unlocked (prompt dismissed or impossible), or unopenable
    NOT_STORED = "not_stored"  # the keyring works and holds no key for this origin
    NOT_SAVED = "not_saved"  # the keyring accepted a key but reading it back gave something else
    TIMEOUT = "timeout"  # the keyring did not answer in time (an unlock prompt may be waiting)
    FAILED = "failed"  # any other keyring error
    INVALID = "invalid"  # $JOBMONITOR_API_KEY holds something that cannot be sent as a key
    REJECTED = "rejected"  # the API answered 401 to this key


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """Where the key for one origin comes from, or why there is none. ``message`` is for people."""

    key: str | None = field(repr=False)
    source: KeySource
    problem: KeyProblem | None
    message: str
    origin: str = ""
    backend: str = ""  # display name of the keyring backend involved, if any

    @property
    def usable(self) -> bool:
        return self.key is not None and self.problem is None

    @property
    def masked(self) -> str:
        return mask_key(self.key) if self.key else "none"

    @property
    def can_keep_for_session(self) -> bool:
        """True when the keyring cannot keep a key: the GUI offers to keep it in memory for this
        session only (with a visible notice); the CLI points to $JOBMONITOR_API_KEY instead."""
        return self.problem in (KeyProblem.NO_BACKEND, KeyProblem.NOT_SAVED)


def mask_key(key: str) -> str:
    """``abcd…7890``: the first and last four characters of a key of 16 or more; else all hidden."""
    key = key.strip()
    if len(key) < 16:  # showing 8 characters of a short key would show most of it
        return "********"
    return f"{key[:4]}…{key[-4:]}"


def clean_key(text: str) -> str:
    """The key as typed, trimmed; ``ValueError`` (never quoting the key) when it cannot be one."""
    key = text.strip()
    if not key:
        raise ValueError("the key is empty")
    if any(not (33 <= ord(ch) <= 126) for ch in key):
        raise ValueError(
            "the key contains spaces, control or non-ASCII characters, which an HTTP header "
            "cannot carry; paste only the key"
        )
    return key


class CredentialStore:
    """Get, set and delete the API key of each origin; the GUI and the CLI share it."""

    def __init__(
        self,
        service: str = KEYRING_SERVICE,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        backend: KeyringBackend | None = None,
    ) -> None:
        self._service = service
        self._environ = environ  # None: read os.environ at each call
        self._timeout = timeout
        self._backend = backend  # None: keyring's choice (keyring.get_keyring()), resolved lazily
        self._session: dict[str, str] = {}
        self._rejected: dict[str, str] = {}  # origin -> sha256 of the key the API refused
        self._worker = keyring_backends.KeyringWorker(timeout)

    # -- lookups --------------------------------------------------------------------------------

    def get_sync(self, origin: str) -> KeyLookup:
        """Blocking lookup for the command line (still bounded by the timeout)."""
        origin = origin_of(origin)
        early = self._before_keyring(origin)
        if early is not None:
            return early
        try:
            value, name = self._worker.run_sync(lambda: self._read(origin))
        except Exception as exc:  # noqa: BLE001 - any backend error becomes a problem state
            return self._problem(origin, exc)
        return self._from_keyring(origin, value, name)

    async def get(self, origin: str) -> KeyLookup:
        origin = origin_of(origin)
        early = self._before_keyring(origin)
        if early is not None:
            return early
        try:
            value, name = await self._worker.run(lambda: self._read(origin))
        except Exception as exc:  # noqa: BLE001 - any backend error becomes a problem state
            return self._problem(origin, exc)
        return self._from_keyring(origin, value, name)

    def env_key_in_use(self) -> bool:
        return bool(self._env().get(ENV_KEY, "").strip())

    # -- changes --------------------------------------------------------------------------------

    async def set(self, origin: str, key: str) -> KeyLookup:
        """Save the key in the OS keyring and read it back. ``ValueError`` for an unusable key."""
        origin = origin_of(origin)
        key = clean_key(key)
        register_secret(key)
        try:
            kept, name = await self._worker.run(lambda: self._write(origin, key))
        except Exception as exc:  # noqa: BLE001 - any backend error becomes a problem state
            return self._problem(origin, exc)
        if not kept:
            return KeyLookup(
                None, KeySource.NONE, KeyProblem.NOT_SAVED, _MSG_NOT_SAVED, origin, name
            )
        self._session.pop(origin, None)
        self._rejected.pop(origin, None)
        message = f"Saved the key for {origin} in the OS keyring ({name})."
        return KeyLookup(key, KeySource.KEYRING, None, message + self._env_note(), origin, name)

    async def delete(self, origin: str) -> KeyLookup:
        """Remove the key from the keyring and from this session. Returns the state afterwards."""
        origin = origin_of(origin)
        had_session = self._session.pop(origin, None) is not None
        self._rejected.pop(origin, None)
        try:
            existed, name = await self._worker.run(lambda: self._remove(origin))
        except Exception as exc:  # noqa: BLE001 - any backend error becomes a problem state
            lookup = self._problem(origin, exc)
            if had_session:
                lookup = replace(
                    lookup, message="Forgot the key kept for this session. " + lookup.message
                )
            return lookup
        if existed:
            message = f"Removed the key for {origin} from the OS keyring ({name})."
        elif had_session:
            message = f"Forgot the key for {origin} kept for this session; the keyring held none."
        else:
            message = f"No key was stored for {origin}; nothing to remove."
        return KeyLookup(
            None, KeySource.NONE, KeyProblem.NOT_STORED, message + self._env_note(), origin, name
        )

    def keep_for_session(self, origin: str, key: str) -> KeyLookup:
        """Use a key for this run of the app only (in memory; never written anywhere)."""
        origin = origin_of(origin)
        key = clean_key(key)
        register_secret(key)
        self._session[origin] = key
        self._rejected.pop(origin, None)
        return self._session_lookup(origin, key)

    def mark_rejected(self, origin: str, key: str) -> None:
        """Remember that the API answered 401 to this key, so lookups report REJECTED until it changes."""
        self._rejected[origin_of(origin)] = _digest(key.strip())

    def rejected(self, lookup: KeyLookup) -> KeyLookup:
        """``lookup`` as the API's 401 leaves it (a state the GUI and the CLI can show)."""
        if lookup.key is None:
            return lookup
        return replace(lookup, problem=KeyProblem.REJECTED, message=_rejected_message(lookup))

    # -- internals ------------------------------------------------------------------------------

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def _env_note(self) -> str:
        if not self.env_key_in_use():
            return ""
        return f" Note: ${ENV_KEY} is set in this environment and is used instead while it is set."

    def _before_keyring(self, origin: str) -> KeyLookup | None:
        env = self._env().get(ENV_KEY, "").strip()
        if env:
            try:
                key = clean_key(env)
            except ValueError as exc:
                return KeyLookup(
                    None,
                    KeySource.ENVIRONMENT,
                    KeyProblem.INVALID,
                    f"${ENV_KEY} is set, but {exc}.",
                    origin,
                )
            register_secret(key)
            message = f"Using the key from ${ENV_KEY} (it overrides the keyring)."
            return self._check_rejected(
                KeyLookup(key, KeySource.ENVIRONMENT, None, message, origin)
            )
        session_key = self._session.get(origin)
        if session_key is not None:
            return self._check_rejected(self._session_lookup(origin, session_key))
        return None

    def _session_lookup(self, origin: str, key: str) -> KeyLookup:
        message = (
            f"Using a key for {origin} kept for this session only; "
            "it is forgotten when the app quits."
        )
        return KeyLookup(key, KeySource.SESSION, None, message, origin)

    def _from_keyring(self, origin: str, value: str | None, name: str) -> KeyLookup:
        if not value:
            message = (
                f"No API key is stored for {origin}. "
                "Set one in Settings or with 'jobmonitor auth set'."
            )
            return KeyLookup(None, KeySource.NONE, KeyProblem.NOT_STORED, message, origin, name)
        register_secret(value)
        message = f"Using the key stored in the OS keyring ({name})."
        return self._check_rejected(
            KeyLookup(value, KeySource.KEYRING, None, message, origin, name)
        )

    def _check_rejected(self, lookup: KeyLookup) -> KeyLookup:
        if lookup.key is not None and self._rejected.get(lookup.origin) == _digest(lookup.key):
            return self.rejected(lookup)
        return lookup

    def _problem(self, origin: str, exc: BaseException) -> KeyLookup:
        problem, message = _classify(exc, self._timeout)
        return KeyLookup(None, KeySource.NONE, problem, message, origin)

    def _resolved_backend(self) -> KeyringBackend:
        backend = self._backend if self._backend is not None else keyring.get_keyring()
        keyring_backends.ensure_usable(backend, unlock_timeout=self._timeout)
        return backend

    # These three run in the worker thread.
    def _read(self, origin: str) -> tuple[str | None, str]:
        backend = self._resolved_backend()
        return backend.get_password(self._service, origin), keyring_backends.display_name(backend)

    def _write(self, origin: str, key: str) -> tuple[bool, str]:
        backend = self._resolved_backend()
        backend.set_password(self._service, origin, key)
        kept = backend.get_password(self._service, origin) == key
        if not kept:  # never leave a mangled key behind to be used later
            with contextlib.suppress(keyring.errors.KeyringError):
                backend.delete_password(self._service, origin)
        return kept, keyring_backends.display_name(backend)

    def _remove(self, origin: str) -> tuple[bool, str]:
        backend = self._resolved_backend()
        name = keyring_backends.display_name(backend)
        if backend.get_password(self._service, origin) is None:
            return False, name
        try:
            backend.delete_password(self._service, origin)
        except keyring.errors.PasswordDeleteError:
            return False, name
        if backend.get_password(self._service, origin) is not None:
            raise keyring.errors.PasswordDeleteError("the key is still there after deleting it")
        return True, name


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _rejected_message(lookup: KeyLookup) -> str:
    where = {
        KeySource.ENVIRONMENT: f"the key from ${ENV_KEY}",
        KeySource.KEYRING: "the key stored in the OS keyring",
        KeySource.SESSION: "the key kept for this session",
        KeySource.NONE: "the key",
    }[lookup.source]
    return f"The API rejected {where} for {lookup.origin} (401 Unauthorized). Set a new key."


def _classify(exc: BaseException, timeout: float) -> tuple[KeyProblem, str]:
    """The problem state and a plain message for an error from the keyring (never the key)."""
    if isinstance(exc, keyring_backends.NoBackend | keyring.errors.NoKeyringError):
        return KeyProblem.NO_BACKEND, _MSG_NO_BACKEND
    if isinstance(exc, keyring_backends.KeyringTimeout | TimeoutError):
        return KeyProblem.TIMEOUT, (
            f"The OS keyring did not answer within {timeout:g} s "
            "(an unlock prompt may be waiting). Try again."
        )
    locked: tuple[type[BaseException], ...] = (
        keyring.errors.KeyringLocked,
        keyring.errors.InitError,
    )
    try:
        from secretstorage.exceptions import LockedException, PromptDismissedException

        locked += (LockedException, PromptDismissedException)
    except ImportError:  # pragma: no cover - secretstorage exists on Linux only
        pass
    if isinstance(exc, locked):
        return KeyProblem.LOCKED, (
            "The OS keyring is locked and was not unlocked (the unlock prompt was dismissed "
            "or could not be shown). Unlock it and try again."
        )
    return KeyProblem.FAILED, f"The OS keyring reported an error ({type(exc).__name__}). Try again."


_MSG_NO_BACKEND = (
    "No OS keyring is available (no Secret Service, Keychain or Windows Credential Locker was "
    "found), so the key cannot be saved."
)
_MSG_NOT_SAVED = (
    "The OS keyring accepted the key but did not keep it (reading it back gave something else)."
)

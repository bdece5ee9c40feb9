"""Credential store without a Secret Service: masking, the environment override, session keys,
no backend (keyring's own fail and null backends), backends that lose keys, hang or fail."""

from __future__ import annotations

import asyncio
import logging
import threading

import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from jobmonitor.core.credentials.store import (
    ENV_KEY,
    CredentialStore,
    KeyLookup,
    KeyProblem,
    KeySource,
    clean_key,
    mask_key,
)
from jobmonitor.core.redact import redact

ORIGIN = "https://api.example.test"
KEY = "live-Sk7Qe9Zr2Lp4Wm8Xc1Vb"


class ForgetfulKeyring(KeyringBackend):
    """Accepts every key and keeps nothing, as some misconfigured backends do."""

    # Negative: keyring registers every backend class; this one must never be chosen by default.
    priority = -1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("nothing stored")


class MangleKeyring(ForgetfulKeyring):
    """Keeps only part of what it is given (a backend with a length limit)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password[:8]

    def delete_password(self, service: str, username: str) -> None:
        del self.values[(service, username)]


class BrokenKeyring(ForgetfulKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringError("backend exploded")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password}")


class StuckKeyring(ForgetfulKeyring):
    """Blocks every call until released, like a Secret Service waiting on an unlock prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.entered.set()
        self.release.wait(30)
        return None


def test_mask_key_shows_four_and_four_of_long_keys_only() -> None:
    assert mask_key("abcdef1234567890") == "abcd…7890"
    assert mask_key("  abcdef1234567890xyz ") == "abcd…0xyz"
    for short in ("", "abc", "abcdef123456789"):
        assert mask_key(short) == "********"


def test_clean_key_trims_and_refuses_what_a_header_cannot_carry() -> None:
    assert clean_key(f"  {KEY}\n") == KEY
    for bad in ("", "   \n", "abc def", "abc\x00def", "clé-secrète"):
        with pytest.raises(ValueError) as info:
            clean_key(bad)
        assert bad.strip() == "" or bad.strip() not in str(info.value)


def test_lookup_repr_never_shows_the_key() -> None:
    lookup = KeyLookup(KEY, KeySource.KEYRING, None, "ok", ORIGIN)
    assert KEY not in repr(lookup)
    assert KEY not in str(lookup)
    assert lookup.usable
    assert lookup.masked == "live…c1Vb"


async def test_environment_overrides_even_without_a_keyring() -> None:
    store = CredentialStore(environ={ENV_KEY: f"  {KEY} "}, backend=fail.Keyring())
    for lookup in (await store.get(ORIGIN), store.get_sync(ORIGIN)):
        assert lookup.key == KEY
        assert lookup.source is KeySource.ENVIRONMENT
        assert lookup.problem is None
        assert f"${ENV_KEY}" in lookup.message
        assert KEY not in lookup.message
    assert store.env_key_in_use()
    # Once seen, the key is known to the redactor used by logs and reports.
    assert KEY not in redact(f"header x-api-key: {KEY}")


async def test_unusable_environment_value_is_a_problem_not_a_key() -> None:
    store = CredentialStore(environ={ENV_KEY: "two words"}, backend=fail.Keyring())
    lookup = await store.get(ORIGIN)
    assert lookup.key is None
    assert lookup.problem is KeyProblem.INVALID
    assert lookup.source is KeySource.ENVIRONMENT
    assert "two words" not in lookup.message


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
async def test_no_backend_offers_a_session_only_key(backend: KeyringBackend) -> None:
    store = CredentialStore(environ={}, backend=backend)
    lookup = await store.get(ORIGIN)
    assert lookup.problem is KeyProblem.NO_BACKEND
    assert lookup.can_keep_for_session
    assert "No OS keyring is available" in lookup.message
    assert store.get_sync(ORIGIN).problem is KeyProblem.NO_BACKEND

    saved = await store.set(ORIGIN, KEY)
    assert saved.problem is KeyProblem.NO_BACKEND
    assert saved.key is None

    kept = store.keep_for_session(ORIGIN + "/", KEY)
    assert kept.source is KeySource.SESSION
    assert "session only" in kept.message
    again = await store.get(ORIGIN)
    assert (again.key, again.source) == (KEY, KeySource.SESSION)
    # Another origin has no session key.
    assert (await store.get("https://other.example.test")).problem is KeyProblem.NO_BACKEND
    # A fresh store (the next run of the app) has forgotten it.
    assert (await CredentialStore(environ={}, backend=backend).get(ORIGIN)).key is None

    cleared = await store.delete(ORIGIN)
    assert cleared.key is None
    assert "Forgot the key kept for this session" in cleared.message
    assert (await store.get(ORIGIN)).problem is KeyProblem.NO_BACKEND


async def test_no_backend_through_the_keyring_default() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        lookup = await CredentialStore(environ={}).get(ORIGIN)
    finally:
        keyring.set_keyring(previous)
    assert lookup.problem is KeyProblem.NO_BACKEND


async def test_a_backend_that_keeps_nothing_is_caught_by_the_read_back() -> None:
    for backend in (ForgetfulKeyring(), MangleKeyring()):
        store = CredentialStore(environ={}, backend=backend)
        lookup = await store.set(ORIGIN, KEY)
        assert lookup.problem is KeyProblem.NOT_SAVED
        assert lookup.can_keep_for_session
        assert lookup.key is None
        # What the backend did keep is removed, so a mangled key is never used later.
        assert (await store.get(ORIGIN)).problem is KeyProblem.NOT_STORED


async def test_backend_errors_become_plain_messages_without_the_key() -> None:
    store = CredentialStore(environ={}, backend=BrokenKeyring())
    lookup = await store.get(ORIGIN)
    assert lookup.problem is KeyProblem.FAILED
    saved = await store.set(ORIGIN, KEY)
    assert saved.problem is KeyProblem.FAILED
    assert KEY not in saved.message
    assert "PasswordSetError" in saved.message


async def test_a_hung_keyring_times_out_without_blocking_the_loop() -> None:
    backend = StuckKeyring()
    store = CredentialStore(environ={}, backend=backend, timeout=0.3)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        lookup = await store.get(ORIGIN)
    finally:
        task.cancel()
    assert lookup.problem is KeyProblem.TIMEOUT
    assert "0.3 s" in lookup.message
    assert ticks >= 5  # the loop kept running while the keyring hung
    # The next call waits behind the hung one and times out too.
    assert store.get_sync(ORIGIN).problem is KeyProblem.TIMEOUT
    backend.release.set()
    assert (await store.get(ORIGIN)).problem is KeyProblem.NOT_STORED


def test_a_loop_that_closes_while_the_keyring_is_busy_leaves_no_error_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = StuckKeyring()
    store = CredentialStore(environ={}, backend=backend, timeout=0.2)
    lookup = asyncio.run(store.get(ORIGIN))
    assert lookup.problem is KeyProblem.TIMEOUT
    backend.release.set()
    for thread in threading.enumerate():
        if thread.name == "jobmonitor-keyring":
            thread.join(5)
            assert not thread.is_alive()
    # concurrent.futures logs (rather than raises) errors in done-callbacks.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_rejected_key_is_a_state_until_the_key_changes() -> None:
    store = CredentialStore(environ={}, backend=fail.Keyring())
    store.keep_for_session(ORIGIN, KEY)
    store.mark_rejected(ORIGIN, KEY)
    lookup = await store.get(ORIGIN)
    assert lookup.problem is KeyProblem.REJECTED
    assert not lookup.usable
    assert "401" in lookup.message
    assert KEY not in lookup.message
    fresh = store.keep_for_session(ORIGIN, KEY[::-1])
    assert fresh.problem is None
    assert (await store.get(ORIGIN)).usable


async def test_rejection_of_the_environment_key_names_the_variable() -> None:
    store = CredentialStore(environ={ENV_KEY: KEY}, backend=fail.Keyring())
    store.mark_rejected(ORIGIN, KEY)
    lookup = store.get_sync(ORIGIN)
    assert lookup.problem is KeyProblem.REJECTED
    assert f"${ENV_KEY}" in lookup.message
    assert store.rejected(KeyLookup(None, KeySource.NONE, None, "", ORIGIN)).problem is None

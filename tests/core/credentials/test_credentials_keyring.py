"""Credential store against a real Secret Service (gnome-keyring in .ci/with-keyring's private session).

Skipped unless the private session of ``.ci/with-keyring`` is the session bus, so these tests never
touch anyone's own keyring. The locked case locks the real collection through the Secret Service
API; the unlock prompt then fails for real (no display), which is what a dismissed prompt looks
like; afterwards the collection is unlocked again with the throwaway password through
gnome-keyring's own D-Bus interface.
"""

from __future__ import annotations

import gc
import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress

import pytest

from jobmonitor.core.credentials.store import CredentialStore, KeyProblem, KeySource

pytestmark = pytest.mark.keyring

KEY = "live-Rk3Tq8Wn5Yz2Hv7Jc4Pd"
SECRETS = "org.freedesktop.secrets"


def _private_secret_service() -> None:
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not bus or os.environ.get("JOBMONITOR_TEST_KEYRING") != bus:
        pytest.skip("needs the private Secret Service of .ci/with-keyring (run the tests under it)")
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        if not secretstorage.check_service_availability(connection):
            pytest.skip("no Secret Service answers on the private session bus")


@pytest.fixture
def origin() -> Iterator[str]:
    """A fresh origin per test; its keyring entry is removed afterwards."""
    _private_secret_service()
    import keyring

    value = f"https://api-{uuid.uuid4().hex[:8]}.example.test"
    yield value
    with suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password("jobmonitor", value)


def _unlock_with_password(password: bytes) -> None:
    """gnome-keyring's own unlock call (no prompt); the session must live on the same connection."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    service = DBusAddress("/org/freedesktop/secrets", SECRETS, "org.freedesktop.Secret.Service")
    internal = service.with_interface("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
    with closing(open_dbus_connection(bus="SESSION")) as connection:

        def call(
            address: DBusAddress, method: str, signature: str, *body: object
        ) -> tuple[object, ...]:
            reply = connection.send_and_get_reply(new_method_call(address, method, signature, body))
            return tuple(unwrap_msg(reply))

        (path,) = call(service, "ReadAlias", "s", "default")
        _, session = call(service, "OpenSession", "sv", "plain", ("s", ""))
        call(
            internal,
            "UnlockWithMasterPassword",
            "o(oayays)",
            path,
            (session, b"", password, "text/plain"),
        )


@contextmanager
def locked_default_collection() -> Iterator[None]:
    """Lock the default collection for real; unlock it again with the throwaway password."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        secretstorage.get_default_collection(connection).lock()
    try:
        yield
    finally:
        _unlock_with_password(os.environ["JOBMONITOR_TEST_KEYRING_PASSWORD"].encode())
        with closing(secretstorage.dbus_init()) as connection:
            assert not secretstorage.get_default_collection(connection).is_locked()


def _stored_items(origin: str) -> list[tuple[dict[str, str], bytes]]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        items = collection.search_items({"service": "jobmonitor", "username": origin})
        return [(item.get_attributes(), item.get_secret()) for item in items]


async def test_set_reads_back_and_a_new_store_finds_it(origin: str) -> None:
    store = CredentialStore(environ={})
    assert (await store.get(origin)).problem is KeyProblem.NOT_STORED

    saved = await store.set(origin + "/jobs", f" {KEY}\n")
    assert saved.problem is None
    assert saved.source is KeySource.KEYRING
    assert "SecretService" in saved.backend
    assert KEY not in saved.message

    # Stored under service "jobmonitor", account = the origin, in the real collection.
    items = _stored_items(origin)
    assert [(attrs["service"], attrs["username"], secret) for attrs, secret in items] == [
        ("jobmonitor", origin, KEY.encode())
    ]
    fresh = CredentialStore(environ={})
    for lookup in (await fresh.get(origin), fresh.get_sync(origin)):
        assert (lookup.key, lookup.source, lookup.problem) == (KEY, KeySource.KEYRING, None)


async def test_set_replaces_and_delete_removes(origin: str) -> None:
    store = CredentialStore(environ={})
    await store.set(origin, KEY)
    await store.set(origin, KEY[::-1])
    assert len(_stored_items(origin)) == 1
    assert (await store.get(origin)).key == KEY[::-1]

    removed = await store.delete(origin)
    assert removed.problem is KeyProblem.NOT_STORED
    assert "Removed" in removed.message
    assert _stored_items(origin) == []
    again = await store.delete(origin)
    assert "nothing to remove" in again.message


async def test_environment_key_wins_over_the_keyring_and_says_so(origin: str) -> None:
    await CredentialStore(environ={}).set(origin, KEY)
    store = CredentialStore(environ={"JOBMONITOR_API_KEY": "env-" + KEY})
    lookup = await store.get(origin)
    assert (lookup.key, lookup.source) == ("env-" + KEY, KeySource.ENVIRONMENT)
    saved = await store.set(origin, KEY)
    assert "JOBMONITOR_API_KEY is set" in saved.message


async def test_a_locked_keyring_whose_unlock_is_dismissed(origin: str) -> None:
    await CredentialStore(environ={}).set(origin, KEY)
    with locked_default_collection():
        store = CredentialStore(environ={})
        for lookup in (await store.get(origin), store.get_sync(origin)):
            assert lookup.problem is KeyProblem.LOCKED
            assert lookup.key is None
            assert "locked" in lookup.message
        assert (await store.set(origin, KEY[::-1])).problem is KeyProblem.LOCKED
        assert (await store.delete(origin)).problem is KeyProblem.LOCKED
    gc.collect()  # a D-Bus connection left open would warn here (warnings are errors)
    # Unlocked again, the key is untouched.
    assert (await CredentialStore(environ={}).get(origin)).key == KEY


async def test_a_secret_service_that_stops_answering_times_out(origin: str) -> None:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with closing(open_dbus_connection(bus="SESSION")) as connection:
        reply = connection.send_and_get_reply(message_bus.GetConnectionUnixProcessID(SECRETS))
    (pid,) = reply.body
    store = CredentialStore(environ={}, timeout=0.5)
    os.kill(pid, signal.SIGSTOP)
    try:
        lookup = await store.get(origin)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert lookup.problem is KeyProblem.TIMEOUT
    assert "did not answer" in lookup.message
    assert (await store.get(origin)).problem is KeyProblem.NOT_STORED

"""Running a fake D-Bus service as its own process on the tests' private session bus.

A service the tests register inside their own process shares Qt's D-Bus thread with the code
under test, and tearing it down between tests races that thread (a segfault in CI). A desktop
service is another process anyway: ``bus_process`` starts one, waits for it to own its name,
and stops it when the test ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection


def private_bus_or_skip() -> None:
    """Skip unless the test runs on the private session bus of ``.ci/with-keyring``."""
    private = os.environ.get("JOBMONITOR_TEST_KEYRING")
    if not private or os.environ.get("DBUS_SESSION_BUS_ADDRESS") != private:
        pytest.skip("needs the private D-Bus session of .ci/with-keyring")


@contextmanager
def bus_process(script: str) -> Iterator[subprocess.Popen[str]]:
    """Run ``python script`` (which prints ``ready`` once it owns its name) for one test."""
    private_bus_or_skip()
    proc = subprocess.Popen(
        [sys.executable, script], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def own_name(name: str) -> DBusConnection | None:
    """The fake's side: a session-bus connection owning ``name``, or None (and "name taken"
    printed) if another process has it. The caller prints ``ready`` once it can answer."""
    conn = open_dbus_connection("SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(name, 4))  # 4: do not queue
    if reply.body[0] != 1:
        print("name taken", flush=True)
        conn.close()
        return None
    return conn

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

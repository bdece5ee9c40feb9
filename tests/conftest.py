"""Test isolation: headless Qt, and every user directory pointed at a temporary folder."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the user's real config, data, cache or keyring-adjacent settings: a session-wide
# sandbox is installed before any app module is imported; each test gets fresh folders below.
_SANDBOX = Path(tempfile.mkdtemp(prefix="jobmonitor-tests-"))
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_SANDBOX / _name.lower())
os.environ.pop("JOBMONITOR_API_KEY", None)
os.environ.pop("JOBMONITOR_BASE_URL", None)
# Outside .ci/with-keyring's private session, no test may reach the user's own keyring (nor pop an
# unlock prompt on their desktop): the platform keyring is keyring's "no backend" for this run and
# its subprocesses, and the Secret Service tests skip. Inside the private session it is left alone.
_PRIVATE_BUS = os.environ.get("JOBMONITOR_TEST_KEYRING")
if not _PRIVATE_BUS or os.environ.get("DBUS_SESSION_BUS_ADDRESS") != _PRIVATE_BUS:
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    # Nor their session bus: an app started by a test would put notifications on their desktop.
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Fresh XDG homes per test, so no test sees another's settings or database."""
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True)
        monkeypatch.setenv(name, str(path))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "downloads"))
    monkeypatch.delenv("JOBMONITOR_API_KEY", raising=False)
    monkeypatch.delenv("JOBMONITOR_BASE_URL", raising=False)
    yield home


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Collect each test's leftovers on the main (GUI) thread as soon as it ends.

    Qt objects often sit in reference cycles. Left to the cyclic collector, they are destroyed
    on whichever thread triggers it next (a simulator or keyring thread in a later test); a
    QObject destroyed off its own thread cannot stop its timers ("Timers cannot be stopped from
    another thread"), and those fire later on freed memory: a segfault in an unrelated test.
    So, as the app does while it runs (``desktop.collector``), automatic collection is off
    during a test: a worker thread crossing the threshold mid-test no longer collects either.
    """
    was = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was:
        gc.enable()

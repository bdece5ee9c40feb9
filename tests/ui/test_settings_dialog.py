"""The settings dialog: masked key saved through the credential store (or kept for the session when
no keyring exists), "Test key" against the simulator on a loopback socket, validation, signals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import keyring.errors
import pytest
import qasync
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from jobmonitor.core.credentials.store import CredentialStore, KeySource
from jobmonitor.core.settings import Settings
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.settings_dialog import SettingsDialog

GOOD = "live-GoodKey-7Qe9Zr2Lp4Wm"
BAD = "live-BadKey-0000000000000"


class MemoryKeyring(KeyringBackend):
    """A working keyring that lives in this process (priority < 0: never chosen by default)."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.values.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("none")


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """qasync's loop on the test's QApplication: coroutines advance while qtbot waits.

    Marked as the running loop by hand rather than with ``already_running=True``: that mode's
    ``stop()`` calls ``QApplication.exit()``, which breaks every later wait in the session.
    """
    loop = qasync.QEventLoop(qapp)
    asyncio.events._set_running_loop(loop)
    yield loop
    asyncio.events._set_running_loop(None)
    loop.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(qsettings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def sim() -> Iterator[SimServer]:
    world = SimWorld(rate_limit=None)
    world.add_key(GOOD)
    with SimServer(world) as server:
        yield server


@pytest.fixture
def http(qtbot: QtBot, qloop: qasync.QEventLoop) -> Iterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(timeout=5.0)
    yield client
    closing = asyncio.ensure_future(client.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)


def _dialog(
    qtbot: QtBot,
    settings: Settings,
    store: CredentialStore,
    http: httpx.AsyncClient | None = None,
    active_base_url: str | None = None,
) -> SettingsDialog:
    dialog = SettingsDialog(settings, store, lambda origin: http, active_base_url=active_base_url)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)  # the stored key's status is shown
    return dialog


def _all_text(dialog: SettingsDialog) -> str:
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    texts += [w.text() + w.placeholderText() for w in dialog.findChildren(QLineEdit)]
    return "\n".join(texts)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_opens_with_the_settings_and_a_masked_key(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    settings.base_url = "https://api.example.test"
    settings.rate_limit = 90
    settings.notify_success = False
    backend = MemoryKeyring()
    backend.set_password("jobmonitor", "https://api.example.test", GOOD)
    dialog = _dialog(qtbot, settings, CredentialStore(backend=backend, environ={}))
    form = dialog.form
    assert form.base_url.text() == "https://api.example.test"
    assert form.rate.value() == 90
    assert not form.notify_success.isChecked() and form.notify_failure.isChecked()
    assert form.key.text() == ""  # never prefilled
    assert form.key.echoMode() is QLineEdit.EchoMode.Password
    assert form.key.placeholderText() == "stored in the OS keyring (live…p4Wm)"
    assert form.key_status.text().startswith("Stored in the OS keyring")
    assert GOOD not in _all_text(dialog)
    # Idle, the spinner's label is hidden: shown empty, it left a gap between two groups.
    assert not form.busy_bar.isVisible() and not form.busy_text.isVisible()
    assert form.busy_text.parent() is form.api_group  # shown beside Test key when busy


def test_show_toggle_is_off_by_default(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    dialog = _dialog(qtbot, settings, CredentialStore(backend=MemoryKeyring(), environ={}))
    toggle = dialog.form.show_key
    assert not toggle.isChecked()
    toggle.click()
    assert dialog.form.key.echoMode() is QLineEdit.EchoMode.Normal
    toggle.click()
    assert dialog.form.key.echoMode() is QLineEdit.EchoMode.Password


def test_environment_key_is_named(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    store = CredentialStore(backend=MemoryKeyring(), environ={"JOBMONITOR_API_KEY": GOOD})
    dialog = _dialog(qtbot, settings, store)
    assert "Using $JOBMONITOR_API_KEY (live…p4Wm)" in dialog.form.key_status.text()
    assert GOOD not in _all_text(dialog)


@pytest.mark.parametrize(
    ("url", "problem"),
    [("http://example.com", "HTTPS only"), ("ftp://example.com", "not an http(s) URL"), ("", "")],
)
def test_bad_base_url_is_refused_inline(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, url: str, problem: str
) -> None:
    dialog = _dialog(qtbot, settings, CredentialStore(backend=MemoryKeyring(), environ={}))
    dialog.form.base_url.setText(url)
    with qtbot.assertNotEmitted(dialog.base_url_changed):
        dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.form.url_error.isVisible()
    assert problem in dialog.form.url_error.text()
    assert settings.base_url == "https://api.apidatatools.com"


def test_a_file_as_the_folder_is_refused_and_the_note_goes_when_the_folder_changes(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, settings, CredentialStore(backend=MemoryKeyring(), environ={}))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    dialog.form.folder.setText(str(a_file))
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.form.folder_error.isVisible()
    assert "not a folder" in dialog.form.folder_error.text()
    dialog.form.folder.setText(str(tmp_path))  # typed or chosen: the old complaint is gone
    assert not dialog.form.folder_error.isVisible()


def test_ok_without_a_key_applies_and_signals(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, tmp_path: Path
) -> None:
    settings.rate_limit = 30
    dialog = _dialog(qtbot, settings, CredentialStore(backend=MemoryKeyring(), environ={}))
    form = dialog.form
    form.base_url.setText(" http://127.0.0.1:8123/ ")
    form.rate.setValue(0)
    form.notify_failure.setChecked(False)
    dialog._choose = lambda parent, start: tmp_path / "results"
    form.choose_button.click()
    assert form.folder.text() == str(tmp_path / "results")
    with (
        qtbot.waitSignal(dialog.base_url_changed) as url_changed,
        qtbot.waitSignal(dialog.rate_limit_changed) as rate_changed,
        qtbot.assertNotEmitted(dialog.key_changed),
    ):
        dialog.ok_button.click()
    assert url_changed.args == ["http://127.0.0.1:8123"]
    assert rate_changed.args == [None]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.rate_limit is None
    assert settings.download_dir == tmp_path / "results"
    assert settings.notify_success and not settings.notify_failure


def test_the_active_api_is_shown_tested_and_not_saved_over_the_setting(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    settings: Settings,
    sim: SimServer,
    http: httpx.AsyncClient,
) -> None:
    """Started with --base-url (or in demo mode), the dialog is about the API the window polls:
    Test key goes there, not to the saved URL, and OK without a change saves no URL."""
    settings.base_url = "https://api.apidatatools.com"
    origins: list[str] = []

    def http_for(origin: str) -> httpx.AsyncClient:
        origins.append(origin)
        return http

    store = CredentialStore(backend=MemoryKeyring(), environ={})
    dialog = SettingsDialog(settings, store, http_for, active_base_url=sim.api_url)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.form.base_url.text() == sim.api_url
    dialog.form.key.setText(GOOD)
    assert _test_key(qtbot, dialog) == "The API accepted the key."
    assert origins and all("apidatatools.com" not in origin for origin in origins)
    dialog.form.key.clear()
    with qtbot.assertNotEmitted(dialog.base_url_changed):
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert settings.base_url == "https://api.apidatatools.com"


def test_ok_with_a_key_saves_it_in_the_keyring(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, tmp_path: Path
) -> None:
    backend = MemoryKeyring()
    dialog = _dialog(qtbot, settings, CredentialStore(backend=backend, environ={}))
    dialog.form.key.setText(f"  {GOOD} ")
    with qtbot.waitSignal(dialog.key_changed, timeout=5000) as changed:
        dialog.ok_button.click()
    assert changed.args == ["https://api.apidatatools.com"]
    assert backend.values == {("jobmonitor", "https://api.apidatatools.com"): GOOD}
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.form.key.text() == ""
    assert dialog.ok_button.isEnabled() and not dialog.form.busy_bar.isVisible()
    settings.sync()
    assert GOOD not in (tmp_path / "s.ini").read_text()


def test_no_keyring_offers_a_session_only_key(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, tmp_path: Path
) -> None:
    store = CredentialStore(backend=fail.Keyring(), environ={})
    dialog = _dialog(qtbot, settings, store)
    assert "No OS keyring is available" in dialog.form.key_status.text()
    dialog.form.key.setText(GOOD)
    dialog.ok_button.click()
    qtbot.waitUntil(dialog.form.session_frame.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.isVisible()  # not applied yet: the user decides
    assert dialog.ok_button.isEnabled() and dialog.form.key.isEnabled()
    assert "session only" in dialog.form.session_text.text()
    with qtbot.waitSignal(dialog.key_changed) as changed:
        dialog.form.session_button.click()
    assert changed.args == ["https://api.apidatatools.com"]
    assert dialog.result() == QDialog.DialogCode.Accepted
    lookup = store.get_sync("https://api.apidatatools.com")
    assert lookup.source is KeySource.SESSION and lookup.key == GOOD
    settings.sync()
    assert GOOD not in (tmp_path / "s.ini").read_text()
    reopened = _dialog(qtbot, settings, store)
    assert "session only" in reopened.form.key_status.text()


def _clipped(dialog: SettingsDialog) -> list[str]:
    """Texts of visible wrapped labels shorter than their wrapped text needs."""
    return [
        label.text()
        for label in dialog.findChildren(QLabel)
        if label.isVisible()
        and label.wordWrap()
        and label.height() < label.heightForWidth(label.width())
    ]


@pytest.mark.parametrize("kept", [True, False], ids=["session-key", "no-keyring"])
def test_a_status_that_wraps_after_the_dialog_opened_is_not_cut_off(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings, kept: bool
) -> None:
    store = CredentialStore(backend=fail.Keyring(), environ={})
    if kept:
        store.keep_for_session("https://api.apidatatools.com", GOOD)
    dialog = _dialog(qtbot, settings, store)  # the status arrives after the dialog is shown
    label = dialog.form.key_status
    expected = "forgotten when the app quits" if kept else "No OS keyring is available"
    assert expected in label.text()
    assert label.heightForWidth(label.width()) > label.fontMetrics().lineSpacing() * 1.5  # wraps
    qtbot.waitUntil(lambda: not _clipped(dialog), timeout=2000)


def _test_key(qtbot: QtBot, dialog: SettingsDialog) -> str:
    dialog.form.test_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.form.test_button.isEnabled() and not dialog.form.busy_bar.isVisible()
    return dialog.form.verdict_text.text()


def test_test_key_against_the_simulator(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    settings: Settings,
    sim: SimServer,
    http: httpx.AsyncClient,
) -> None:
    settings.base_url = sim.api_url
    backend = MemoryKeyring()
    dialog = _dialog(qtbot, settings, CredentialStore(backend=backend, environ={}), http)

    dialog.form.key.setText(GOOD)
    assert _test_key(qtbot, dialog) == "The API accepted the key."
    dialog.form.key.setText(BAD)
    text = _test_key(qtbot, dialog)
    assert text.startswith("The API rejected this key (HTTP 401")
    assert BAD not in text

    dialog.form.key.clear()  # no key typed: the stored one is tested
    assert "Type a key" in _test_key(qtbot, dialog) + dialog.form.key_error.text()
    backend.set_password("jobmonitor", sim.api_url, GOOD)
    assert _test_key(qtbot, dialog) == "The API accepted the key."

    dialog.form.base_url.setText(f"http://127.0.0.1:{_closed_port()}")
    dialog.form.key.setText(GOOD)
    assert _test_key(qtbot, dialog).startswith("Could not reach the API to check the key")


def test_test_key_says_when_rate_limited(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    settings: Settings,
    sim: SimServer,
    http: httpx.AsyncClient,
) -> None:
    sim.world.rate_limit = 1
    settings.base_url = sim.api_url
    dialog = _dialog(qtbot, settings, CredentialStore(backend=MemoryKeyring(), environ={}), http)
    dialog.form.key.setText(GOOD)
    assert _test_key(qtbot, dialog) == "The API accepted the key."
    assert _test_key(qtbot, dialog).startswith("The API is limiting requests right now")


def test_a_failing_check_restores_the_ui_and_reaches_the_excepthook(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    async def broken(url: str, key: str) -> object:
        raise RuntimeError("checker exploded")

    store = CredentialStore(backend=MemoryKeyring(), environ={})
    dialog = SettingsDialog(settings, store, lambda origin: None, key_checker=broken)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.form.key.setText(GOOD)
    with qtbot.captureExceptions() as exceptions:
        dialog.form.test_button.click()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert [str(e[1]) for e in exceptions] == ["checker exploded"]
    assert dialog.form.test_button.isEnabled() and not dialog.form.busy_bar.isVisible()


def test_closing_cancels_work_in_flight(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    started = asyncio.Event()

    async def slow(url: str, key: str) -> object:
        started.set()
        await asyncio.sleep(3600)
        raise AssertionError("not cancelled")

    store = CredentialStore(backend=MemoryKeyring(), environ={})
    dialog = SettingsDialog(settings, store, lambda origin: None, key_checker=slow)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.form.key.setText(GOOD)
    dialog.form.test_button.click()
    qtbot.waitUntil(started.is_set, timeout=5000)
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.form.key.text() == ""


@pytest.mark.keyring
def test_saves_into_a_real_secret_service(
    qtbot: QtBot, qloop: qasync.QEventLoop, settings: Settings
) -> None:
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not bus or os.environ.get("JOBMONITOR_TEST_KEYRING") != bus:
        pytest.skip("needs the private Secret Service of .ci/with-keyring (run the tests under it)")
    origin = f"https://api-{uuid.uuid4().hex[:8]}.example.test"
    settings.base_url = origin
    store = CredentialStore(environ={})  # the platform's keyring: gnome-keyring on the private bus
    dialog = _dialog(qtbot, settings, store)
    assert dialog.form.key_status.text().startswith("No API key is stored")
    dialog.form.key.setText(GOOD)
    try:
        with qtbot.waitSignal(dialog.key_changed, timeout=10_000):
            dialog.ok_button.click()
        lookup = store.get_sync(origin)
        assert lookup.source is KeySource.KEYRING and lookup.key == GOOD
    finally:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password("jobmonitor", origin)

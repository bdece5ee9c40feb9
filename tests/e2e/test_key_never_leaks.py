"""The API key never leaves the keyring: a full GUI session and a full CLI session, then a search.

A recognisable key (and a wrong one tried first) goes through the app the way a user's would:
saved through the Settings dialog (OS keyring, or kept for the session when there is none),
rejected by the API, replaced, used to watch jobs to their end, to copy support reports and to
download a result; an error dialog is raised with the key in the exception's text. Then every
file under the test's XDG config/data/cache/state homes (SQLite database with WAL/SHM, log,
settings, downloads), the clipboard, the reports, the dialog, every widget's text, all captured
output and log records are searched for the keys in any case, URL-encoded, UTF-16, hex or
base64: zero hits. ``test_the_scanner_finds_*`` prove the search would find a leak.

The ``os-keyring`` cases need the private Secret Service of ``.ci/with-keyring``.
"""
# ruff: noqa: F811  (the qloop fixture comes from guihelpers by import, not from a conftest)

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from guihelpers import qloop, run  # noqa: F401
from keyring.backends import fail
from leakscan import (
    Cli,
    Hit,
    assert_clean,
    files_under,
    forget_in_keyring,
    on_screen_texts,
    private_secret_service,
    scan_texts,
    scan_tree,
)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from jobmonitor.core.credentials.store import CredentialStore, mask_key
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.paths import data_dir
from jobmonitor.core.settings import Settings
from jobmonitor.core.state import ApiCondition, JobState
from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import errors
from jobmonitor.ui.settings_dialog import SettingsDialog

KEY = "LEAKCANARY-" + secrets.token_hex(16)
WRONG = "LEAKWRONGKEY-" + secrets.token_hex(16)  # tried first; the API rejects it
OTHER = "other-account-" + secrets.token_hex(8)  # owns the job we may not see
SECRETS = (KEY, WRONG)
OS_KEYRING = pytest.param("os-keyring", marks=pytest.mark.keyring)
NO_KEYRING = "no-keyring"  # keyring's fail backend: the key is kept for the session only


@pytest.fixture
def sim() -> Iterator[SimServer]:
    world = SimWorld(rate_limit=None)
    world.add_key(KEY)
    world.add_key(OTHER)
    with SimServer(world) as server:
        yield server


def _jobs(world: SimWorld) -> tuple[str, str, str]:
    failed = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0.3,
        retry_after=0.5,
        outcome="failed",
        error_code="INVALID_JSON",
        error_message="Unexpected token '}' in JSON.",
        error_details={"line": 14, "column": 3},
    )
    ok = world.add_job(
        KEY, queued_for=0, processing_for=0, file_name="result.csv", file_size=40_000
    )
    forbidden = world.add_job(OTHER, queued_for=0, processing_for=0)
    return failed, ok, forbidden


# -- the scanner finds what it is meant to find -------------------------------------------------


def test_the_scanner_finds_the_key_in_every_form_and_place(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / ".config" / "deep").mkdir(parents=True)
    raw = KEY.encode()
    planted = {
        root / ".config" / "deep" / "plain.txt": b"x=" + raw + b"\n",
        root / "upper.ini": b"[api]\nkey=" + KEY.upper().encode(),
        root / "lower.log": KEY.lower().encode(),
        root / "blob.bin": b"\x00\xff" + base64.b64encode(b"ab" + raw + b"cd") + b"\x00",
        root / "url.txt": base64.urlsafe_b64encode(b"z" + raw),
        root / "wide.dat": KEY.encode("utf-16-le"),
        root / "query.txt": f"?key={quote(KEY, safe='')}&x=1".encode(),
        root / "hex.txt": raw.hex().upper().encode(),
    }
    for path, data in planted.items():
        path.write_bytes(data)
    (root / "clean.txt").write_text(f"masked {mask_key(KEY)}, and {KEY[:-1]}", encoding="utf-8")
    (root / f"named-{KEY}").write_bytes(b"")
    db = sqlite3.connect(root / "jobs.db")  # an open WAL database: the row sits in jobs.db-wal
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (v BLOB)")
        db.execute("INSERT INTO t VALUES (?)", (b"k" + raw,))
        db.commit()
        hits = scan_tree(root, [KEY])
    finally:
        db.close()
    where = {Path(h.where).name for h in hits if not h.where.startswith("name of")}
    assert where == {p.name for p in planted} | {"jobs.db-wal"}
    assert {h.form for h in hits if h.where.endswith("blob.bin")} == {"base64+2"}
    assert {h.form for h in hits if h.where.endswith("url.txt")} <= {"base64+1", "base64url+1"}
    assert [h.where for h in hits if h.where.startswith("name of")] == [
        f"name of {root / f'named-{KEY}'}"
    ]
    assert not [h for h in hits if h.where.endswith("clean.txt")]


def test_the_scanner_finds_the_key_in_captured_texts() -> None:
    texts = {"stdout": "nothing here", "record": f"header x-api-key={KEY.upper()}", "ok": "…"}
    assert scan_texts(texts, SECRETS) == [Hit("record", "plain")]
    assert scan_texts({"mask": mask_key(KEY) + mask_key(WRONG)}, SECRETS) == []


# -- the desktop app ------------------------------------------------------------------------------


@pytest.fixture
def app_log(caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """The app's own log file (redacting), at DEBUG, under the test's XDG_STATE_HOME."""
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    path = errors.setup_logging(logging.DEBUG)
    yield path
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(path):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _open_settings(qtbot: QtBot, app: DesktopApp) -> SettingsDialog:
    app.window.job_actions.settings.trigger()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in app.window.findChildren(SettingsDialog)))
    dialog = next(d for d in app.window.findChildren(SettingsDialog) if d.isVisible())
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15000)  # the stored key's status is shown
    return dialog


def _save_key(qtbot: QtBot, dialog: SettingsDialog, key: str, mode: str) -> None:
    """Type the key and press OK: saved in the keyring, or kept for the session when none."""
    qtbot.keyClicks(dialog.key_field, key)
    assert key not in dialog.key_field.displayText()  # masked while typed
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    if mode == NO_KEYRING:
        offer = dialog.form.session_frame
        qtbot.waitUntil(offer.isVisible, timeout=15000)
        assert "No OS keyring is available" in dialog.form.session_text.text()
        qtbot.mouseClick(dialog.form.session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15000)
    assert dialog.key_field.text() == ""  # the typed key does not outlive the dialog


def _condition(app: DesktopApp) -> ApiCondition:
    return app.status.api_status.condition


def _state(app: DesktopApp, job_id: str) -> JobState | None:
    job = app.watchlist.get(job_id)
    return job.state if job is not None else None


def _copy_report(qtbot: QtBot, app: DesktopApp, job_id: str) -> str:
    assert app.window.select_job(job_id)
    qtbot.waitUntil(lambda: app.window.details.job is not None)
    QGuiApplication.clipboard().clear()
    app.window.job_actions.copy_report.trigger()
    report = QGuiApplication.clipboard().text()
    assert job_id in report
    return report


@pytest.mark.parametrize("mode", [OS_KEYRING, NO_KEYRING])
def test_a_full_desktop_session_leaves_the_key_nowhere(
    mode: str,
    qtbot: QtBot,
    qloop: object,
    sim: SimServer,
    tmp_path: Path,
    app_log: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    if mode == NO_KEYRING:
        credentials = CredentialStore(environ={}, backend=fail.Keyring())
    else:
        private_secret_service()
        credentials = CredentialStore(environ={})
    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    settings = Settings(
        qsettings=QSettings(str(config_home / "jobmonitor" / "s.ini"), QSettings.Format.IniFormat)
    )
    settings.base_url = sim.api_url  # what the Settings dialog shows and saves the key for
    settings.download_dir = tmp_path / "home" / "downloads"
    failed, ok, forbidden = _jobs(sim.world)
    captured: dict[str, str] = {}
    # Installed here, not in a fixture: pytest-qt puts its own hook in place for the test's body.
    reporter = errors.install_excepthook(lambda: app.window)
    dialogs: list[QMessageBox] = []
    reporter.shown.connect(dialogs.append)
    app = DesktopApp(
        settings=settings,
        data_dir=data_dir(),
        credentials=credentials,
        base_url=sim.api_url,
        tray_available=False,
    )
    try:
        app.start(add_text=" ".join([failed, ok, forbidden]))
        qtbot.waitExposed(app.window)
        qtbot.waitUntil(lambda: _condition(app) is ApiCondition.KEY_MISSING, timeout=15000)

        # A wrong key first: tested in the dialog, saved anyway, and rejected by the API.
        dialog = _open_settings(qtbot, app)
        qtbot.keyClicks(dialog.key_field, WRONG)
        qtbot.mouseClick(dialog.form.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: dialog.form.verdict_text.text().startswith("The API rejected"), timeout=15000
        )
        captured["key test verdict"] = dialog.form.verdict_text.text()
        dialog.key_field.clear()
        _save_key(qtbot, dialog, WRONG, mode)
        qtbot.waitUntil(lambda: _condition(app) is ApiCondition.KEY_REJECTED, timeout=15000)
        assert "API key rejected" in app.status.status_text

        # The right key; the dialog shows the stored (wrong) key masked, never in full.
        dialog = _open_settings(qtbot, app)
        assert mask_key(WRONG) in dialog.key_field.placeholderText()
        _save_key(qtbot, dialog, KEY, mode)
        qtbot.waitUntil(
            lambda: (
                (_state(app, failed), _state(app, ok), _state(app, forbidden))
                == (JobState.FAILED, JobState.SUCCESS, JobState.FORBIDDEN)
            ),
            timeout=15000,
        )
        assert _condition(app) is ApiCondition.ONLINE
        qtbot.waitUntil(lambda: app.watchlist.idle)

        dialog = _open_settings(qtbot, app)
        shown = dialog.key_field.placeholderText() + dialog.form.key_status.text()
        assert mask_key(KEY) in shown
        captured.update({f"open settings: {k}": v for k, v in on_screen_texts().items()})
        dialog.reject()

        captured["report (failed)"] = report = _copy_report(qtbot, app, failed)
        assert '"line": 14' in report and '"column": 3' in report
        captured["report (forbidden)"] = _copy_report(qtbot, app, forbidden)
        captured["report (success)"] = _copy_report(qtbot, app, ok)

        qtbot.waitUntil(app.window.details.download_button.isEnabled)
        app.window.job_actions.download.trigger()
        assert app.downloads is not None
        qtbot.waitUntil(
            lambda: (d := app.downloads.get(ok)) is not None and d.state is DownloadState.DONE,  # type: ignore[union-attr]
            timeout=15000,
        )
        assert (settings.download_dir / "result.csv").stat().st_size == 40_000

        # An exception whose text carries the key (say, a library echoing a header).
        try:
            raise RuntimeError(f"upstream echoed the header x-api-key: {KEY}")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(dialogs))
        box = dialogs[0]
        copy = next(b for b in box.findChildren(QPushButton) if "Copy" in b.text())
        qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
        captured["clipboard (error details)"] = QGuiApplication.clipboard().text()
        assert "upstream echoed the header" in captured["clipboard (error details)"]
        captured.update(on_screen_texts())

        # The database is open: its WAL and SHM files are searched as they are now.
        assert (data_dir() / "jobs.db-wal").exists()
        assert_clean(scan_tree(tmp_path, SECRETS))
        box.close()
    finally:
        for open_dialog in app.window.findChildren(SettingsDialog):
            open_dialog.reject()  # cancels its tasks before the window goes
        run(qtbot, app.aclose())
        reporter.uninstall()
        if mode != NO_KEYRING:
            stored = credentials.get_sync(sim.api_url)
            forget_in_keyring(sim.api_url)
    if mode != NO_KEYRING:
        assert stored.key == KEY  # the one place it belongs
    assert len(dialogs) == 1  # no unexpected error on the way

    log_text = app_log.read_text(encoding="utf-8")
    assert "Uncaught exception" in log_text and "[redacted]" in log_text
    written = {p.name for p in files_under(tmp_path)}
    assert {"jobs.db", "s.ini", "jobmonitor.log", "result.csv"} <= written
    assert_clean(scan_tree(tmp_path, SECRETS))

    out, err = capfd.readouterr()
    captured["stdout"], captured["stderr"] = out, err
    captured["caplog"] = caplog.text
    for i, record in enumerate(caplog.records):
        captured[f"record {i} {record.name}"] = f"{record.getMessage()}\n{record.exc_text or ''}"
    assert_clean(scan_texts(captured, SECRETS))


# -- the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [OS_KEYRING, NO_KEYRING])
def test_a_full_command_line_session_leaves_the_key_nowhere(
    mode: str, sim: SimServer, tmp_path: Path
) -> None:
    if mode != NO_KEYRING:
        private_secret_service()
    cli = Cli(tmp_path, keyring=mode != NO_KEYRING)
    url = sim.api_url
    failed, ok, forbidden = _jobs(sim.world)
    base = ("--base-url", url)
    try:
        if mode == NO_KEYRING:
            r = cli("auth", "set", *base, stdin=KEY + "\n")
            assert r.code == 2 and "No OS keyring is available" in r.err
            r = cli("auth", "status", *base, env={"JOBMONITOR_API_KEY": WRONG})
            assert r.code == 1 and "rejected" in r.out
            assert f"key:      {mask_key(WRONG)}" in r.out
            cli.env["JOBMONITOR_API_KEY"] = KEY  # scripts without a keyring
        else:
            assert cli("auth", "set", *base, stdin=WRONG + "\n").code == 0
            r = cli("auth", "status", *base)
            assert r.code == 1 and "rejected" in r.out
            assert f"key:      {mask_key(WRONG)}" in r.out
            r = cli("watch", "--json", *base, failed)
            assert r.code == 2 and "rejected the key" in r.err
            r = cli("auth", "set", *base, stdin=KEY + "\n")
            assert r.code == 0 and "Saved the key" in r.out

        r = cli("auth", "status", *base)
        assert r.code == 0 and "accepted: yes" in r.out
        assert f"key:      {mask_key(KEY)}" in r.out

        r = cli("status", "--json", *base, failed)
        assert r.code == 0
        answer = json.loads(r.out)
        assert answer["status"] in ("processing", "failed")

        r = cli("watch", "--json", *base, failed, ok, forbidden)
        assert r.code == 1, r.err
        events = [json.loads(line) for line in r.out.splitlines()]
        assert {e.get("job_id") for e in events} >= {failed, ok, forbidden}
        r = cli("status", "--json", *base, failed)
        assert json.loads(r.out)["error"]["details"] == {"line": 14, "column": 3}

        r = cli("download", *base, "-o", str(tmp_path / "out"), ok)
        assert r.code == 0, r.err
        assert Path(r.out.strip()).stat().st_size == 40_000

        r = cli("auth", "clear", *base)
        if mode == NO_KEYRING:
            assert r.code == 2 and "not cleared" in r.err
        else:
            assert r.code == 0 and "Removed the key" in r.out
            r = cli("auth", "status", *base)
            assert r.code == 2 and "stored:   none" in r.out
    finally:
        if mode != NO_KEYRING:
            forget_in_keyring(url)

    assert (tmp_path / "home" / "xdg_config_home").is_dir()
    assert_clean(scan_tree(tmp_path, SECRETS))
    assert_clean(scan_texts(cli.outputs, SECRETS))

"""The window as it was left, light/dark following the system or the setting, offline laptops,
"Retry now", and the desktop settings (start at login read from a temporary XDG_CONFIG_HOME)."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobmonitor import APP_ID
from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.job_text import Category
from jobmonitor.ui.settings_dialog import SettingsDialog
from jobmonitor.ui.status_bar import OFFLINE_TEXT

Reach = QNetworkInformation.Reachability


def test_geometry_splitter_columns_and_sort_survive_a_restart(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    jobs = [world.add_job(KEY) for _ in range(3)]
    first = make_app(add_text=" ".join(jobs))
    w = first.window
    default_height = w.height()
    # Narrower than the offscreen test screen (800 px): Qt fits a restored window to the screen.
    w.resize(max(w.minimumSizeHint().width(), 700), default_height - 77)
    w.splitter.setSizes([400, 280])
    header = w.table.horizontalHeader()
    hidden = next(c for c in w.table.column_actions if not header.isSectionHidden(c))
    w.table.set_column_shown(hidden, False)
    header.moveSection(1, 4)
    w.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: w.width() != 0)
    size, sizes = w.size(), w.splitter.sizes()
    order = [header.logicalIndex(v) for v in range(header.count())]
    close(qtbot, first)

    again = make_app()
    w2, h2 = again.window, again.window.table.horizontalHeader()
    assert size.width() <= 790 and w2.size() == size
    assert w2.splitter.sizes()[1] == sizes[1]  # the details panel kept its width
    assert h2.isSectionHidden(hidden)
    assert not again.window.table.column_actions[hidden].isChecked()  # View › Columns agrees
    assert [h2.logicalIndex(v) for v in range(h2.count())] == order
    assert (h2.sortIndicatorSection(), h2.sortIndicatorOrder()) == (2, Qt.SortOrder.DescendingOrder)
    assert w2.proxy.sortColumn() == 2  # the rows are sorted so, not just the arrow

    # A width set now (the first session's first fit of the columns is over by then) comes back.
    sized = h2.logicalIndex(2)
    h2.resizeSection(sized, 211)
    close(qtbot, again)
    third = make_app()
    assert third.window.table.horizontalHeader().sectionSize(sized) == 211


def _window_lightness() -> int:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app.palette().color(QPalette.ColorRole.Window).lightness()


def test_appearance_follows_the_setting_and_the_system_live(
    qtbot: QtBot, make_app: AppFactory
) -> None:
    app = make_app()
    appearance = app.citizen.appearance
    assert appearance is not None
    light = _window_lightness()
    try:
        app.settings.appearance = "dark"
        app.citizen.settings_applied()
        assert appearance.dark and _window_lightness() < 60
        app.settings.appearance = "system"
        app.citizen.settings_applied()
        assert not appearance.dark and _window_lightness() == light
        appearance._scheme_changed(Qt.ColorScheme.Dark)  # the desktop switched, live
        assert appearance.dark and _window_lightness() < 60
        appearance._scheme_changed(Qt.ColorScheme.Light)
        assert _window_lightness() == light
        app.settings.appearance = "light"
        app.citizen.settings_applied()
        appearance._scheme_changed(Qt.ColorScheme.Dark)  # a forced choice ignores the system
        assert not appearance.dark
    finally:
        app.settings.appearance = "light"
        app.citizen.settings_applied()


def test_offline_pauses_polling_and_the_way_back_checks_every_open_job_at_once(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    slow = world.add_job(KEY, queued_for=3600, retry_after=600)  # next check in ten minutes
    done = world.add_job(KEY, queued_for=0, processing_for=0)
    app = make_app(add_text=f"{slow} {done}")
    qtbot.waitUntil(lambda: app.watchlist.get(slow).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.watchlist.get(done).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    offline = app.citizen.offline
    offline.on_reachability(Reach.Disconnected)
    assert app.polling.paused and app.status.status_text == OFFLINE_TEXT
    before = _checked(app, slow)
    offline.on_reachability(Reach.Online)
    assert not app.polling.paused and not app.status.offline
    # The slow job (next check in ten minutes) was asked again: its own answer, not a count
    # of requests that another job's late answer could have moved.
    qtbot.waitUntil(lambda: _checked(app, slow) != before, timeout=10000)

    # The user's own pause is theirs: the network coming back does not lift it.
    app.polling.set_paused(True)
    offline.on_reachability(Reach.Disconnected)
    offline.on_reachability(Reach.Online)
    assert app.polling.paused


def test_retry_now_asks_every_open_job_again(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    slow = world.add_job(KEY, queued_for=3600, retry_after=600)
    app = make_app(add_text=slow)
    qtbot.waitUntil(lambda: app.watchlist.get(slow).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    before = _checked(app, slow)
    app.status.retry_requested.emit()
    qtbot.waitUntil(lambda: _checked(app, slow) != before, timeout=10000)


def _checked(app: object, job_id: str) -> float | None:
    job = app.watchlist.get(job_id)  # type: ignore[attr-defined]
    return job.last_checked if job is not None else None


def _dialog(qtbot: QtBot, app: object) -> SettingsDialog:
    app.open_settings()  # type: ignore[attr-defined]
    dialog = app.window.findChildren(SettingsDialog)[-1]  # type: ignore[attr-defined]
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_settings_start_at_login_reads_and_writes_the_autostart_entry(
    qtbot: QtBot, make_app: AppFactory, isolated_dirs: Path, tmp_path: Path
) -> None:
    entry = isolated_dirs / "xdg_config_home" / "autostart" / f"{APP_ID}.desktop"
    app = make_app()
    dialog = _dialog(qtbot, app)
    d = dialog.desktop
    assert not d.start_at_login.isChecked()
    assert not d.start_minimized.isEnabled()  # no tray in this test: nothing to start in
    d.start_at_login.setChecked(True)
    d.auto_download.setChecked(True)
    d.stuck_hours.setValue(2.5)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "--minimized" in entry.read_text()
    assert app.settings.auto_download and app.settings.stuck_after_hours == 2.5

    entry.unlink()  # removed elsewhere (the desktop's own settings): the dialog says off
    dialog = _dialog(qtbot, app)
    assert not dialog.desktop.start_at_login.isChecked()
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    dialog.desktop.ca_bundle.setText(str(bad))
    dialog.ok_button.click()
    assert dialog.isVisible() and "not a PEM" in dialog.desktop.ca_error.text()
    dialog.reject()


def test_help_copies_diagnostics_without_the_key_and_opens_the_log_folder(
    qtbot: QtBot, make_app: AppFactory
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QGuiApplication

    from jobmonitor.core.paths import log_dir

    app = make_app()
    # A key pasted into the wrong field must not come out either.
    app.settings.qsettings.setValue("api/notes", f"my key is {KEY}")
    opened: list[QUrl] = []
    app.citizen.open_url = opened.append
    app.citizen.open_logs.trigger()
    assert opened == [QUrl.fromLocalFile(str(log_dir()))]
    app.citizen.copy_diagnostics.trigger()
    qtbot.waitUntil(lambda: "Keyring backend" in QGuiApplication.clipboard().text(), timeout=10000)
    text = QGuiApplication.clipboard().text()
    assert "Qt " in text and "platform plugin offscreen" in text and "Folders:" in text
    assert "api/base_url" in text or "Settings (" in text
    assert KEY not in text and "my key is [redacted]" in text


def test_the_stuck_chip_counts_and_shows_jobs_unchanged_past_the_setting(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    slow = world.add_job(KEY, queued_for=3600, retry_after=0.5)
    done = world.add_job(KEY, queued_for=0, processing_for=0)
    app = make_app(add_text=f"{slow} {done}")
    qtbot.waitUntil(lambda: app.watchlist.get(slow).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.watchlist.get(done).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    bar, proxy, chip = app.window.filter_bar, app.window.proxy, app.citizen.stuck_chip
    assert chip.text() == "Stuck (0)"  # an hour has not passed
    app.settings.stuck_after_hours = 1e-6  # now anything unchanged for a moment is stuck
    bar.refresh_extra()
    assert chip.text() == "Stuck (1)" and chip.accessibleName() == "Show stuck jobs: 1"
    chip.click()
    qtbot.waitUntil(lambda: proxy.rowCount() == 1)
    assert proxy.job_id_at(0) == slow
    bar.chips[None].click()  # All: the filter is off again
    qtbot.waitUntil(lambda: proxy.rowCount() == 2)
    assert not chip.isChecked()
    # View › Show has it too, after the status items, with its count and the next shortcut.
    menu = app.window.menus
    stuck = menu.extra_filters["Stuck"]
    items = menu.view.actions()
    assert items.index(stuck) == items.index(menu.filters[Category.PROBLEM]) + 1
    # Its mnemonic is a letter no other View item has (S is Succeeded's, t the Toolbar's, u
    # the Submissions panel's).
    assert stuck.text() == "Stuc&k (1)" and stuck.shortcut().toString() == "Ctrl+7"
    assert not stuck.isChecked()
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow)
    qtbot.keyClick(app.window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: proxy.rowCount() == 1)
    assert chip.isChecked() and stuck.isChecked()
    menu.filters[None].trigger()
    assert not chip.isChecked() and not stuck.isChecked()
    qtbot.waitUntil(lambda: proxy.rowCount() == 2)

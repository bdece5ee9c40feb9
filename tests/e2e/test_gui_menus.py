"""The menu bar, toolbar and help dialogs: one action per command, shortcuts, filters, panels."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import sys

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from jobmonitor import __version__
from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.help_dialogs import API_DOCS_URL, ShortcutsDialog
from jobmonitor.ui.jobs_model import Category
from jobmonitor.ui.menus import mnemonic_of


def _menu(app_window: object, title: str) -> list[QAction]:
    bar = app_window.menuBar()  # type: ignore[attr-defined]
    for top in bar.actions():
        if top.text().replace("&", "") == title:
            menu = top.menu()
            assert isinstance(menu, QMenu)
            return [a for a in menu.actions() if not a.isSeparator()]
    raise AssertionError(f"no menu {title}")


def _activate(qtbot: QtBot, window: QWidget) -> None:
    """Window shortcuts only fire in the active window (another test's may have been)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def _menu_texts(window: QWidget) -> list[str]:
    return [a.text() for a in _menu(window, "View")]


def _texts(actions: list[QAction]) -> list[str]:
    return [a.text().replace("&", "") for a in actions]


def test_menus_hold_the_window_commands_once(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    w, a = app.window, app.window.job_actions
    titles = [t.text().replace("&", "") for t in w.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Jobs", "Help"]
    file, edit, view = _menu(w, "File"), _menu(w, "Edit"), _menu(w, "View")
    assert _texts(file) == [
        "New job…",
        "Add job ids",
        "Add ids from file…",
        "Download result",
        "Download all finished",
        "Export list as CSV…",
        "Settings…",
        "Quit",
    ]
    # The very objects of the toolbar and the shortcuts: one QAction per command.
    assert file[4] is a.download_all and file[-1] is a.quit
    assert a.quit.shortcut().toString() == "Ctrl+Q"
    assert a.download_all.shortcut().toString() == "Ctrl+Shift+D"
    assert a.download_all.text().replace("&", "") == "Download all finished"  # its accessible name
    assert a.download_all in w.toolbar.actions() and a.check_now in w.toolbar.actions()
    assert a.remove in edit and a.undo in edit and a.select_all in edit and a.find in edit
    assert a.copy_ids in edit and a.copy_report in edit
    assert _menu(w, "Jobs") == [a.check_now, a.pause]
    panels = {t: act for t, act in zip(_texts(view), view, strict=True)}
    assert panels["Downloads panel"].shortcut().toString() == "Ctrl+J"
    assert "Details panel" in panels and "All (0)" in panels
    # Each View item has a letter of its own (Processing and Problem both had P; the panels
    # all had the p of "panel"), also once the counts have changed the filters' texts.
    for _ in range(2):
        letters = [mnemonic_of(act.text()) for act in _menu(w, "View")]
        assert "" not in letters and len(set(letters)) == len(letters), _menu_texts(w)
        w.filter_bar.counts_updated.emit()
    assert _texts(_menu(w, "Help")) == [
        "Keyboard shortcuts",
        "Open log folder",
        "Copy diagnostics",
        "About Job Monitor",
    ]
    for action in (a.check_now, a.pause, a.remove, a.download):  # style icons always exist
        assert not action.icon().isNull(), action.text()
    button = w.toolbar.widgetForAction(a.check_now)
    assert isinstance(button, QToolButton)
    assert button.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    _activate(qtbot, w)
    with qtbot.waitSignal(app.quit_requested, timeout=2000):
        qtbot.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_view_filters_follow_the_chips_and_panels_toggle(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    ok = world.add_job(KEY, queued_for=0, processing_for=0)
    failed = world.add_job(KEY, queued_for=0, processing_for=0, outcome="failed")
    app = make_app(add_text=f"{ok} {failed}")
    w = app.window
    qtbot.waitUntil(lambda: w.model.counts[Category.FAILED] == 1, timeout=10000)
    show_failed = w.menus.filters[Category.FAILED]
    _activate(qtbot, w)
    assert show_failed.text() == "&Failed (1)"
    qtbot.keyClick(w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert w.proxy.category is Category.FAILED and w.filter_bar.chips[Category.FAILED].isChecked()
    assert show_failed.isChecked()
    qtbot.mouseClick(w.filter_bar.chips[None], Qt.MouseButton.LeftButton)
    assert w.menus.filters[None].isChecked() and not show_failed.isChecked()
    assert w.proxy.rowCount() == 2

    assert w.details.isVisible()
    qtbot.keyClick(w, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert not w.details.isVisible() and not w.menus.show_details.isChecked()
    w.menus.show_details.trigger()
    assert w.details.isVisible()
    assert app.downloads_dock is not None and not app.downloads_dock.isVisible()
    qtbot.keyClick(w, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert app.downloads_dock.isVisible()

    w.table.setFocus()
    w.job_actions.select_all.trigger()
    assert sorted(w.selected_ids()) == sorted([ok, failed])


def test_help_lists_shortcuts_and_versions(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    w = app.window
    w.menus.shortcuts.trigger()
    dialogs = w.findChildren(ShortcutsDialog)
    assert len(dialogs) == 1
    rows = dialogs[0].rows()
    assert ("File", "Ctrl+Q", "Quit") in rows
    assert ("Jobs", "F5", "Check now") in rows
    assert ("View", "Ctrl+J", "Downloads panel") in rows
    assert ("View", "Ctrl+5", "Show failed jobs") in rows  # without the menu's count
    assert ("View", "Ctrl+1", "Show all jobs") in rows
    assert ("Downloads panel", "Ctrl+Shift+L", "Clear finished downloads") in rows
    assert ("File", "Ctrl+Shift+D", "Download all finished") in rows
    dialogs[0].close()

    w.menus.about.trigger()
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    text = boxes[0].text()
    assert __version__ in text and f"Qt {qVersion()}" in text
    assert sys.version.split()[0] in text and API_DOCS_URL in text
    assert KEY not in text
    boxes[0].close()


def test_download_all_finished_saves_every_result_once(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: object
) -> None:
    from pathlib import Path

    from jobmonitor.core.downloads.model import DownloadState

    done = [
        world.add_job(KEY, queued_for=0, processing_for=0, file_name=f"r{n}.csv", file_size=5000)
        for n in range(2)
    ]
    failed = world.add_job(KEY, queued_for=0, processing_for=0, outcome="failed")
    waiting = world.add_job(KEY, queued_for=600, processing_for=1)
    app = make_app(add_text=" ".join([*done, failed, waiting]))
    w, a = app.window, app.window.job_actions
    assert not a.download_all.isEnabled()  # nothing has succeeded yet
    qtbot.waitUntil(lambda: w.model.counts[Category.SUCCESS] == 2, timeout=10000)
    qtbot.waitUntil(lambda: app.watchlist.get(failed).state is JobState.FAILED, timeout=10000)  # type: ignore[union-attr]
    assert a.download_all.isEnabled()
    _activate(qtbot, w)
    qtbot.keyClick(
        w, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    manager = app.downloads
    assert manager is not None
    assert sorted(d.job_id for d in manager.downloads) == sorted(done)
    assert "Downloading 2 result files" in w.statusBar().currentMessage()
    assert app.downloads_dock is not None and app.downloads_dock.isVisible()
    qtbot.waitUntil(
        lambda: all(d.state is DownloadState.DONE for d in manager.downloads), timeout=15000
    )
    folder = Path(str(tmp_path)) / "downloads"
    assert sorted(p.name for p in folder.iterdir()) == ["r0.csv", "r1.csv"]
    assert app.download_all_finished() == []  # already saved: not fetched again
    assert "already downloaded" in w.statusBar().currentMessage()
    assert sorted(p.name for p in folder.iterdir()) == ["r0.csv", "r1.csv"]


def test_pausing_does_not_shift_the_toolbar(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    w, a = app.window, app.window.job_actions
    button = w.toolbar.widgetForAction(a.settings)
    assert button is not None
    before = button.x()
    a.pause.trigger()
    assert a.pause.text().replace("&", "") == "Resume polling"
    w.toolbar.layout().activate()  # lay the toolbar out again now
    assert button.x() == before
    a.pause.trigger()

"""The window as a screen reader and a keyboard user meet it: Qt's accessibility tree (what AT-SPI
is given) walked for the main window, the details of each kind of job, Settings and the downloads
panel; and a Tab walk through the window."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import pytest
from a11ywalk import focusable_controls, problems, tab_walk
from guihelpers import AppFactory, close, make_app, qloop, sim  # noqa: F401
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.demo import DemoWorld, build_demo_world
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.settings_dialog import SettingsDialog


@pytest.fixture
def demo() -> DemoWorld:
    return build_demo_world()


@pytest.fixture
def world(demo: DemoWorld) -> SimWorld:  # guihelpers' simulator serves the demo's jobs
    return demo.world


def _every_kind(demo: DemoWorld) -> str:
    return "\n".join(ids[0] for ids in demo.jobs.values() if ids)


def _started(qtbot: QtBot, make_app: AppFactory, demo: DemoWorld) -> DesktopApp:
    app = make_app(key=demo.key, add_text=_every_kind(demo))
    app.window.resize(1280, 760)
    # Every job answered at least once: each shows the parts of the details its kind has.
    qtbot.waitUntil(
        lambda: all(j.last_checked is not None for j in app.watchlist.jobs()), timeout=15000
    )
    return app


def test_main_window_names_every_control_and_exposes_every_value(
    qtbot: QtBot, make_app: AppFactory, demo: DemoWorld
) -> None:
    app = _started(qtbot, make_app, demo)
    app.window.filter_bar.search.setText("a")  # its clear button shows
    app.window.resize(700, 600)  # the toolbar's overflow button shows
    qtbot.waitUntil(lambda: app.window.width() <= 900)
    assert problems(app.window) == []


def test_details_of_each_kind_of_job_are_named_and_expose_their_values(
    qtbot: QtBot, make_app: AppFactory, demo: DemoWorld
) -> None:
    app = _started(qtbot, make_app, demo)
    seen = set()
    for job in app.watchlist.jobs():
        assert app.window.select_job(job.job_id)
        details = app.window.details
        qtbot.waitUntil(lambda j=job, d=details: d.job is not None and d.job.job_id == j.job_id)
        seen.add(job.state)
        found = problems(app.window.details)
        assert found == [], f"{job.state.value}: {found}"
    assert len(seen) >= 6  # queued, processing, success, failed, forbidden, not found, unknown


def test_settings_names_every_control_and_exposes_every_value(
    qtbot: QtBot, make_app: AppFactory, demo: DemoWorld
) -> None:
    app = make_app(key=demo.key)
    app.open_settings()
    dialog = app.window.findChild(SettingsDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    form = dialog.form
    qtbot.waitUntil(lambda: form.key_status.text() != "")  # the stored key, once looked up
    form.test_button.click()
    qtbot.waitUntil(lambda: form.verdict_text.text() != "", timeout=10000)
    assert problems(dialog) == []
    walk = tab_walk(dialog.form.base_url)
    missing = [w for w in focusable_controls(dialog) if w not in walk]
    assert missing == []
    dialog.reject()


def test_downloads_panel_names_every_control(
    qtbot: QtBot, make_app: AppFactory, demo: DemoWorld
) -> None:
    app = make_app(key=demo.key, add_text="\n".join(demo.jobs["success"][-3:]))
    qtbot.waitUntil(
        lambda: all(j.state is JobState.SUCCESS for j in app.watchlist.jobs()), timeout=15000
    )
    assert len(app.download_all_finished()) == 3
    manager = app.downloads
    assert manager is not None and app.downloads_dock is not None
    qtbot.waitUntil(
        lambda: all(d.progress.state.terminal for d in manager.downloads), timeout=15000
    )
    panel = app.downloads_dock.widget()
    assert problems(panel) == []


def _name(widget: QWidget) -> str:
    return widget.accessibleName() or (
        widget.text() if isinstance(widget, QAbstractButton) else type(widget).__name__
    )


def test_tab_leaves_the_table_and_reaches_every_control_in_order(
    qtbot: QtBot, make_app: AppFactory, demo: DemoWorld
) -> None:
    app = _started(qtbot, make_app, demo)
    window = app.window
    walk = tab_walk(window.add_bar.edit)
    names = [_name(w) for w in walk]
    table = walk.index(window.table)
    assert walk.count(window.table) == 1, names  # Tab leaves it; the arrows move inside
    search = walk.index(window.filter_bar.search)
    assert walk.index(window.add_bar.edit) < search < table, names
    # Right after the table comes the details of its job, before anything else.
    assert window.details.isAncestorOf(walk[table + 1]), names
    assert window.details.report_button in walk, names
    status = [n for n, w in enumerate(walk) if window.statusBar().isAncestorOf(w)]
    assert status and min(status) > walk.index(window.details.report_button), names
    missing = [_name(w) for w in focusable_controls(window) if w not in walk]
    assert missing == [], names

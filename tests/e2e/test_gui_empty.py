"""A table with no row says why: how to add jobs and set the key, or which filter hides them."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.job_text import Category


def test_an_empty_list_says_how_to_add_jobs_and_set_the_key(
    qtbot: QtBot, make_app: AppFactory
) -> None:
    app = make_app(key=None)
    empty = app.window.empty_state
    qtbot.waitUntil(empty.settings_button.isVisible)  # no key: how to set one too
    assert empty.isVisible() and "No jobs watched yet" in empty.text.text()
    assert "Ctrl+," in empty.text.text() and "Paste job ids" in empty.text.text()
    empty.action.click()
    assert QApplication.focusWidget() is app.window.add_bar.edit


def test_an_empty_list_with_a_key_only_says_how_to_add(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    empty = app.window.empty_state
    assert empty.isVisible() and not empty.settings_button.isVisible()
    assert "Ctrl+," not in empty.text.text()


def test_no_match_names_the_search_and_clears_it(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    job = world.add_job(KEY, queued_for=600)
    app = make_app(add_text=job)
    window, empty = app.window, app.window.empty_state
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1)
    assert not empty.isVisible()
    window.filter_bar.search.setText("nightly")
    qtbot.waitUntil(empty.isVisible)
    assert empty.text.text() == "<p><b>No job matches “nightly”.</b></p>"
    assert empty.text.accessibleName() == "Job list: No job matches “nightly”."
    assert empty.action.text() == "&Clear the search"
    empty.action.click()
    assert window.filter_bar.search.text() == "" and window.proxy.rowCount() == 1
    assert not empty.isVisible()
    qtbot.waitUntil(lambda: window.selected_ids() == [job])  # selected again once shown

    window.filter_bar.select(Category.FAILED)
    qtbot.waitUntil(empty.isVisible)
    assert "No failed jobs." in empty.text.text() and empty.action.text() == "Show &all jobs"
    empty.action.click()
    assert window.proxy.category is None and not empty.isVisible()

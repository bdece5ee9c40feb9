"""A job submitted elsewhere fails: its input attached in the window shows the failure, next
session too (the attachment is kept in the watch-list database)."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld

INPUT = '{\n  "items": [\n    1,\n    2,\n\t\t}\n  ]\n}\n'


def test_attach_the_input_of_a_job_submitted_elsewhere(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    failed = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0.1,
        retry_after=1,
        outcome="failed",
        error_code="INVALID_JSON",
        error_message="Expecting value",
        error_details={"line": 5, "column": 3},
    )
    source = tmp_path / "items.json"
    source.write_text(INPUT)
    first = make_app(add_text=failed)
    qtbot.waitUntil(lambda: first.watchlist.get(failed).state is JobState.FAILED, timeout=10000)  # type: ignore[union-attr]
    assert first.window.select_job(failed)
    section = first.window.details.failure.input
    qtbot.waitUntil(section.isVisible)
    assert section.look is None and section.attach_button.isVisible()
    section.choose_file = lambda: str(source)
    section.attach_button.click()
    qtbot.waitUntil(lambda: section.look is not None, timeout=5000)
    view = section.view
    assert view.accessibleName() == "line 5, column 3: \t\t}"
    assert view.document().characterAt(view.caret_cursor().position()) == "}"  # type: ignore[union-attr]
    assert section.notice.isHidden()  # attached: nothing known of what was submitted
    close(qtbot, first)

    second = make_app()
    qtbot.waitUntil(lambda: failed in second.watchlist, timeout=5000)
    qtbot.waitUntil(lambda: second.watchlist.get(failed).state is JobState.FAILED, timeout=10000)  # type: ignore[union-attr]
    assert second.window.select_job(failed)
    again = second.window.details.failure.input
    qtbot.waitUntil(lambda: again.look is not None, timeout=5000)
    assert again.location_text() == f"{source}:5:3"

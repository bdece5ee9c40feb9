"""Submitting from the window in tests: File › New job filled in, and finding the job it made."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.input_excerpt import InputExcerpt
from jobmonitor.ui.new_job_dialog import NewJobDialog


def submit(qtbot: QtBot, app: DesktopApp, paths: list[Path], tool: str) -> None:
    """File › New job with ``paths`` and ``tool`` chosen, then Submit (the dialog is not shown)."""

    def fill(dialog: NewJobDialog) -> bool:
        dialog.add_paths(paths)
        assert dialog.picker.select(tool), f"{tool} not offered for {paths}"
        return True

    app.submissions.new_job.run_dialog = fill
    app.submissions.new_job.action.trigger()


def job_for(app: DesktopApp, name: str, nth: int = 0) -> str | None:
    """The id of the ``nth`` job labelled after the file ``name`` (oldest first)."""
    ids = [j.job_id for j in app.watchlist.jobs() if j.label.startswith(f"{name} · ")]
    return ids[nth] if len(ids) > nth else None


@pytest.fixture
def fast(world: SimWorld) -> SimWorld:
    """Submitted jobs that finish in a fraction of a second."""
    world.tools.accepted_for = 0.0
    world.tools.queued_for = 0.05
    world.tools.processing_for = 0.05
    world.tools.retry_after = 0.2
    return world


def wait_for_input(qtbot: QtBot, app: DesktopApp, job_id: str, path: Path) -> InputExcerpt:
    """Select ``job_id`` and wait until its details show the failure in ``path``."""
    assert app.window.select_job(job_id)
    section = app.window.details.failure.input

    def shown() -> bool:
        return section.look is not None and section.look.path == path

    qtbot.waitUntil(shown, timeout=5000)
    return section

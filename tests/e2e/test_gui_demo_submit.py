"""Demo mode as a newcomer meets it: the hint, New job opening in the shipped samples, a broken
sample submitted and its failure shown in the input, at the line and column the parser named."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot
from submithelpers import job_for, wait_for_input

from jobmonitor.core.state import JobState
from jobmonitor.desktop.root import DEMO_HINT
from jobmonitor.ui.new_job_dialog import NewJobDialog


def test_a_newcomer_submits_a_broken_sample_and_sees_it_in_context(
    qtbot: QtBot, make_app: AppFactory, tmp_path: Path
) -> None:
    from jobmonitor.desktop.demo import start_demo

    server, demo = start_demo()
    try:
        assert demo.samples is not None
        app = make_app(demo=demo, data_dir=tmp_path / "demo", key=None)
        assert app.window.notice.text.text() == DEMO_HINT
        opened_in: list[Path | None] = []

        def as_a_user(dialog: NewJobDialog) -> bool:
            opened_in.append(dialog.start_folder)
            sample = demo.samples / "broken-trailing-comma.json"  # type: ignore[operator]
            dialog.choose_files = lambda _parent: [str(sample)]
            dialog.add_files.click()
            return dialog.picker.select("json-formatter-api")

        new_job = app.submissions.new_job
        new_job.run_dialog = as_a_user
        new_job.action.trigger()
        assert opened_in == [demo.samples]
        name = "broken-trailing-comma.json"
        qtbot.waitUntil(
            lambda: (
                (j := app.watchlist.get(job_for(app, name) or "")) is not None
                and j.state is JobState.FAILED
            ),
            timeout=20000,
        )
        job_id = job_for(app, name) or ""
        section = wait_for_input(qtbot, app, job_id, demo.samples / name)
        assert section.view.accessibleName().startswith("line 6, column 3: ")
        assert section.look is not None and section.look.excerpt is not None
        assert section.look.excerpt.character == "]"  # the one after the trailing comma
        close(qtbot, app)
    finally:
        server.stop()

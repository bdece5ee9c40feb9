"""After a submission from the window: Submit again (linked jobs, the old input now "changed"),
Cancel (nothing left on the provider), the Uploads panel, and a result link gone for good."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from guihelpers import KEY, AppFactory, make_app, qloop, run, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot
from submithelpers import fast, job_for, submit, wait_for_input  # noqa: F401

from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.state import JobState
from jobmonitor.desktop.root import DesktopApp
from jobmonitor.desktop.submissions import NEEDS_SESSION
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.new_job_dialog import NewJobRequest
from jobmonitor.ui.submission_section import EXPIRED_AGAIN
from jobmonitor.ui.submissions_panel import SubmitStage

BROKEN = b'{\n  "items": [1, 2,]\n}\n'
FIXED = b'{\n  "items": [1, 2]\n}\n'


def ready(qtbot: QtBot, make_app: AppFactory) -> DesktopApp:
    app = make_app()
    qtbot.waitUntil(lambda: app.session is not None and app.session.api_key == KEY, timeout=10000)
    return app


def state_of(app: DesktopApp, job_id: str | None) -> JobState | None:
    job = app.watchlist.get(job_id or "")
    return job.state if job is not None else None


def test_submit_again_after_fixing_the_file(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = ready(qtbot, make_app)
    path = tmp_path / "items.json"
    path.write_bytes(BROKEN)
    submit(qtbot, app, [path], "json-formatter-api")
    qtbot.waitUntil(
        lambda: state_of(app, job_for(app, "items.json")) is JobState.FAILED, timeout=15000
    )
    old = job_for(app, "items.json") or ""
    section = wait_for_input(qtbot, app, old, path)
    assert section.notice.isHidden()

    path.write_bytes(FIXED)  # the user fixes the file, then presses Submit again
    box = app.window.details.submission
    assert box.again_button.isVisible()
    box.again_button.click()
    qtbot.waitUntil(
        lambda: state_of(app, job_for(app, "items.json", 1)) is JobState.SUCCESS, timeout=15000
    )
    new = job_for(app, "items.json", 1) or ""
    record = app.inputs.inputs[new]
    assert record.previous_job == old and record.tool == "json-formatter-api"
    assert record.sha256 != app.inputs.inputs[old].sha256
    assert app.inputs.resubmissions(old) == [new]

    # Both histories stay reachable: the old job says it was submitted again, and its input
    # (the same file, now fixed) is no longer what it was given.
    assert app.window.select_job(old)
    qtbot.waitUntil(lambda: box.links.count() == 1)
    section = app.window.details.failure.input
    qtbot.waitUntil(lambda: section.look is not None and section.look.changed is True, timeout=5000)
    assert section.notice.isVisible()
    assert app.watchlist.history(old) and app.watchlist.history(new)


def test_cancel_while_submitting_leaves_no_upload_behind(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = ready(qtbot, make_app)
    submitter = app.submissions.submitter()
    assert submitter is not None
    held = asyncio.Event()
    real = submitter.tools.submit_file

    async def held_back(*args: Any, **kw: Any) -> Any:  # the upload is done; the submit waits
        held.set()
        await asyncio.sleep(3600)
        return await real(*args, **kw)

    submitter.tools.submit_file = held_back  # type: ignore[method-assign]
    path = tmp_path / "orders.json"
    path.write_bytes(FIXED)
    submit(qtbot, app, [path], "json-formatter-api")
    panel = app.submissions.panel
    qtbot.waitUntil(held.is_set, timeout=10000)
    assert len(fast.uploads.listing(KEY)) == 1  # uploaded, not yet submitted
    (row,) = panel.rows.values()
    assert not row.cancel.isHidden()
    row.cancel.click()
    qtbot.waitUntil(lambda: row.progress.stage is SubmitStage.CANCELLED, timeout=5000)
    qtbot.waitUntil(lambda: not fast.uploads.listing(KEY), timeout=5000)  # the pending upload went
    assert job_for(app, "orders.json") is None


def test_uploads_panel_lists_and_deletes(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = ready(qtbot, make_app)
    path = tmp_path / "people.csv"
    path.write_bytes(b"id,name\n1,ann\n")
    submit(qtbot, app, [path], "csv-to-json-api")
    qtbot.waitUntil(lambda: job_for(app, "people.csv") is not None, timeout=10000)
    panel = app.submissions.uploads
    run(qtbot, app.submissions.refresh_uploads())
    assert panel.table.rowCount() == 1, panel.note.text()
    assert panel.table.item(0, 0).text() == "people.csv"
    panel.table.selectRow(0)
    panel.delete_button.click()
    qtbot.waitUntil(lambda: not fast.uploads.listing(KEY), timeout=10000)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10000)
    assert not fast.uploads.listing(KEY)


def test_a_result_gone_for_good_offers_submit_again(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = ready(qtbot, make_app)
    path = tmp_path / "good.json"
    path.write_bytes(FIXED)
    submit(qtbot, app, [path], "json-formatter-api")
    qtbot.waitUntil(
        lambda: state_of(app, job_for(app, "good.json")) is JobState.SUCCESS, timeout=15000
    )
    job_id = job_for(app, "good.json") or ""
    fast.expire_file_urls()
    fast.delete_job(job_id)  # the provider forgot it: no fresh link either
    assert app.window.select_job(job_id)
    details = app.window.details
    # The table can be a step behind the watch list: wait for the details to show this job.
    qtbot.waitUntil(
        lambda: (
            details.job is not None
            and details.job.job_id == job_id
            and details.download_button.isEnabled()
        )
    )
    details.download_button.click()
    manager = app.files.manager
    assert manager is not None
    qtbot.waitUntil(
        lambda: (d := manager.get(job_id)) is not None and d.state is DownloadState.FAILED,
        timeout=15000,
    )
    box = app.window.details.submission
    qtbot.waitUntil(box.expired.isVisible, timeout=5000)
    assert box.expired.text() == EXPIRED_AGAIN and box.again_button.isVisible()


def test_an_input_the_tool_does_not_take_fails_its_row_before_anything_is_sent(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = ready(qtbot, make_app)
    good, wrong = tmp_path / "a.json", tmp_path / "b.csv"
    good.write_bytes(FIXED)
    wrong.write_bytes(b"x,y\n1,2\n")
    fast.reset_stats()
    keys = app.submissions.submit(NewJobRequest((wrong, good), (), "json-formatter-api"))
    panel = app.submissions.panel
    refused = panel.rows[keys[0]].progress
    assert refused.stage is SubmitStage.FAILED and refused.name == "b.csv"
    assert "json-formatter-api takes .json" in refused.message
    qtbot.waitUntil(lambda: job_for(app, "a.json") is not None, timeout=10000)
    assert job_for(app, "b.csv") is None
    assert [u["filename"] for u in fast.uploads.listing(KEY)] == ["a.json"]


def test_without_a_key_nothing_is_sent_and_the_window_says_why(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = make_app(key=None)
    path = tmp_path / "a.json"
    path.write_bytes(FIXED)
    fast.reset_stats()
    assert app.submissions.submit(NewJobRequest((path,), (), "json-formatter-api")) == []
    assert app.window.statusBar().currentMessage() == NEEDS_SESSION
    assert not app.submissions.panel.rows and not fast.uploads.listing(KEY)

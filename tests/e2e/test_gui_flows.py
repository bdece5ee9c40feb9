"""The desktop app against the simulator on loopback: add, reject, filter, details, report, pause, undo."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import json
from pathlib import Path

from guihelpers import KEY, OTHER, AppFactory, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import QItemSelectionModel, QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import ApiCondition, JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import jobs_model as cols
from jobmonitor.ui.jobs_model import Category

BAD = "1234abcd-e5f6-7890-abcd-ef123456789"  # a UUID a digit short


def _quick(world: SimWorld, **kw: object) -> str:
    return world.add_job(KEY, queued_for=0.2, processing_for=0.3, retry_after=1, **kw)  # type: ignore[arg-type]


def _select(app_window: object, job_id: str) -> None:
    assert app_window.select_job(job_id)  # type: ignore[attr-defined]


def test_add_one_then_many_pasted_with_bad_ids_rejected(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = make_app()
    bar = app.window.add_bar
    one = _quick(world)
    qtbot.keyClicks(bar.edit, one)
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 1)
    assert bar.edit.toPlainText() == ""
    assert "Added 1 job" in bar.feedback.text()

    many = [_quick(world, outcome="failed") for _ in range(3)]
    pasted = f"job_id,owner\n{{{many[0].upper()}}},me\n{many[1]};{many[2]}\t{one}\n{BAD}\n"
    bar.edit.setPlainText(pasted)
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 4)
    text = bar.feedback.text()
    assert "Added 3 jobs" in text and "1 duplicate skipped" in text and "rejected" in text
    assert f"Rejected '{BAD}'" in text and "8-4-4-4-12" in text
    assert BAD in bar.edit.toPlainText()  # what was rejected stays in the field to fix
    qtbot.waitUntil(
        lambda: (
            [j.state for j in app.watchlist.jobs()] == [JobState.SUCCESS] + [JobState.FAILED] * 3
        ),
        timeout=15000,
    )


def test_command_line_ids_and_drops_and_files(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: object
) -> None:
    first = _quick(world)
    app = make_app(add_text=f"{first} {BAD}")
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 1)
    assert "from the command line" in app.window.add_bar.feedback.text()
    assert BAD in app.window.add_bar.feedback.text()

    mime = QMimeData()
    dropped = _quick(world)
    mime.setText(f"see {dropped} and {first}")
    app.window.adder.add_mime(mime)
    csv = tmp_path / "ids.csv"  # type: ignore[operator]
    from_file = [_quick(world) for _ in range(2)]
    csv.write_text("id,label\n" + "\n".join(f"{i},x" for i in from_file), encoding="utf-8")
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(csv))])
    report = app.window.adder.add_mime(files)
    assert report is not None and report.added == tuple(from_file)
    assert "ids.csv" in app.window.add_bar.feedback.text()
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 4)


def test_filter_chips_and_search(qtbot: QtBot, make_app: AppFactory, world: SimWorld) -> None:
    ok = world.add_job(KEY, queued_for=0, processing_for=0)
    failed = world.add_job(
        KEY, queued_for=0, processing_for=0, outcome="failed", error_code="BAD_CSV"
    )
    theirs = world.add_job(OTHER, queued_for=0, processing_for=0)
    waiting = world.add_job(KEY, queued_for=600, processing_for=1)
    app = make_app(add_text=" ".join([ok, failed, theirs, waiting]))
    window = app.window
    qtbot.waitUntil(
        lambda: (
            window.model.counts[Category.PROBLEM] == 1
            and window.model.counts[Category.FAILED] == 1
            and window.model.counts[Category.SUCCESS] == 1
            and window.model.counts[Category.QUEUED] == 1
        ),
        timeout=10000,
    )
    bar = window.filter_bar
    assert bar.chips[Category.FAILED].text() == "Failed (1)" and bar.chips[None].text() == "All (4)"

    def shown() -> list[str]:
        return [window.proxy.job_id_at(r) for r in range(window.proxy.rowCount())]

    qtbot.mouseClick(bar.chips[Category.PROBLEM], Qt.MouseButton.LeftButton)
    assert shown() == [theirs]
    qtbot.mouseClick(bar.chips[None], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(bar.search, "bad_csv")
    assert shown() == [failed]
    window.watchlist = app.watchlist
    app.watchlist.set_label(waiting, "Quarterly report")
    qtbot.waitUntil(
        lambda: (
            window.model.index(window.model.row_of(waiting) or 0, cols.LABEL).data()
            == "Quarterly report"
        )
    )
    bar.search.clear()
    qtbot.keyClicks(bar.search, "quarterly")
    assert shown() == [waiting]
    bar.search.clear()
    assert len(shown()) == 4


def test_failed_job_details_and_support_report(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    failed = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0.2,
        retry_after=1,
        outcome="failed",
        error_code="INVALID_JSON",
        error_message="Unexpected token '}' in JSON.",
        error_details={"line": 14, "column": 3, "path": "$.items[2]"},
    )
    app = make_app(add_text=failed)
    qtbot.waitUntil(lambda: app.watchlist.get(failed).state is JobState.FAILED, timeout=10000)  # type: ignore[union-attr]
    _select(app.window, failed)
    details = app.window.details
    qtbot.waitUntil(lambda: details.failure.isVisible())
    form = details.failure_form
    rows = {
        form.itemAt(r, form.ItemRole.LabelRole).widget().text(): form.itemAt(
            r, form.ItemRole.FieldRole
        )
        .widget()
        .text()
        for r in range(form.rowCount())
    }
    assert rows["Code:"] == "INVALID_JSON"
    assert rows["Message:"] == "Unexpected token '}' in JSON."
    assert rows["Line:"] == "14" and rows["Column:"] == "3" and rows["Path:"] == "$.items[2]"
    assert details.failure.title() == "Failure"
    timeline = details.timeline.text()
    assert "Waiting for first check" in timeline and "Failed" in timeline
    assert not details.result.isVisible()

    QGuiApplication.clipboard().clear()
    app.window.job_actions.copy_report.trigger()
    report = QGuiApplication.clipboard().text()
    assert failed in report and "INVALID_JSON" in report and '"line": 14' in report
    assert KEY not in report
    assert "Copied" in details.report_button.text()


def test_success_details_show_pretty_preview(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    done = world.add_job(KEY, queued_for=0, processing_for=0, preview='{"name":"John","age":30}')
    app = make_app(add_text=done)
    qtbot.waitUntil(lambda: app.watchlist.get(done).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    _select(app.window, done)
    details = app.window.details
    qtbot.waitUntil(details.result.isVisible)  # once the saved answer reaches the table
    assert details.preview.toPlainText() == json.dumps({"name": "John", "age": 30}, indent=2)
    assert details.download_button.isEnabled()
    assert app.window.job_actions.download.isEnabled()
    details.raw_toggle.click()
    assert details.raw.isVisible() and '"status": "success"' in details.raw.toPlainText()


def test_pause_and_resume(qtbot: QtBot, make_app: AppFactory, world: SimWorld) -> None:
    slow = world.add_job(KEY, queued_for=3, processing_for=0, retry_after=1)
    app = make_app()
    pause = app.window.job_actions.pause
    pause.trigger()
    assert app.polling.paused and pause.isChecked() and pause.text() == "&Resume polling"
    assert app.status.api_status.condition is ApiCondition.PAUSED
    world.reset_stats()
    app.window.adder.add_text(slow)
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 1)
    assert world.stats.requests == 0
    qtbot.keyClick(
        app.window,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not app.polling.paused and pause.text() == "&Pause polling"
    qtbot.waitUntil(lambda: app.watchlist.get(slow).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    assert world.stats.requests >= 1


def test_remove_with_delete_and_undo(qtbot: QtBot, make_app: AppFactory, world: SimWorld) -> None:
    ids = [world.add_job(KEY, queued_for=0, processing_for=0) for _ in range(3)]
    app = make_app(add_text=" ".join(ids))
    window = app.window
    qtbot.waitUntil(lambda: window.model.rowCount() == 3)
    app.watchlist.set_label(ids[1], "keep my label")
    qtbot.waitUntil(lambda: app.watchlist.idle)
    selection = window.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for job_id in ids[:2]:
        selection.select(
            window.proxy.mapFromSource(window.model.index(window.model.row_of(job_id) or 0, 0)),
            flags,
        )
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.model.job_ids() == [ids[2]])
    assert [j.job_id for j in app.store.load_jobs()] == [ids[2]]
    assert "Undo" in window.statusBar().currentMessage()
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.model.job_ids() == ids)
    assert app.watchlist.get(ids[1]).label == "keep my label"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: [j.job_id for j in app.store.load_jobs()] == ids)


def test_actions_have_shortcuts_and_names(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    actions = app.window.job_actions
    for action in (
        actions.add,
        actions.import_file,
        actions.remove,
        actions.undo,
        actions.check_now,
        actions.pause,
        actions.copy_ids,
        actions.copy_report,
        actions.download,
        actions.find,
        actions.settings,
        actions.quit,
    ):
        assert not action.shortcut().isEmpty(), action.text()
        assert action.text().replace("&", "").strip(), action
    assert actions.check_now.shortcut().toString() == "F5"
    assert actions.remove.shortcut().toString() == "Del"
    assert "Job Monitor" in app.window.windowTitle()
    qtbot.keyClick(app.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert app.window.filter_bar.search.hasFocus()


def test_download_from_the_details_panel(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    from jobmonitor.core.downloads.model import DownloadState

    done = world.add_job(
        KEY, queued_for=0, processing_for=0, file_name="report.csv", file_size=300_000
    )
    app = make_app(add_text=done)
    qtbot.waitUntil(lambda: app.watchlist.get(done).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    _select(app.window, done)
    details = app.window.details
    # The table (and so the details) can be a step behind the watch list: wait for the details
    # to show the finished job, or Ctrl+D asks a job that has no file yet.
    qtbot.waitUntil(lambda: details.job is not None and details.job.state is JobState.SUCCESS)
    qtbot.waitUntil(details.download_button.isEnabled)
    assert app.downloads_dock is not None and not app.downloads_dock.isVisible()
    qtbot.keyClick(app.window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert app.downloads is not None
    qtbot.waitUntil(
        lambda: (
            (d := app.downloads.get(done)) is not None  # type: ignore[union-attr]
            and d.state is DownloadState.DONE
        ),
        timeout=15000,
    )
    saved = tmp_path / "downloads" / "report.csv"
    assert saved.stat().st_size == 300_000
    assert app.downloads_dock.isVisible()
    # "Downloading … to …" goes once nothing is downloading (it stayed for its 6 s).
    assert not app.window.statusBar().currentMessage().startswith("Downloading")

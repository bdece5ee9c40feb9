"""The details panel shows a failed job's failure in its input: recorded, attached or dropped."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.input_check import fingerprint
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.failure_section import FROM_URL
from jobmonitor.ui.input_excerpt import CHANGED, NO_INPUT
from jobmonitor.ui.job_details import JobDetails

JOB = "job-12345-abcde"
BROKEN = (
    b'{\r\n  "name": "widget",\r\n\t"price": 12.5,\r\n\t"stock": ,\r\n  "color": "blue"\r\n}\r\n'
)


def failed(line: object = 4, column: object = 11, code: str = "INVALID_JSON") -> WatchedJob:
    error = {
        "code": code,
        "message": "Expecting value",
        "details": {"line": line, "column": column},
    }
    snapshot = {"job_id": JOB, "status": "failed", "error": error}
    parsed = JobSnapshot.from_wire(snapshot, requested_id=JOB)
    return WatchedJob(JOB, 0, time.time(), JobState.FAILED, snapshot=parsed, error_code=code)


def panel_for(qtbot: QtBot, records: dict[str, JobInput]) -> JobDetails:
    panel = JobDetails(base_url=lambda: "http://127.0.0.1:9")
    qtbot.addWidget(panel)
    panel.failure.job_input = records.get
    panel.resize(700, 800)
    panel.show()
    return panel


def submitted(path: Path) -> JobInput:
    fp = fingerprint(path)
    return JobInput(
        JOB, path=path, size=fp.size, mtime=fp.mtime, sha256=fp.sha256, tool="json-formatter-api"
    )


def test_a_submitted_input_is_shown_around_the_failure(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_bytes(BROKEN)
    panel = panel_for(qtbot, {JOB: submitted(path)})
    panel.show_job(failed(), [])
    section = panel.failure.input
    qtbot.waitUntil(lambda: section.look is not None)
    assert section.isVisible() and section.notice.isHidden()
    view = section.view
    assert view.accessibleName() == 'line 4, column 11: \t"stock": ,'
    assert view.document().characterAt(view.caret_cursor().position()) == ","  # type: ignore[union-attr]
    assert section.location_text() == f"{path}:4:11"
    assert panel.include_excerpt.isVisible() and not panel.include_excerpt.isChecked()


def test_report_includes_the_excerpt_only_when_asked(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_bytes(BROKEN)
    panel = panel_for(qtbot, {JOB: submitted(path)})
    panel.show_job(failed(), [])
    qtbot.waitUntil(lambda: panel.failure.input.look is not None)
    report = panel.support_report()
    assert report is not None and '"stock"' not in report  # off by default: inputs are private
    panel.include_excerpt.setChecked(True)
    report = panel.support_report()
    assert report is not None
    assert f"{path}:4:11" in report
    assert '  >4 │     "stock": ,' in report
    panel.show_job(failed(), [])  # the same job again: the choice stands
    assert panel.include_excerpt.isChecked()


def test_an_edited_input_says_so_above_the_excerpt(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_bytes(BROKEN)
    record = submitted(path)
    path.write_bytes(BROKEN.replace(b'"stock": ,', b'"stock": 4,'))
    panel = panel_for(qtbot, {JOB: record})
    panel.show_job(failed(), [])
    section = panel.failure.input
    qtbot.waitUntil(lambda: section.look is not None)
    assert section.notice.isVisible() and section.notice.text() == CHANGED
    panel.include_excerpt.setChecked(True)
    assert "(the input changed since it was submitted)" in (panel.support_report() or "")


def test_no_input_known_offers_to_attach_and_a_drop_attaches(qtbot: QtBot, tmp_path: Path) -> None:
    panel = panel_for(qtbot, {})
    panel.show_job(failed(), [])
    section = panel.failure.input
    assert section.isVisible() and section.problem.text() == NO_INPUT
    assert not panel.include_excerpt.isVisible()
    dropped = tmp_path / "from-elsewhere.json"
    dropped.write_bytes(BROKEN)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(dropped))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        QEvent.Type.Drop,
    )
    # Qt delivers a Drop only during a real drag, so the viewport's filter is handed the events
    # as Qt would hand them (it is installed on the viewport, where drops on the panel land).
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert panel.viewport().acceptDrops()
    assert QApplication.sendEvent(panel.viewport(), enter) and enter.isAccepted()
    with qtbot.waitSignal(panel.failure.input_attached) as attached:
        assert panel.failure.eventFilter(panel.viewport(), drop)
    assert attached.args == [JOB, dropped]
    assert drop.isAccepted()


def test_drops_are_left_to_the_window_when_no_input_is_wanted(qtbot: QtBot, tmp_path: Path) -> None:
    panel = panel_for(qtbot, {})
    panel.show_job(failed(line=None), [])  # a failure with no line: nothing to show it in
    assert panel.failure.input.isHidden()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "ids.txt"))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        QEvent.Type.Drop,
    )
    with qtbot.assertNotEmitted(panel.failure.input_attached):
        assert not panel.failure.eventFilter(panel.viewport(), drop)  # on to the window


def test_positions_from_strings_and_a_url_input(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"a,b\n1,2\n3\n")
    records = {JOB: JobInput(JOB, path=path, attached=True)}
    panel = panel_for(qtbot, records)
    panel.show_job(failed(line="3", column=None, code="INVALID_CSV"), [])
    section = panel.failure.input
    qtbot.waitUntil(lambda: section.look is not None)
    assert section.view.accessibleName() == "line 3: 3"
    assert section.view.caret_block is None  # a line and no column: no caret
    assert section.notice.isHidden()  # attached: nothing submitted to compare with
    records[JOB] = JobInput(JOB, url="https://example.org/in.json", tool="json-formatter-api")
    panel.show_job(failed(), [])
    assert section.problem.text() == FROM_URL

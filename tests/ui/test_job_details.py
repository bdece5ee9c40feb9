"""The details panel: failure rows, problem answers, result preview, raw answer, support report."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtWidgets import QFormLayout, QLabel
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import HistoryEntry, SavedFile, WatchedJob
from jobmonitor.ui.detail_parts import pretty
from jobmonitor.ui.job_details import JobDetails


def parsed(raw: dict[str, object], job_id: str = "job") -> JobSnapshot:
    """A stored answer as the watch list holds it: parsed by the one wire parser."""
    return JobSnapshot.from_wire(raw, requested_id=job_id)


JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
SECRET = "details-test-secret-key"


def _rows(form: QFormLayout) -> dict[str, str]:
    out = {}
    for r in range(form.rowCount()):
        label = form.itemAt(r, QFormLayout.ItemRole.LabelRole).widget()
        field = form.itemAt(r, QFormLayout.ItemRole.FieldRole).widget()
        out[label.text()] = field.text()  # type: ignore[attr-defined]
    return out


def _panel(qtbot: QtBot) -> JobDetails:
    panel = JobDetails(base_url=lambda: "http://127.0.0.1:9")
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_pretty_indents_json_only() -> None:
    assert pretty('{"a":[1,2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty("plain text {") == "plain text {"


def test_empty_panel_says_what_to_do(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert panel.placeholder.isVisible() and not panel.report_button.isVisible()
    assert panel.support_report() is None


def test_forbidden_job_shows_the_error_answer(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    body = {"status": "error", "error": "FORBIDDEN", "details": {"message": "Access denied."}}
    job = WatchedJob(
        JOB,
        0,
        time.time(),
        JobState.FORBIDDEN,
        error_body=body,
        error_code="FORBIDDEN",
        http_status=403,
        last_checked=time.time(),
    )
    panel.show_job(
        job, [HistoryEntry(JobState.PENDING, 1.0), HistoryEntry(JobState.FORBIDDEN, 2.0)]
    )
    assert _rows(panel.failure_form) == {
        "Code:": "FORBIDDEN",
        "Message:": "Access denied.",
        "HTTP status:": "403",
    }
    assert panel.failure.title() == "Problem"  # the API refused it; the job did not fail
    assert not panel.result.isVisible()
    panel.raw_toggle.click()
    assert '"FORBIDDEN"' in panel.raw.toPlainText() and "HTTP 403" in panel.raw.toPlainText()


def test_transient_error_on_an_open_job_says_it_will_retry(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    body = {"status": "error", "error": "INTERNAL_ERROR", "details": {"message": "boom"}}
    job = WatchedJob(
        JOB, 0, 1.0, JobState.QUEUED, error_body=body, error_code="INTERNAL_ERROR", http_status=500
    )
    panel.show_job(job, [])
    assert _rows(panel.failure_form)["Note:"].endswith("will be retried.")
    assert panel.failure.title() == "Last check problem"


def test_success_with_structured_preview_and_report_without_key(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    snapshot = {
        "job_id": JOB,
        "status": "success",
        "result": {
            "request_id": "r-1",
            "status": "ok",
            "file": None,
            "preview": {"rows": 2},
            "warnings": ["cast"],
        },
    }
    job = WatchedJob(
        JOB, 0, 1.0, JobState.SUCCESS, label="march", snapshot=parsed(snapshot), http_status=200
    )
    panel.show_job(job, [HistoryEntry(JobState.SUCCESS, 2.0)])
    assert panel.result.isVisible() and not panel.failure.isVisible()
    assert json.loads(panel.preview.toPlainText()) == {"rows": 2}
    assert not panel.download_button.isEnabled()
    rows = _rows(panel.result_form)
    assert rows["Warnings:"] == "• cast" and rows["Request ID:"] == "r-1"  # fields as words
    report = panel.support_report()
    assert report is not None and JOB in report and "march" in report and SECRET not in report


def test_the_result_file_is_named_and_its_link_is_in_the_tooltip(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    url = "https://files.example/t0k3n/report%20march.csv?X-Amz-Signature=abc"
    snapshot = {"job_id": JOB, "status": "success", "result": {"file": url}}
    panel.show_job(WatchedJob(JOB, 0, 1.0, JobState.SUCCESS, snapshot=parsed(snapshot)), [])
    form = panel.result_form
    labels = {
        form.itemAt(r, form.ItemRole.LabelRole).widget().text(): form.itemAt(
            r, form.ItemRole.FieldRole
        ).widget()
        for r in range(form.rowCount())
    }
    assert labels["File:"].text() == "report march.csv"
    assert labels["File:"].toolTip() == url
    assert panel.download_button.isEnabled()


def test_the_preview_box_is_as_tall_as_its_text(qtbot: QtBot) -> None:
    panel = _panel(qtbot)

    def height(preview: object) -> int:
        snapshot = {"status": "success", "result": {"preview": preview}}
        panel.show_job(WatchedJob(JOB, 0, 1.0, JobState.SUCCESS, snapshot=parsed(snapshot)), [])
        return panel.preview.height()

    one, ten, huge = height("ok"), height({f"k{i}": i for i in range(8)}), height("x\n" * 500)
    assert one < ten < huge
    assert huge < panel.preview.fontMetrics().lineSpacing() * 20  # long ones scroll inside


def test_a_short_preview_needs_no_scroll_bar(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.resize(500, 700)
    panel.show()
    preview = {"name": "John", "age": 30}
    snapshot = {"status": "success", "result": {"preview": preview}}
    panel.show_job(WatchedJob(JOB, 0, 1.0, JobState.SUCCESS, snapshot=parsed(snapshot)), [])
    bar = panel.preview.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=2000)  # the 4 lines fit


def test_a_row_added_to_the_shown_job_gets_the_height_its_wrapped_text_needs(
    qtbot: QtBot,
) -> None:
    # A download finishes while its job is shown: "Saved as" joins the result rows. The scroll
    # area kept the body's old height, so the wrapped path was squeezed to one line, cut in half.
    panel = _panel(qtbot)
    panel.resize(390, 350)
    raw = {
        "job_id": JOB,
        "status": "success",
        "result": {
            "request_id": "77e835f5-46fb-50ae-b24f-a233353a2b47",
            "file": "https://files.example/apidatatools_convert_8d116ece.json",
            "preview": '{"invoice": "INV-2024-0042", "total": 1299.5, "currency": "EUR"}',
        },
    }
    job = WatchedJob(JOB, 0, time.time(), state=JobState.SUCCESS, snapshot=parsed(raw, JOB))
    history = [HistoryEntry(JobState.PENDING, time.time())]
    panel.show_job(job, history)
    qtbot.waitUntil(lambda: panel.result.isVisible())
    path = Path("/tmp/downloads-folder-with-a-long-name/apidatatools_convert_8d116ece.json")
    panel.saved_file = lambda job_id: SavedFile(job_id, path, 72, time.time())
    panel.show_job(job, history)
    saved = next(lab for lab in panel.result.findChildren(QLabel) if lab.text() == str(path))
    qtbot.waitUntil(saved.isVisible)
    assert saved.heightForWidth(saved.width()) > saved.fontMetrics().height()  # it wraps
    qtbot.waitUntil(lambda: saved.height() >= saved.heightForWidth(saved.width()), timeout=2000)

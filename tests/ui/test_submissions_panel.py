"""The submissions panel: a row per input with progress, Cancel while it runs, Show job after."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from jobmonitor.ui.submissions_panel import SubmissionsPanel, SubmitProgress, SubmitStage


def test_rows_follow_progress_and_offer_what_fits(qtbot: QtBot) -> None:
    panel = SubmissionsPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.empty.isVisible()
    start = SubmitProgress("1", "orders.json", "json-formatter-api", SubmitStage.PREPARING)
    panel.show_progress(start)
    row = panel.rows["1"]
    assert panel.empty.isHidden()
    assert not row.cancel.isHidden() and row.show_job.isHidden()
    assert row.bar.maximum() == 0  # busy while preparing
    panel.show_progress(
        SubmitProgress("1", "orders.json", "json-formatter-api", SubmitStage.UPLOADING, 512, 2048)
    )
    assert row.bar.value() == 250 and row.detail.text() == "512 B of 2.0 KiB uploaded"
    with qtbot.waitSignal(panel.cancel_requested) as cancel:
        row.cancel.click()
    assert cancel.args == ["1"]
    panel.show_progress(
        SubmitProgress(
            "1", "orders.json", "json-formatter-api", SubmitStage.ACCEPTED, job_id="job-1"
        )
    )
    assert row.cancel.isHidden() and not row.show_job.isHidden()
    assert row.detail.text() == "Job job-1"
    assert "orders.json to json-formatter-api: Submitted" in row.accessibleName()
    with qtbot.waitSignal(panel.show_job_requested) as shown:
        row.show_job.click()
    assert shown.args == ["job-1"]


def test_cancel_all_and_clear_finished(qtbot: QtBot) -> None:
    panel = SubmissionsPanel()
    qtbot.addWidget(panel)
    panel.show_progress(SubmitProgress("a", "a.csv", "t", SubmitStage.UPLOADING, 1, 10))
    panel.show_progress(SubmitProgress("b", "b.csv", "t", SubmitStage.FAILED, message="refused"))
    cancelled: list[str] = []
    panel.cancel_requested.connect(cancelled.append)
    panel.cancel_all.click()
    assert cancelled == ["a"]
    panel.clear_finished()
    assert list(panel.rows) == ["a"]

"""The details' "Submitted" box: input, tool and options, the linked jobs, Submit again."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.job_details import JobDetails
from jobmonitor.ui.submission_section import EXPIRED, EXPIRED_AGAIN

OLD, NEW = "job-old-1", "job-new-2"


def panel(qtbot: QtBot, records: dict[str, JobInput], expired: set[str]) -> JobDetails:
    details = JobDetails(base_url=lambda: "http://127.0.0.1:9")
    qtbot.addWidget(details)
    box = details.submission
    box.job_input = records.get
    box.resubmissions = lambda job_id: [
        r.job_id for r in records.values() if r.previous_job == job_id
    ]
    box.link_expired = expired.__contains__
    details.show()
    return details


def job(job_id: str) -> WatchedJob:
    return WatchedJob(job_id, 0, time.time(), JobState.FAILED)


def test_a_submitted_job_links_both_ways_and_offers_submit_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    source = tmp_path / "orders.json"
    records = {
        OLD: JobInput(
            OLD,
            path=source,
            tool="json-to-xml-api",
            options={"x-root-name": "orders"},
            submitted_at=1000.0,
        ),
        NEW: JobInput(
            NEW, path=source, tool="json-to-xml-api", previous_job=OLD, submitted_at=2000.0
        ),
    }
    details = panel(qtbot, records, set())
    box = details.submission
    details.show_job(job(OLD), [])
    assert box.isVisible() and box.title() == "Submitted"
    texts = [
        box.form.itemAt(r, box.form.ItemRole.FieldRole).widget().text()
        for r in range(box.form.rowCount())
    ]  # type: ignore[union-attr]
    assert texts[:3] == [str(source), "json-to-xml-api", "x-root-name: orders"]
    assert box.links.count() == 1 and box.again_button.isVisible() and box.expired.isHidden()
    with qtbot.waitSignal(box.show_job_requested) as shown:
        box.links.itemAt(0).widget().findChildren(type(box.again_button))[0].click()  # type: ignore[union-attr]
    assert shown.args == [NEW]
    with qtbot.waitSignal(box.submit_again_requested) as again:
        box.again_button.click()
    assert again.args == [OLD]
    details.show_job(job(NEW), [])
    label = box.links.itemAt(0).widget().findChildren(type(box.expired))[0]  # type: ignore[union-attr]
    assert label.text() == "Submitted again from:"


def test_expired_link_and_jobs_not_submitted_here(qtbot: QtBot, tmp_path: Path) -> None:
    records = {
        OLD: JobInput(OLD, path=tmp_path / "a.csv", tool="csv-to-json-api"),
        NEW: JobInput(NEW, path=tmp_path / "b.csv", attached=True),
    }
    details = panel(qtbot, records, {OLD, NEW})
    box = details.submission
    details.show_job(job(OLD), [])
    assert box.expired.isVisible() and box.expired.text() == EXPIRED_AGAIN
    details.show_job(job(NEW), [])
    assert box.title() == "Input (attached)" and not box.again_button.isVisible()
    assert box.expired.text() == EXPIRED
    details.show_job(job("job-unknown"), [])
    assert not box.isVisible()

"""The window's words: one name per state, field names as words, times that hold together,
a support report whose epoch is the second it prints, and Settings that speaks as Settings."""

from __future__ import annotations

import json
import time
from datetime import timedelta, timezone

from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.credentials.store import KeyLookup, KeyProblem, KeySource
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.core.watchlist.report import build_support_report
from jobmonitor.ui.job_details import JobDetails
from jobmonitor.ui.job_text import Category
from jobmonitor.ui.settings_form import key_status_text
from jobmonitor.ui.timefmt import absolute

JOB = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"


def test_the_success_chip_says_what_the_status_says() -> None:
    assert Category.SUCCESS.label == JobState.SUCCESS.label == "Succeeded"
    assert Category.FAILED.label == "Failed"


def test_a_time_never_wraps_inside_itself() -> None:
    text = absolute(1_764_621_729.6)
    assert "\u00a0UTC" in text and " UTC" not in text
    # at most one breakable space: before the UTC time in parentheses
    assert text.count(" ") <= 1


def test_the_report_epoch_is_the_second_it_prints() -> None:
    report = build_support_report(
        job_id=JOB,
        state=JobState.QUEUED,
        label=None,
        snapshot_raw=None,
        last_error_body=None,
        last_http_status=None,
        history=[("queued", 1_764_621_729.6)],
        app_version="1",
        base_url="http://127.0.0.1:9",
        local_tz=timezone(timedelta(hours=1)),
    )
    assert "20:42:09 UTC" in report and "[epoch 1764621729]" in report
    assert "1764621730" not in report


def test_settings_says_how_to_store_a_key_without_sending_people_to_settings() -> None:
    lookup = KeyLookup(
        None, KeySource.NONE, KeyProblem.NOT_STORED, "… Set one in Settings …", "https://a.test"
    )
    status, _placeholder = key_status_text(lookup, env_in_use=False)
    assert status == "No API key is stored for https://a.test yet: paste it above."
    assert "Settings" not in status


def test_failure_and_result_boxes_use_words_not_raw_keys(qtbot: QtBot) -> None:
    panel = JobDetails(base_url=lambda: "http://127.0.0.1:9")
    qtbot.addWidget(panel)
    snapshot = {
        "job_id": JOB,
        "status": "failed",
        "error": {
            "code": "INVALID_JSON",
            "message": "Unexpected token",
            "details": {"line": 14, "column": 3, "path": "$.items[2]", "limit_mb": 50},
        },
    }
    failed = WatchedJob(
        JOB,
        0,
        time.time(),
        JobState.FAILED,
        snapshot=JobSnapshot.from_wire(snapshot, requested_id=JOB),
    )
    panel.show_job(failed, [])
    form = panel.failure_form
    names = [
        form.itemAt(r, form.ItemRole.LabelRole).widget().text() for r in range(form.rowCount())
    ]
    assert names == ["Code:", "Message:", "Line:", "Column:", "Path:", "Limit MB:"]

    done = {"job_id": JOB, "status": "success", "result": {"status": "success", "preview": "{}"}}
    panel.show_job(
        WatchedJob(
            JOB,
            0,
            time.time(),
            JobState.SUCCESS,
            snapshot=JobSnapshot.from_wire(done, requested_id=JOB),
        ),
        [],
    )
    rows = panel.result_form
    labels = [
        rows.itemAt(r, rows.ItemRole.LabelRole).widget().text() for r in range(rows.rowCount())
    ]
    assert "Status:" not in labels  # "Succeeded" is in the header; no "Status: success" below
    assert json.loads(panel.preview.toPlainText()) == {}

"""The support report: every field support asks for, times in UTC and local, and never the key."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from datetime import timedelta, timezone

import pytest

from jobmonitor.core import redact
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.report import build_support_report

JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
KEY = "sk-RECOGNISABLE-7f3a9c1e5b2d"
ENV_KEY = "sk-FROM-ENVIRONMENT-44d1a0"
PLUS2 = timezone(timedelta(hours=2), "TESTZ")
CREATED = 1714567200.0  # 2024-05-01 12:40:00 UTC
FAILED_RAW = {
    "job_id": JOB,
    "status": "failed",
    "created_at": CREATED,
    "updated_at": CREATED + 60,
    "error": {
        "code": "INVALID_JSON",
        "message": "Unexpected token } in JSON",
        "details": {"line": 2, "column": 5, "hint": "check the trailing comma"},
    },
}


@pytest.fixture
def registered_key() -> Iterator[str]:
    redact.register_secret(KEY)
    yield KEY
    redact.forget_secret(KEY)


def _report(**overrides: object) -> str:
    args: dict[str, object] = {
        "job_id": JOB,
        "state": JobState.FAILED,
        "label": "invoice batch 7",
        "snapshot_raw": FAILED_RAW,
        "last_error_body": None,
        "last_http_status": 200,
        "history": [("queued", CREATED), ("processing", CREATED + 30), ("failed", CREATED + 60)],
        "app_version": "9.8.7",
        "base_url": "https://api.example.test",
        "last_checked": CREATED + 65,
        "local_tz": PLUS2,
    }
    args.update(overrides)
    return build_support_report(**args)  # type: ignore[arg-type]


def test_report_has_every_field_support_needs() -> None:
    text = _report()
    assert f"Job id:            {JOB}" in text
    assert "invoice batch 7" in text
    assert "Failed (failed)" in text
    assert "https://api.example.test" in text
    assert "Last HTTP status:  200" in text
    assert "9.8.7" in text
    assert platform.python_version() in text
    assert "PySide6" in text and "Qt 6." in text
    assert platform.system() in text


def test_times_are_in_utc_and_local() -> None:
    text = _report()
    created = next(line for line in text.splitlines() if "Created:" in line)
    assert "2024-05-01 12:40:00 UTC" in created
    assert "local 2024-05-01 14:40:00 TESTZ" in created
    checked = next(line for line in text.splitlines() if "Last checked:" in line)
    assert "12:41:05 UTC" in checked and "14:41:05" in checked
    history = text.split("Status history", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[0] for line in history] == ["queued", "processing", "failed"]
    assert "12:40:30 UTC" in history[1] and "local 2024-05-01 14:40:30" in history[1]


def test_error_json_is_complete_and_pretty() -> None:
    text = _report()
    block = text.split("Job error (from the job's failed status)\n", 1)[1].split("\n\n", 1)[0]
    assert json.loads(block) == FAILED_RAW["error"]
    assert '    "line": 2,' in block  # indented, one field a line
    raw_block = text.split("Last response from the API\n", 1)[1].split("\n\n", 1)[0]
    assert json.loads(raw_block) == FAILED_RAW


def test_error_answer_without_snapshot() -> None:
    body = {"status": "error", "error": "FORBIDDEN", "details": {"message": "not yours"}}
    text = _report(
        state=JobState.FORBIDDEN, snapshot_raw=None, last_error_body=body, last_http_status=403
    )
    block = text.split("Last error answer (HTTP 403)\n", 1)[1].split("\n\n", 1)[0]
    assert json.loads(block) == body
    assert "Created:           —" in text
    assert "Last response from the API" not in text


def test_no_error_and_no_history_say_so() -> None:
    raw = {"job_id": JOB, "status": "queued", "created_at": CREATED}
    text = _report(state="queued", snapshot_raw=raw, history=[], last_checked=None)
    assert "(no transitions recorded)" in text
    assert "Error\n  (none)" in text
    assert "Last checked:      —" in text


def test_unknown_state_and_odd_times_do_not_crash() -> None:
    raw = {"status": "paused-by-ops", "created_at": "soon", "updated_at": 1e300}
    text = _report(state="paused-by-ops", snapshot_raw=raw, history=[("weird", float("nan"))])
    assert "paused-by-ops" in text
    assert "not a valid time" in text


def test_never_the_key(monkeypatch: pytest.MonkeyPatch, registered_key: str) -> None:
    monkeypatch.setenv("JOBMONITOR_API_KEY", ENV_KEY)
    # The key in every neighbouring input a careless caller might pass along.
    raw = dict(FAILED_RAW, echoed_headers={"x-api-key": registered_key}, note=ENV_KEY)
    body = {"status": "error", "error": "UNAUTHORIZED", "details": {"message": registered_key}}
    text = _report(
        snapshot_raw=raw,
        last_error_body=body,
        label=f"label {ENV_KEY}",
        base_url=f"https://user:{registered_key}@api.example.test/?api_key={registered_key}",
    )
    assert registered_key not in text
    assert ENV_KEY not in text
    assert "[redacted]" in text
    assert "https://api.example.test" in text  # the URL survives without its user info


def test_extra_secrets_are_removed() -> None:
    other = "one-off-secret-value"
    text = _report(label=other, secrets=[other])
    assert other not in text

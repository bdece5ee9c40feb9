"""The one place the wire format is parsed: odd but possible payloads never crash it."""

from __future__ import annotations

from typing import Any

import pytest

from jobmonitor.api import JobStatus
from jobmonitor.api.models import JobError, JobSnapshot, clamp_retry_after

REQUESTED = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def snap(**data: Any) -> JobSnapshot:
    return JobSnapshot.from_wire(data, requested_id=REQUESTED)


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        ("queued", JobStatus.QUEUED),
        (" SUCCESS ", JobStatus.SUCCESS),
        ("Failed", JobStatus.FAILED),
        ("cancelled", JobStatus.UNKNOWN),
        (3, JobStatus.UNKNOWN),
        (None, JobStatus.UNKNOWN),
        ("unknown", JobStatus.UNKNOWN),
    ],
)
def test_status_tolerates_anything(wire: object, status: JobStatus) -> None:
    assert snap(status=wire).status is status


def test_unknown_status_keeps_its_text_and_is_not_terminal() -> None:
    s = snap(status="paused", retry_after="7")
    assert (s.raw_status, s.terminal, s.retry_after, s.poll_interval) == ("paused", False, 7.0, 7.0)


def test_missing_job_id_falls_back_to_the_requested_one_lower_case() -> None:
    assert snap(status="queued").job_id == REQUESTED
    assert snap(status="queued", job_id=REQUESTED.upper()).job_id == REQUESTED


@pytest.mark.parametrize("value", ["nan", "inf", True, [], {}, "soon"])
def test_bad_numbers_are_none(value: object) -> None:
    s = snap(status="queued", created_at=value, updated_at=value, retry_after=value)
    assert (s.created_at, s.updated_at, s.retry_after) == (None, None, None)
    assert s.poll_interval == 5.0


def test_result_with_structured_preview_and_extras() -> None:
    s = snap(status="success", result={"file": 5, "preview": {"a": [1]}, "rows": 1})
    assert s.result is not None
    assert s.result.file == "5"
    assert s.result.preview == '{\n  "a": [\n    1\n  ]\n}'
    assert dict(s.result.extra) == {"rows": 1}
    assert snap(status="success", result="done").result is None


@pytest.mark.parametrize(
    ("error", "code", "message", "line", "details"),
    [
        ("boom", "UNKNOWN_ERROR", "boom", None, {}),
        ({"code": "X"}, "X", "", None, {}),
        ({"code": "X", "details": "at end"}, "X", "", None, {"details": "at end"}),
        ({"details": {"line": "12", "column": 3.0}}, "UNKNOWN_ERROR", "", 12, None),
        ({"details": {"line": True}}, "UNKNOWN_ERROR", "", None, None),
    ],
)
def test_error_shapes(
    error: object, code: str, message: str, line: int | None, details: dict[str, Any] | None
) -> None:
    err = JobError.from_wire(error)
    assert (err.code, err.message, err.line) == (code, message, line)
    if details is not None:
        assert dict(err.details) == details


def test_raw_is_read_only_and_raw_dict_a_copy() -> None:
    s = snap(status="failed", error={"code": "X", "details": {"line": 1}})
    with pytest.raises(TypeError):
        s.raw["status"] = "success"  # type: ignore[index]
    copy = s.raw_dict()
    copy["error"]["code"] = "Y"
    assert s.raw["error"]["code"] == "X"


@pytest.mark.parametrize(
    ("value", "bounded"),
    [(None, 5.0), (0.0, 5.0), (-1.0, 5.0), (float("nan"), 5.0), (0.2, 1.0), (1e6, 600.0)],
)
def test_clamp_retry_after(value: float | None, bounded: float) -> None:
    assert clamp_retry_after(value) == bounded

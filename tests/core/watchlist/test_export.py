"""The watch list as CSV: every column, formulas defused, UTF-8 for spreadsheets, atomic writes."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist import export
from jobmonitor.core.watchlist.export import COLUMNS, write_csv
from jobmonitor.core.watchlist.records import WatchedJob


def parsed(raw: dict[str, object], job_id: str = "job") -> JobSnapshot:
    """A stored answer as the watch list holds it: parsed by the one wire parser."""
    return JobSnapshot.from_wire(raw, requested_id=job_id)


OK = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
BAD = "b1b2c3d4-e5f6-7890-abcd-ef1234567890"
GONE = "c1b2c3d4-e5f6-7890-abcd-ef1234567890"

JOBS = [
    WatchedJob(
        OK,
        0,
        1000.0,
        state=JobState.SUCCESS,
        label='nightly, "big" import',
        snapshot=parsed({"status": "success", "result": {"file": "https://files.example/r.csv"}}),
        created_at=1_700_000_000.0,
        updated_at=1_700_000_060.5,
        last_checked=1_700_000_061.0,
    ),
    WatchedJob(
        BAD,
        1,
        1000.0,
        state=JobState.FAILED,
        label='=HYPERLINK("http://evil")',
        snapshot=parsed(
            {
                "status": "failed",
                "error": {
                    "code": "INVALID_JSON",
                    "message": "-1 is not a value: ünïcode ✓",
                    "details": {"line": 14, "column": 3},
                },
            }
        ),
        error_code="INVALID_JSON",
        http_status=200,
    ),
    WatchedJob(
        GONE,
        2,
        1000.0,
        state=JobState.NOT_FOUND,
        error_body={"status": "error", "error": "JOB_NOT_FOUND", "details": {"message": "gone"}},
        error_code="JOB_NOT_FOUND",
        http_status=404,
    ),
]


def _read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 mark spreadsheet apps look for
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def test_every_job_with_its_status_failure_times_and_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"  # beside the test's own home folder
    tmp_path.mkdir()
    out = tmp_path / "jobs.csv"
    saved = {OK: tmp_path / "r.csv"}
    n = write_csv(out, JOBS, status_text=lambda j: j.state.label, saved_as=saved.get)
    assert n == 3
    ok, bad, gone = _read(out)
    assert ok["job_id"] == OK and ok["label"] == 'nightly, "big" import'
    assert ok["status"] == "success" and ok["status_text"] == JobState.SUCCESS.label
    assert ok["created_utc"] == "2023-11-14T22:13:20Z"
    assert (
        ok["updated_utc"] == "2023-11-14T22:14:20Z"
        and ok["last_checked_utc"] == "2023-11-14T22:14:21Z"
    )
    assert ok["result_file_url"] == "https://files.example/r.csv"
    assert ok["saved_as"] == str(tmp_path / "r.csv") and ok["error_code"] == ""
    assert (bad["error_code"], bad["line"], bad["column"]) == ("INVALID_JSON", "14", "3")
    # Text a spreadsheet would run as a formula is kept as text.
    assert bad["label"] == '\'=HYPERLINK("http://evil")'
    assert bad["error_message"] == "'-1 is not a value: ünïcode ✓"
    assert bad["result_file_url"] == "" and bad["created_utc"] == ""
    assert (gone["status"], gone["error_code"], gone["error_message"]) == (
        "not_found",
        "JOB_NOT_FOUND",
        "gone",
    )
    assert gone["http_status"] == "404"
    assert [p.name for p in tmp_path.iterdir()] == ["jobs.csv"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"  # beside the test's own home folder
    tmp_path.mkdir()
    out = tmp_path / "jobs.csv"
    out.write_text("the old export\n", encoding="utf-8")

    def broken(job: WatchedJob) -> str:
        if job.job_id == GONE:
            raise OSError(28, "No space left on device")
        return job.state.label

    with pytest.raises(OSError, match="No space left"):
        write_csv(out, JOBS, status_text=broken)
    assert out.read_text(encoding="utf-8") == "the old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["jobs.csv"]
    with pytest.raises(FileNotFoundError):
        write_csv(tmp_path / "no-such-folder" / "jobs.csv", JOBS, status_text=str)


def test_a_worker_thread_writing_pauses_every_step_of_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pause is where a worker thread sleeps, so that the GUI thread gets the interpreter.
    monkeypatch.setattr(export, "STEP_ROWS", 2)
    jobs = [replace(JOBS[0], job_id=f"{i:08x}-0000-4000-8000-{i:012x}") for i in range(7)]
    pauses: list[None] = []
    out = tmp_path / "jobs.csv"
    assert write_csv(out, jobs, status_text=str, pause=lambda: pauses.append(None)) == 7
    assert len(pauses) == 3  # after rows 2, 4 and 6
    assert [r["job_id"] for r in _read(out)] == [j.job_id for j in jobs]

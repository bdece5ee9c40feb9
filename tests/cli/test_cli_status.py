"""`jobmonitor status` against the simulator: --json, exit codes, summaries, nothing sent for bad ids."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from apihelpers import KEY, WRONG_KEY

from jobmonitor.__main__ import main
from jobmonitor.sim import SimServer, SimWorld
from jobmonitor.sim.jobs import error_body


@pytest.fixture
def world() -> SimWorld:  # the real clock: the CLI prints local times of now
    world = SimWorld(seed=9)
    world.add_key(KEY)
    return world


@pytest.fixture
def url(world: SimWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)
    with SimServer(world) as server:
        yield server.api_url


def cli_error(job_id: str, http_status: int, said_by: str = "server") -> dict[str, object]:
    """The command line's one JSON error shape, from the simulator's error body."""
    body = error_body(http_status)
    return {
        "status": "error",
        "job_id": job_id,
        "error": {
            "code": body["error"],
            "message": body["details"]["message"],
            "details": {},
            "http_status": http_status,
            "said_by": said_by,
        },
    }


def status(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["status", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("outcome", ["success", "failed"])
def test_json_of_a_settled_job_exits_0(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str, outcome: str
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0, outcome=outcome)
    code, out, _ = status(capsys, job, "--base-url", url, "--json")
    assert code == 0
    assert json.loads(out) == world.handle("jobs", KEY, job).body
    assert out.count("\n") == 1  # one JSON object on one line


def test_json_of_a_running_job_exits_0(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str
) -> None:
    job = world.add_job(KEY, queued_for=60)
    code, out, _ = status(capsys, job.upper(), "--base-url", url, "--json")
    assert code == 0 and json.loads(out)["status"] == "queued"


@pytest.mark.parametrize(
    ("owner", "delete", "http_status"),
    [("someone-else", False, 403), (KEY, True, 404)],
)
def test_json_of_an_api_error_exits_1(
    capsys: pytest.CaptureFixture[str],
    world: SimWorld,
    url: str,
    owner: str,
    delete: bool,
    http_status: int,
) -> None:
    job = world.add_job(owner)
    if delete:
        world.delete_job(job)
    code, out, _ = status(capsys, job, "--base-url", url, "--json")
    assert code == 1 and json.loads(out) == cli_error(job, http_status)


def test_wrong_key_exits_2_like_watch_and_download_and_is_never_echoed(
    capsys: pytest.CaptureFixture[str],
    world: SimWorld,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBMONITOR_API_KEY", WRONG_KEY)
    job = world.add_job(KEY)
    for extra in (["--json"], []):
        code, out, err = status(capsys, job, "--base-url", url, *extra)
        assert code == 2 and WRONG_KEY not in out + err
        assert "UNAUTHORIZED" in out + err
    assert json.loads(status(capsys, job, "--base-url", url, "--json")[1]) == cli_error(job, 401)


@pytest.mark.parametrize("bad", ["12.34", "a1b2c3d4-e5f6-7890-abcd-ef123456789g", "{}", "job/1"])
def test_malformed_id_exits_2_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str, bad: str
) -> None:
    code, out, err = status(capsys, bad, "--base-url", url, "--json")
    assert code == 2 and "invalid job id" in err
    refused = json.loads(out)  # --json says it in the same shape, concluded by the client
    assert refused["job_id"] == bad and refused["error"]["code"] == "INVALID_JOB_ID"
    assert refused["error"]["said_by"] == "client" and refused["error"]["http_status"] is None
    assert world.stats.requests == 0


def test_plain_http_to_a_remote_host_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = status(
        capsys, "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "--base-url", "http://example.com"
    )
    assert code == 2 and "HTTPS" in err


def test_readable_summary_of_a_failed_job(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str
) -> None:
    job = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0,
        outcome="failed",
        error_details={"line": 12, "column": 4, "path": "$.a"},
    )
    code, out, _ = status(capsys, job, "--base-url", url)
    assert code == 0
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert lines["status"].strip() == "failed"
    assert lines["error"].strip() == "INVALID_JSON: JSON validation failed."
    assert (lines["line"].strip(), lines["column"].strip()) == ("12", "4")
    assert lines["path"].strip() == '"$.a"'
    assert "created" in lines and "updated" in lines


def test_readable_summary_of_a_success(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    code, out, _ = status(capsys, job, "--base-url", url)
    assert code == 0
    assert f"file: {world.file_url(job)}" in " ".join(out.split())
    assert "preview:" in out and '"name": "John"' in out


def test_unreachable_exits_1(
    capsys: pytest.CaptureFixture[str], world: SimWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)
    with SimServer(world) as server:
        url = server.api_url
    job = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    code, _, err = status(capsys, job, "--base-url", url)
    # said as what it is, the client's conclusion, never as if the server had answered
    assert code == 1 and err.startswith(f"jobmonitor: {job}: cannot connect to the API")
    assert "UNREACHABLE" not in err and "answered" not in err
    code, out, _ = status(capsys, job, "--base-url", url, "--json")
    error = json.loads(out)["error"]
    assert (code, error["code"], error["said_by"], error["http_status"]) == (
        1,
        "UNREACHABLE",
        "client",
        None,
    )


def test_route_fallback_is_remembered_between_runs(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str
) -> None:
    world.faults.routes = "status-api"
    job = world.add_job(KEY)
    assert status(capsys, job, "--base-url", url, "--json")[0] == 0
    assert world.stats.by_route == {"jobs": 1, "status-api": 1}
    assert status(capsys, job, "--base-url", url, "--json")[0] == 0
    assert world.stats.by_route == {"jobs": 1, "status-api": 2}


def test_server_text_cannot_drive_the_terminal(
    capsys: pytest.CaptureFixture[str], world: SimWorld, url: str
) -> None:
    hostile = "bad\x1b[2J\x1b]0;pwned\x07 json\rFAKE: all good\nstatus: success"
    job = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0,
        outcome="failed",
        error_message=hostile,
        error_details={"line": 1, "\x1b[31mkey": "\x9bvalue"},
    )
    code, out, _ = status(capsys, job, "--base-url", url)
    assert code == 0  # the API answered (the job's failure is shown, not an exit code)
    assert not any(ch in out for ch in "\x1b\x07\r\x9b")  # no escape reaches the terminal
    assert "bad\\x1b[2J\\x1b]0;pwned\\x07 json\\x0dFAKE: all good status: success" in out
    assert "\\x1b[31mkey" in out
    code, out, _ = status(capsys, job, "--base-url", url, "--json")
    assert json.loads(out)["error"]["message"] == hostile  # --json keeps the exact text

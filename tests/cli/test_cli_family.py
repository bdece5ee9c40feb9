"""The command line as one family (issue 17): ``download`` does not fetch again a file it (or the
app) saved and says so, and ``download --json`` speaks the one JSON error shape of the others."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobmonitor.cli import run_cli
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.records import SavedFile
from jobmonitor.core.watchlist.saved_files import watch_list_path
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "cli-family-key-0123456789"


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimServer]:
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)
    with SimServer(SimWorld()) as server:
        yield server


def finished(sim: SimServer, **kwargs: object) -> str:
    return sim.world.add_job(KEY, queued_for=0, processing_for=0, **kwargs)  # type: ignore[arg-type]


def download(
    sim: SimServer, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    code = run_cli(["download", "--base-url", sim.api_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_saved_before_is_not_fetched_again_and_the_app_knows_of_it(
    sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = finished(sim)
    folder = tmp_path / "out"
    code, out, err = download(sim, capsys, "-o", str(folder), job)
    assert (code, err) == (0, "")
    saved = Path(out.strip())
    file_requests = sim.world.stats.file_requests
    status_requests = sim.world.stats.requests

    code, out, err = download(sim, capsys, "-o", str(folder), job)
    assert code == 0 and Path(out.strip()) == saved  # the path, for scripts, as before
    assert err == f"jobmonitor: {job}: already saved, not fetched again\n"
    assert sim.world.stats.file_requests == file_requests  # nothing fetched again,
    assert sim.world.stats.requests == status_requests  # not even the job asked about
    assert sorted(p.name for p in folder.iterdir()) == [saved.name]  # no "name (1).json"

    store = JobStore(watch_list_path())  # the app's own record: it will not fetch it either
    try:
        assert store.load_saved()[job].path == saved.resolve()
    finally:
        store.close()


def test_a_saved_file_that_changed_or_another_folder_is_fetched_again(
    sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = finished(sim)
    first = Path(download(sim, capsys, "-o", str(tmp_path), job)[1].strip())
    first.write_bytes(first.read_bytes()[:-1])  # cut short: no longer the file as saved
    code, out, err = download(sim, capsys, "-o", str(tmp_path), job)
    assert (code, err) == (0, "") and Path(out.strip()) != first  # saved anew, beside it
    elsewhere = tmp_path / "elsewhere"
    code, out, err = download(sim, capsys, "-o", str(elsewhere), job)
    assert (code, err) == (0, "") and Path(out.strip()).parent == elsewhere


def test_a_file_the_app_saved_is_not_fetched_again(
    sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = finished(sim)
    mine = tmp_path / "result.json"
    mine.write_text("{}", encoding="utf-8")
    store = JobStore(watch_list_path())
    try:
        store.record_saved(SavedFile(job, mine, 2, 0.0))
    finally:
        store.close()
    code, out, err = download(sim, capsys, "-o", str(tmp_path), job, "--json")
    assert code == 0 and "already saved" not in err  # --json: only JSON, on stdout
    assert json.loads(out) == {"status": "already_saved", "job_id": job, "path": str(mine)}
    assert sim.world.stats.requests == 0


def test_download_json_uses_the_one_error_shape(
    sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = finished(sim)
    failed = finished(sim, outcome="failed")
    foreign = sim.world.add_job("someone-else")
    code, out, err = download(sim, capsys, "-o", str(tmp_path), "--json", ok, failed, foreign)
    assert code == 1 and err == ""
    records = {r["job_id"]: r for r in map(json.loads, out.splitlines())}
    assert records[ok]["status"] == "saved" and Path(records[ok]["path"]).is_file()
    assert records[failed] == {
        "status": "error",
        "job_id": failed,
        "error": {
            "code": "NOT_SUCCEEDED",
            "message": "the job has not succeeded (status: failed)",
            "details": {},
            "http_status": None,
            "said_by": "client",
        },
    }
    assert records[foreign]["error"] == {
        "code": "FORBIDDEN",
        "message": "Access denied",
        "details": {},
        "http_status": 403,
        "said_by": "server",
    }
    code, out, _ = download(sim, capsys, "--json", "no/such")
    assert code == 2 and json.loads(out)["error"]["code"] == "INVALID_JOB_ID"


@pytest.mark.parametrize(
    "command",
    [
        ["status", "--json"],
        ["watch", "--json"],
        ["download", "--json", "-o", "OUT"],
    ],
)
def test_json_mode_says_a_missing_key_and_a_bad_id_once_on_stdout(
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Without a key the command stops before any request: a script reading --json output
    # got nothing on stdout, only a sentence on stderr. (No key is stored for this origin, in
    # the tests' private keyring or, without one, in none.)
    argv = [a.replace("OUT", str(tmp_path)) for a in command]
    job = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    code = run_cli([*argv, "--base-url", "http://127.0.0.1:9", job])
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    record = json.loads(line)
    assert code == 2 and record["status"] == "error"
    assert record["error"]["code"] == "NO_API_KEY" and record["error"]["said_by"] == "client"
    assert err.startswith("jobmonitor: no API key")
    # A bad id, which the command reports in JSON itself, is not said twice.
    code = run_cli([*argv, "--base-url", "http://127.0.0.1:9", "not an id!"])
    out, err = capsys.readouterr()
    assert code == 2 and len(out.splitlines()) == 1
    assert json.loads(out)["error"]["code"] == "INVALID_JOB_ID"

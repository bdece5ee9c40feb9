"""``jobmonitor download`` end to end: the simulator on loopback sockets, the real command."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from jobmonitor.cli import run_cli
from jobmonitor.cli.download_cmd import ProgressLine
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState, format_eta
from jobmonitor.sim.files import content_slice
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "cli-download-key-0123456789"


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(SimWorld()) as server:
        yield server


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)


def finished(world: SimWorld, **kwargs: object) -> str:
    return world.add_job(KEY, queued_for=0, processing_for=0, **kwargs)  # type: ignore[arg-type]


def file_bytes(world: SimWorld, job_id: str) -> bytes:
    _, _, token, name = urlsplit(world.file_url(job_id)).path.split("/", 3)
    spec = world.resolve_file(token, unquote(name)).file
    assert spec is not None
    return content_slice(spec)


def test_saves_every_file_and_prints_the_paths(
    sim: SimServer, keyed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = sim.world
    small = finished(world)
    big = finished(world, file_size=2 * 1024 * 1024 + 3, file_name="data.bin")
    world.file_faults.cut_after = 1024 * 1024  # one cut on the way: resumed without a word
    out_dir = tmp_path / "out"
    code = run_cli(["download", "--base-url", sim.api_url, "--output", str(out_dir), small, big])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""  # not a terminal: no progress bar, nothing else
    paths = sorted(Path(line) for line in captured.out.splitlines())
    assert paths == sorted(
        [out_dir / f"apidatatools_convert_{small[:8]}.json", out_dir / "data.bin"]
    )
    assert (out_dir / "data.bin").read_bytes() == file_bytes(world, big)
    assert KEY not in captured.out + captured.err


def test_exit_1_when_a_job_has_no_file_yet_but_the_others_are_saved(
    sim: SimServer, keyed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = sim.world
    ok = finished(world)
    failed = finished(world, outcome="failed")
    queued = world.add_job(KEY, queued_for=600)
    foreign = world.add_job("someone-else-key-000000", queued_for=0, processing_for=0)
    base = ["download", "--base-url", sim.api_url, "-o", str(tmp_path / "o")]
    code = run_cli([*base, ok, failed, queued, foreign])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.strip() == str(tmp_path / "o" / f"apidatatools_convert_{ok[:8]}.json")
    assert f"{failed}: the job has not succeeded (status: failed)" in captured.err
    assert f"{queued}: the job has not succeeded (status: queued)" in captured.err
    assert f"jobmonitor: {foreign}: the API answered HTTP 403 FORBIDDEN" in captured.err


def test_exit_2_for_a_malformed_id_or_a_missing_or_rejected_key(
    sim: SimServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = finished(sim.world)
    base = ["download", "--base-url", sim.api_url, "-o", str(tmp_path)]
    assert run_cli([*base, job]) == 2  # no key anywhere (the test keyring is empty)
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)
    assert run_cli([*base, job, "not.a.job.id"]) == 2
    assert sim.world.stats.requests == 0  # refused before asking anything
    monkeypatch.setenv("JOBMONITOR_API_KEY", "wrong-key-0123456789")
    assert run_cli([*base, job]) == 2
    err = capsys.readouterr().err
    assert "not.a.job.id" in err and "UNAUTHORIZED" in err
    assert "wrong-key" not in err
    assert run_cli(["download"]) == 2  # no JOB_ID: argparse usage error


def test_a_terminal_gets_a_progress_bar_on_stderr(sim: SimServer, tmp_path: Path) -> None:
    job = finished(sim.world, file_size=8 * 1024 * 1024, file_name="big.bin")
    main, child = pty.openpty()
    env = dict(os.environ, JOBMONITOR_API_KEY=KEY, COLUMNS="100")
    argv = [sys.executable, "-m", "jobmonitor", "download", "--base-url", sim.api_url]
    proc = subprocess.Popen(
        [*argv, "-o", str(tmp_path), job],
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=30)
    os.close(main)
    assert proc.returncode == 0, seen
    assert out.decode().strip() == str(tmp_path / "big.bin")
    assert b"\r" in seen and b"1/1 files" in seen and b"MB" in seen
    assert seen.endswith(b"\r\x1b[K")  # the bar is wiped at the end
    assert KEY.encode() not in seen


def test_progress_line_rendering() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    line.update(
        DownloadProgress("a", DownloadState.SAVING, 500_000, 1_000_000, 100_000.0, 5.0, None, "")
    )
    line.update(
        DownloadProgress("b", DownloadState.DONE, 1_000_000, 1_000_000, None, None, None, "")
    )
    text = line.render(80)
    assert text.startswith("1/2 files  1.5 MB of 2.0 MB  100.0 KB/s  5 s left  [")
    assert text.endswith("] 75%") and len(text) < 80
    assert stream.getvalue().startswith("\r0/1 files  500.0 KB of 1.0 MB")
    line.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    assert format_eta(75) == "1 min 15 s" and format_eta(7300) == "2 h 01 min"


def test_a_transient_failure_of_the_job_look_up_is_tried_again(
    sim: SimServer,
    keyed: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobmonitor.cli import download_cmd

    monkeypatch.setattr(download_cmd, "LOOKUP_BACKOFF", 0.01)
    world = sim.world
    job = finished(world)
    world.faults.fail_next = 2  # the first two answers are 500s
    code = run_cli(["download", "--base-url", sim.api_url, "--output", str(tmp_path), job])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.count("trying again") == 2 and "Traceback" not in captured.err
    assert Path(captured.out.strip()).read_bytes() == file_bytes(world, job)

    world.faults.fail_next = 10  # more than it tries: said once, exit 1 (another folder: the
    again = tmp_path / "again"  # file saved into tmp_path would not be fetched again)
    code = run_cli(["download", "--base-url", sim.api_url, "--output", str(again), job])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.strip().splitlines()[-1].startswith(f"jobmonitor: {job}: ")

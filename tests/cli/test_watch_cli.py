"""``jobmonitor watch`` end to end: real processes, the simulator on a loopback socket.

Every run's output is searched for the key and for tracebacks: neither may ever appear.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "live-Wt4Qn8Zr2Lp6Hx1Vb9Kd"
NO_KEYRING = "keyring.backends.fail.Keyring"  # never the user's keyring


@dataclass
class Run:
    code: int
    out: str
    err: str


def env_for(key: str | None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "JOBMONITOR_API_KEY"}
    environ["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    if key is not None:
        environ["JOBMONITOR_API_KEY"] = key
    return environ


def check_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert "Traceback" not in text, text


def watch(*args: str, stdin: str = "", key: str | None = KEY) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "jobmonitor", "watch", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(key),
        timeout=60,
    )
    check_clean(proc.stdout, proc.stderr)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    world = SimWorld(seed=5)
    world.add_key(KEY)
    world.add_key("someone-else")
    with SimServer(world) as server:
        yield server


def quick_job(sim: SimServer, **kwargs: object) -> str:
    params: dict[str, object] = {"queued_for": 0.3, "processing_for": 0.7, "retry_after": 1}
    params.update(kwargs)
    return sim.world.add_job(KEY, **params)  # type: ignore[arg-type]


def test_json_lines_per_state_change_and_exit_0_when_all_succeed(sim: SimServer) -> None:
    jobs = [quick_job(sim), quick_job(sim, processing_for=1.5)]
    run = watch("--base-url", sim.api_url, "--json", "--exit-status", *jobs)
    assert run.code == 0, run.err
    records = [json.loads(line) for line in run.out.splitlines()]
    for job in jobs:
        mine = [r for r in records if r["job_id"] == job]
        assert mine[-1]["status"] == "success"
        assert mine[-1]["result"]["file"].startswith(sim.files_url)
        assert all(isinstance(r["observed_at"], float) for r in mine)
        assert [r["status"] for r in mine] == sorted(
            {r["status"] for r in mine}, key=["queued", "processing", "success"].index
        )  # one line per change, in order


def test_failed_and_refused_jobs_exit_1_with_their_errors(sim: SimServer) -> None:
    failed = quick_job(sim, outcome="failed")
    foreign = sim.world.add_job("someone-else")
    missing = str(uuid.uuid4())
    run = watch("--base-url", sim.api_url, "--json", failed, foreign, missing.upper())
    assert run.code == 1, run.err
    last = {r["job_id"]: r for r in map(json.loads, run.out.splitlines())}
    assert last[failed]["status"] == "failed"
    # one error shape for a failed job and a refused one (the command line's, cli/common.py)
    assert last[failed]["error"] == {
        "code": "INVALID_JSON",
        "message": "JSON validation failed.",
        "details": {"line": 2, "column": 5},
        "http_status": 200,
        "said_by": "server",
    }
    assert last[foreign]["status"] == "forbidden"
    assert last[foreign]["error"] == {
        "code": "FORBIDDEN",
        "message": "Access denied",
        "details": {},
        "http_status": 403,
        "said_by": "server",
    }
    assert last[missing]["status"] == "not_found"
    assert last[missing]["error"]["code"] == "JOB_NOT_FOUND"


def test_ids_from_stdin_and_plain_lines_when_not_a_terminal(sim: SimServer) -> None:
    jobs = [quick_job(sim) for _ in range(3)]
    run = watch("--base-url", sim.api_url, "-", stdin=" , ".join(jobs) + "\n" + jobs[0])
    assert run.code == 0, run.err
    assert "\x1b[" not in run.out
    done = [line for line in run.out.splitlines() if "Succeeded" in line]
    assert sorted(line.split()[1] for line in done) == sorted(jobs)


def test_usage_and_key_errors_exit_2_and_send_nothing(sim: SimServer) -> None:
    job = quick_job(sim)
    bad = watch("--base-url", sim.api_url, job, "not.a.job")
    assert bad.code == 2 and "not.a.job" in bad.err
    nokey = watch("--base-url", sim.api_url, job, key=None)
    assert nokey.code == 2 and nokey.err
    zero = watch("--base-url", sim.api_url, "--rate-limit", "0", job)
    assert zero.code == 2
    assert sim.world.stats.requests == 0
    wrong = watch("--base-url", sim.api_url, job, key="live-not-the-key-000")
    assert wrong.code == 2 and "401" in wrong.err
    assert "live-not-the-key-000" not in wrong.err + wrong.out


def test_ctrl_c_exits_130(sim: SimServer) -> None:
    job = quick_job(sim, processing_for=600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobmonitor", "watch", "--base-url", sim.api_url, "--json", job],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(KEY),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # it is watching
    assert json.loads(first)["job_id"] == job
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    check_clean(out, err)
    assert proc.returncode == 130


def test_live_table_on_a_terminal(sim: SimServer) -> None:
    jobs = [quick_job(sim), quick_job(sim, outcome="failed")]
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobmonitor", "watch", "--base-url", sim.api_url, *jobs],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env_for(KEY),
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=10) == 1
    screen = b"".join(chunks).decode("utf-8", "replace")
    check_clean(screen)
    assert "\x1b[2K" in screen and "\x1b[" in screen.split("JOB", 2)[-1]  # redrawn in place
    final = screen.rsplit("JOB", 1)[-1]
    assert "2 of 2 finished" in final
    assert "success" in final and "failed" in final and "INVALID_JSON" in final


@pytest.mark.parametrize("wrong", ["file origin", "redirect elsewhere"])
def test_a_base_url_that_is_no_status_api_ends_the_watch(sim: SimServer, wrong: str) -> None:
    job = quick_job(sim)
    if wrong == "file origin":  # a server that answers, but has no Status API routes
        base = sim.files_url
    else:  # every answer a redirect to another origin: the key is never taken there
        base = sim.api_url
        sim.world.faults.redirect_to = sim.files_url
    started = time.monotonic()
    run = watch("--base-url", base, job)
    assert run.code == 2, run.err
    assert f"jobmonitor: {base} does not answer like the Status API" in run.err
    assert run.err.rstrip().endswith("check --base-url")
    assert time.monotonic() - started < 30  # said and ended, not retried forever


def test_timeout_gives_up_with_exit_1_and_says_so(sim: SimServer) -> None:
    done = quick_job(sim, queued_for=0, processing_for=0)  # finished at its first poll
    slow = quick_job(sim, processing_for=600)
    run = watch("--base-url", sim.api_url, "--timeout", "3", "--json", done, slow)
    assert run.code == 1
    assert run.err.strip().splitlines()[-1] == (
        "jobmonitor: timed out after 3 s before every job finished"
    )
    last = {r["job_id"]: r["status"] for r in map(json.loads, run.out.splitlines())}
    assert last[done] == "success" and last.get(slow) != "success"
    bad = watch("--base-url", sim.api_url, "--timeout", "0", done)
    assert bad.code == 2 and "--timeout must be a positive number" in bad.err


def test_lines_show_a_server_refusal_as_its_answer(sim: SimServer) -> None:
    foreign = sim.world.add_job("someone-else")
    run = watch("--base-url", sim.api_url, foreign)
    assert run.code == 1
    (line,) = run.out.splitlines()
    assert line.endswith(
        f"{foreign}  Forbidden (another account's job)  the API answered HTTP 403 FORBIDDEN: "
        "Access denied "
        "(the job belongs to another account)"
    )

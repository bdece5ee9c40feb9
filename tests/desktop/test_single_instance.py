"""One instance per user and data folder, with two real processes: a second launch hands its ids
and files to the running window and exits 0; a killed instance's lock is recovered."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobmonitor.core.paths import data_dir
from jobmonitor.desktop.instance import (
    ForwardFailed,
    InstanceLock,
    Launch,
    forward,
    server_name,
)
from jobmonitor.desktop.launches import split_launch_args

JOB_A = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
JOB_B = "b1b2c3d4-e5f6-4890-abcd-ef1234567890"
JOB_C = "c1b2c3d4-e5f6-4890-abcd-ef1234567890"
START_S = 60.0  # a loaded 2-core CI machine may take many seconds to import Qt


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    runtime = Path("/tmp") / f"jm-rt-{os.getpid()}-{tmp_path.name[-12:]}"  # short: a socket path
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", JOBMONITOR_BASE_URL="http://127.0.0.1:9")
    env.pop("JOBMONITOR_EXIT_AFTER_SHOWN", None)
    yield env
    for leftover in runtime.iterdir():
        leftover.unlink()
    runtime.rmdir()


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobmonitor", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_listening(proc: subprocess.Popen[str], folder: Path) -> None:
    """Until the first instance answers on its socket (it is still importing Qt at first)."""
    pause, waited = threading.Event(), 0.0
    while True:
        assert proc.poll() is None, proc.communicate()
        try:
            forward(server_name(folder), Launch(("--minimized",), "/"), timeout_ms=2000)
            return
        except ForwardFailed:
            if waited > START_S:
                raise
        pause.wait(0.1)
        waited += 0.1


def _watched(folder: Path) -> set[str]:
    with sqlite3.connect(f"file:{folder / 'jobs.db'}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT job_id FROM jobs")}


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # the app's orderly quit
    out, err = proc.communicate(timeout=START_S)
    return out, err


@pytest.fixture
def first(app_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = _start(app_env)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def test_a_second_launch_hands_ids_and_files_to_the_running_one(
    first: subprocess.Popen[str], app_env: dict[str, str], tmp_path: Path
) -> None:
    folder = data_dir()
    _wait_listening(first, folder)
    (tmp_path / "ids.csv").write_text(f"job_id\n{JOB_C}\n")
    second = subprocess.run(
        [sys.executable, "-m", "jobmonitor", JOB_A, JOB_B, "ids.csv", "n\u00f6nsense"],
        env=app_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=START_S,
    )
    assert second.returncode == 0, second.stderr
    answer = second.stdout
    assert "Added 2 jobs, 1 rejected from another launch." in answer
    assert "Added 1 job" in answer and "ids.csv" in answer
    _out, err = _stop(first)
    assert first.returncode == 0, err
    # The running instance wrote them to its list (the second never opened the database).
    assert _watched(folder) >= {JOB_A, JOB_B, JOB_C}
    assert "Traceback" not in err


def test_a_killed_instances_lock_is_recovered(app_env: dict[str, str]) -> None:
    folder = data_dir()
    doomed = _start(app_env)
    _wait_listening(doomed, folder)
    assert (folder / "instance.lock").exists()
    doomed.kill()  # SIGKILL: the lock file and the socket file stay behind
    doomed.communicate()
    env = dict(app_env, JOBMONITOR_EXIT_AFTER_SHOWN="1")
    again = subprocess.run(
        [sys.executable, "-m", "jobmonitor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_S,
    )
    assert again.returncode == 0, again.stderr
    assert "window shown" in again.stderr  # it became the instance, it did not forward


def test_demo_mode_and_the_real_list_are_separate_instances() -> None:
    assert server_name(data_dir()) != server_name(data_dir(demo=True))
    real, demo = InstanceLock(data_dir()), InstanceLock(data_dir(demo=True))
    assert real.acquire() and demo.acquire()
    assert not InstanceLock(data_dir()).acquire()  # held by this process
    real.release()
    demo.release()


def test_launch_arguments_name_files_relative_to_the_launch(tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text(JOB_A)
    text, files = split_launch_args(
        [JOB_B, "list.txt", f"file://{tmp_path}/list%20two.txt", "missing.txt"], str(tmp_path)
    )
    assert text == f"{JOB_B}\nmissing.txt"  # not a file here: an id, rejected with its reason
    assert files == [tmp_path / "list.txt", tmp_path / "list two.txt"]


def test_a_garbled_request_gets_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError):
        Launch.from_line(b'{"v": 1, "args": [1, 2], "cwd": "/"}')
    with pytest.raises(ValueError):
        Launch.from_line(b"\xff\xfe")
    ok = Launch.from_line(Launch(("x",), "/w", {"XDG_ACTIVATION_TOKEN": "t"}).to_line())
    assert ok.args == ("x",) and ok.activation == {"XDG_ACTIVATION_TOKEN": "t"}

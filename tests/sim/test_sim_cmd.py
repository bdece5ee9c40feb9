"""`jobmonitor sim` as a user runs it: banner, a working paste line, Ctrl-C, bad options."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys

import httpx
import pytest

from jobmonitor.__main__ import main
from jobmonitor.cli import build_parser
from jobmonitor.cli.sim_cmd import RATE_WINDOWS, build_world
from jobmonitor.sim.limits import WINDOW_KINDS


def _read_banner(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Ctrl-C"):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            pytest.fail(f"the simulator exited early: {lines} {proc.communicate()}")
        lines.append(line.rstrip("\n"))
    return lines


def test_runs_prints_what_a_newcomer_needs_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobmonitor", "sim", "--port", "0", "--rate-limit", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _read_banner(proc)
        text = "\n".join(lines)
        api_url = re.search(r"API:\s+(http://127\.0\.0\.1:\d+)", text)
        key = re.search(r"demo key:\s+(\S+)", text)
        assert api_url and key, text
        assert "100 requests/minute" in text
        for kind in ("queued", "processing", "success", "failed", "forbidden", "not_found"):
            assert re.search(rf"^  {kind}\s+[0-9a-f-]{{36}}$", text, re.M), kind
        paste = next(line for line in lines if "jobmonitor status" in line)
        env_part, *command = shlex.split(paste)
        name, _, value = env_part.partition("=")
        assert (name, value) == ("JOBMONITOR_API_KEY", key.group(1))
        assert command[:2] == ["jobmonitor", "status"] and api_url.group(1) in command
        done = subprocess.run(
            [sys.executable, "-m", "jobmonitor", *command[1:], "--json"],
            env={**os.environ, name: value},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert '"status": "queued"' in done.stdout
        forbidden = re.search(r"^  forbidden\s+(\S+)$", text, re.M)
        assert forbidden
        r = httpx.get(f"{api_url.group(1)}/jobs/{forbidden.group(1)}", headers={"x-api-key": value})
        assert r.status_code == 403
        assert r.headers["x-ratelimit-limit"] == "100"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 130), err
    assert "simulator stopped" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "options",
    [
        ["--error-rate", "1.5"],
        ["--garbage-rate", "-1"],
        ["--latency", "-2"],
        ["--rate-limit", "0"],
        ["--port", "70000"],
        ["--routes", "v2"],
        ["--rate-window", "leaky"],
    ],
)
def test_bad_options_exit_2(options: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", *options]) == 2
    assert "jobmonitor" in capsys.readouterr().err


def test_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["sim", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "statuses"),
    [
        ("sliding", [200, 200, 429]),
        ("fixed", [200, 200, 429]),
        ("penalty", [200, 200, 429]),
        ("bucket", [200, 429, 429]),  # 2 a minute hold 10 s of refill: one token
    ],
)
def test_rate_window_and_bare_429_options_shape_the_limit(kind: str, statuses: list[int]) -> None:
    args = build_parser().parse_args(
        ["sim", "--rate-limit", "2", "--rate-window", kind, "--bare-429"]
    )
    demo = build_world(args)
    world = demo.world
    assert world.rate_window == kind
    job = demo.jobs["queued"][0]
    answers = [world.handle("jobs", demo.key, job) for _ in range(3)]
    assert [a.status for a in answers] == statuses
    # Told nothing: no rate-limit headers, no Retry-After, as the provider's documented API.
    assert all(not any("rate" in h.lower() for h in a.headers) for a in answers)
    assert "retry-after" not in {h.lower() for h in answers[-1].headers}


def test_the_cli_knows_every_kind_of_window_the_simulator_has() -> None:
    assert RATE_WINDOWS == WINDOW_KINDS

"""What the command line does when its output cannot be written, its URL cannot be parsed or it is
interrupted while starting: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from apihelpers import KEY

from jobmonitor.sim import SimServer, SimWorld


@pytest.fixture
def api() -> Iterator[tuple[SimServer, str]]:
    world = SimWorld(seed=4)
    world.add_key(KEY)
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    with SimServer(world) as server:
        yield server, job


def _run(args: list[str], stdout: int) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, JOBMONITOR_API_KEY=KEY)
    return subprocess.run(
        [sys.executable, "-m", "jobmonitor", *args],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )


def test_a_reader_that_went_away_ends_the_command_quietly(api: tuple[SimServer, str]) -> None:
    server, job = api
    read, write = os.pipe()
    os.close(read)  # like `| head -c1` having exited already
    try:
        proc = _run(["status", "--json", "--base-url", server.api_url, job], write)
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_under_the_output_is_said_in_one_line(api: tuple[SimServer, str]) -> None:
    server, job = api
    with open("/dev/full", "w") as full:
        proc = _run(["status", "--json", "--base-url", server.api_url, job], full.fileno())
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "jobmonitor: could not write the output: No space left on device"
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:abc", "http://127.0.0.1:99999", "https://[::1", "http://foo.localhost"],
)
def test_a_base_url_that_does_not_parse_is_a_usage_error(url: str) -> None:
    proc = _run(
        ["status", "--base-url", url, "a1b2c3d4-e5f6-7890-abcd-ef1234567890"], subprocess.PIPE
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("jobmonitor: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_no_key_and_no_keyring_says_what_to_do(api: tuple[SimServer, str]) -> None:
    server, job = api
    env = {k: v for k, v in os.environ.items() if k != "JOBMONITOR_API_KEY"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for command in (["status"], ["watch"], ["download"]):
        proc = subprocess.run(
            [sys.executable, "-m", "jobmonitor", *command, "--base-url", server.api_url, job],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("jobmonitor: no API key: there is no OS keyring here")
        assert "set $JOBMONITOR_API_KEY" in proc.stderr
        assert server.world.stats.requests == 0  # nothing was sent without a key


def test_a_mistyped_command_is_named_instead_of_opening_the_window(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jobmonitor.__main__ import main

    assert main(["statuss", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"]) == 2
    assert capsys.readouterr().err == (
        "jobmonitor: unknown command 'statuss'; did you mean 'status'?\n"
    )
    assert main(["downlod"]) == 2
    assert "did you mean 'download'?" in capsys.readouterr().err


def test_a_file_as_the_output_folder_or_an_empty_base_url_is_a_usage_error(
    api: tuple[SimServer, str], tmp_path: object
) -> None:
    server, job = api
    a_file = os.path.join(str(tmp_path), "notes.txt")
    with open(a_file, "w", encoding="utf-8") as f:
        f.write("x")
    proc = _run(["download", "--base-url", server.api_url, "-o", a_file, job], subprocess.PIPE)
    assert proc.returncode == 2
    assert proc.stderr == f"jobmonitor: {a_file} is a file, not a folder to save into\n"
    assert server.world.stats.requests == 0  # said before asking the API anything
    proc = _run(["status", "--base-url", "", job], subprocess.PIPE)
    assert proc.returncode == 2 and proc.stderr == "jobmonitor: --base-url is empty\n"

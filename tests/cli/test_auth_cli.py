"""``jobmonitor auth`` end to end: real processes, the simulator on a loopback socket, and (for the
tests marked ``keyring``) the real Secret Service of .ci/with-keyring's private session.

Every run's output is searched for the key and for tracebacks: neither may ever appear.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

import pytest

from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "live-Pz6Dk2Wq9Tn4Gb7Xe1Vy"
WRONG = "live-Hf3Lm8Rc5Sj0Ua2Ko6Nw"
NO_KEYRING = "keyring.backends.fail.Keyring"


@dataclass
class Run:
    code: int
    out: str
    err: str


def jobmonitor(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    environ = {k: v for k, v in os.environ.items() if k != "JOBMONITOR_API_KEY"}
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "jobmonitor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )
    for text in (proc.stdout, proc.stderr):
        assert KEY not in text
        assert WRONG not in text
        assert "Traceback" not in text, text
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    world = SimWorld(seed=2)
    world.add_key(KEY)
    with SimServer(world) as server:
        yield server


# -- without a keyring ---------------------------------------------------------------------------


def test_set_without_a_keyring_says_so_and_points_to_the_variable(sim: SimServer) -> None:
    env = {"PYTHON_KEYRING_BACKEND": NO_KEYRING}
    run = jobmonitor("auth", "set", "--base-url", sim.api_url, stdin=KEY + "\n", env=env)
    assert run.code == 2
    assert "No OS keyring is available" in run.err
    assert "$JOBMONITOR_API_KEY" in run.err

    run = jobmonitor("auth", "status", "--base-url", sim.api_url, env=env)
    assert run.code == 2
    assert "stored:   none" in run.out
    assert "No OS keyring is available" in run.out
    run = jobmonitor("auth", "clear", "--base-url", sim.api_url, env=env)
    assert run.code == 2
    assert "not cleared" in run.err
    assert sim.world.stats.requests == 0


def test_an_empty_key_is_refused_before_anything_is_saved(sim: SimServer) -> None:
    env = {"PYTHON_KEYRING_BACKEND": NO_KEYRING}
    for stdin in ("", "\n", "   \n"):
        run = jobmonitor("auth", "set", "--base-url", sim.api_url, stdin=stdin, env=env)
        assert run.code == 2
        assert "the key is empty; nothing saved" in run.err
    run = jobmonitor("auth", "set", "--base-url", sim.api_url, stdin="two words\n", env=env)
    assert (run.code, "nothing saved" in run.err) == (2, True)


def test_environment_key_status_against_the_api(sim: SimServer) -> None:
    env = {"PYTHON_KEYRING_BACKEND": NO_KEYRING, "JOBMONITOR_API_KEY": KEY}
    run = jobmonitor("auth", "status", "--base-url", sim.api_url, env=env)
    assert run.code == 0, run
    assert "stored:   environment ($JOBMONITOR_API_KEY, which overrides the keyring)" in run.out
    assert f"key:      {KEY[:4]}…{KEY[-4:]}" in run.out
    assert "accepted: yes" in run.out

    before = sim.world.stats.requests
    run = jobmonitor("auth", "status", "--no-check", "--base-url", sim.api_url, env=env)
    assert run.code == 0
    assert "accepted" not in run.out
    assert sim.world.stats.requests == before


def test_a_rejected_environment_key_exits_1_with_the_fix(sim: SimServer) -> None:
    env = {"PYTHON_KEYRING_BACKEND": NO_KEYRING, "JOBMONITOR_API_KEY": WRONG}
    run = jobmonitor("auth", "status", "--base-url", sim.api_url, env=env)
    assert run.code == 1
    assert "accepted: no, rejected (401)" in run.out
    fix = f"unset JOBMONITOR_API_KEY and use: jobmonitor auth set --base-url {sim.api_url}"
    assert fix in run.out and "unset $" not in run.out  # "$" would be expanded by the shell


def test_unreachable_and_rate_limited_cannot_confirm(sim: SimServer) -> None:
    env = {"PYTHON_KEYRING_BACKEND": NO_KEYRING, "JOBMONITOR_API_KEY": KEY}
    sim.world.rate_limit = 1
    assert jobmonitor("auth", "status", "--base-url", sim.api_url, env=env).code == 0
    run = jobmonitor("auth", "status", "--base-url", sim.api_url, env=env)
    assert run.code == 1
    assert "probably" in run.out
    sim.stop()
    run = jobmonitor("auth", "status", "--base-url", sim.api_url, env=env)
    assert run.code == 1
    assert "could not be reached" in run.out


def test_usage_errors_exit_2() -> None:
    assert jobmonitor("auth").code == 2
    run = jobmonitor("auth", "status", "--base-url", "http://api.example.com")
    assert run.code == 2
    assert "HTTPS" in run.err


def test_the_prompt_on_a_terminal_hides_the_key(sim: SimServer) -> None:
    """Run under a real pseudo-terminal (its controlling terminal), type the key, check no echo."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "JOBMONITOR_API_KEY"}
    env["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    # Opening the terminal by name in a new session makes it the controlling terminal, which
    # getpass needs (it reads /dev/tty).
    boot = (
        "import os, sys, runpy; os.open(os.ttyname(0), os.O_RDWR); "
        "sys.argv = ['jobmonitor', *sys.argv[1:]]; runpy.run_module('jobmonitor', run_name='__main__')"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", boot, "auth", "set", "--base-url", sim.api_url],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    transcript = b""
    try:
        transcript += _read_until(master, b"(input hidden): ")
        os.write(master, KEY.encode() + b"\n")
        transcript += _read_until(master, None)
        code = proc.wait(30)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    text = transcript.decode(errors="replace")
    assert f"API key for {sim.api_url}" in text
    assert KEY not in text  # not echoed, not printed
    assert "No OS keyring is available" in text  # the key was read, then refused to be kept
    assert code == 2


def _read_until(fd: int, marker: bytes | None, timeout: float = 30.0) -> bytes:
    """Read from the terminal until ``marker`` shows up (or, with None, until it closes)."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        data += chunk
        if marker is not None and marker in data:
            return data
    if marker is not None:
        raise AssertionError(f"no {marker!r} in {data!r}")
    return data


# -- with the real Secret Service ------------------------------------------------------------------


def _private_secret_service() -> None:
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not bus or os.environ.get("JOBMONITOR_TEST_KEYRING") != bus:
        pytest.skip("needs the private Secret Service of .ci/with-keyring (run the tests under it)")
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        if not secretstorage.check_service_availability(connection):
            pytest.skip("no Secret Service answers on the private session bus")


@contextmanager
def _locked_keyring() -> Iterator[None]:
    """Lock the default collection for real, then unlock it with the throwaway password."""
    import secretstorage
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with closing(secretstorage.dbus_init()) as connection:
        secretstorage.get_default_collection(connection).lock()
    try:
        yield
    finally:
        service = DBusAddress(
            "/org/freedesktop/secrets", "org.freedesktop.secrets", "org.freedesktop.Secret.Service"
        )
        internal = service.with_interface(
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
        )
        password = os.environ["JOBMONITOR_TEST_KEYRING_PASSWORD"].encode()
        with closing(open_dbus_connection(bus="SESSION")) as bus:
            (path,) = unwrap_msg(
                bus.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",)))
            )
            _, session = unwrap_msg(
                bus.send_and_get_reply(
                    new_method_call(service, "OpenSession", "sv", ("plain", ("s", "")))
                )
            )
            secret = (session, b"", password, "text/plain")
            call = new_method_call(
                internal, "UnlockWithMasterPassword", "o(oayays)", (path, secret)
            )
            unwrap_msg(bus.send_and_get_reply(call))


@pytest.mark.keyring
def test_set_status_clear_with_the_os_keyring(sim: SimServer) -> None:
    _private_secret_service()
    url = sim.api_url
    run = jobmonitor("auth", "set", "--base-url", url, stdin=KEY + "\nnot read\n")
    assert run.code == 0, run
    assert "Saved the key" in run.out

    run = jobmonitor("auth", "status", "--base-url", url)
    assert run.code == 0, run
    assert "stored:   keyring (SecretService Keyring)" in run.out
    assert "accepted: yes" in run.out
    # The key belongs to this origin only.
    other = url.replace("127.0.0.1", "localhost")
    assert jobmonitor("auth", "status", "--base-url", other).code == 2

    # The environment overrides the keyring, and says so.
    run = jobmonitor("auth", "status", "--base-url", url, env={"JOBMONITOR_API_KEY": WRONG})
    assert run.code == 1
    assert "stored:   environment" in run.out

    run = jobmonitor("auth", "clear", "--base-url", url)
    assert (run.code, "Removed the key" in run.out) == (0, True)
    run = jobmonitor("auth", "status", "--base-url", url)
    assert run.code == 2
    assert "stored:   none" in run.out
    assert "jobmonitor auth set" in run.out


@pytest.mark.keyring
def test_a_rejected_key_in_the_keyring(sim: SimServer) -> None:
    _private_secret_service()
    url = sim.api_url
    try:
        assert jobmonitor("auth", "set", "--base-url", url, stdin=WRONG).code == 0
        run = jobmonitor("auth", "status", "--base-url", url)
        assert run.code == 1
        assert "rejected" in run.out
        # the fix names this API: a bare "auth set" would set the default API's key
        assert f"Set a new key with: jobmonitor auth set --base-url {url}\n" in run.out
    finally:
        jobmonitor("auth", "clear", "--base-url", url)


@pytest.mark.keyring
def test_a_locked_keyring_is_a_plain_message(sim: SimServer) -> None:
    _private_secret_service()
    url = sim.api_url
    try:
        assert jobmonitor("auth", "set", "--base-url", url, stdin=KEY).code == 0
        with _locked_keyring():
            run = jobmonitor("auth", "status", "--base-url", url)
            assert run.code == 2
            assert "locked" in run.out
            run = jobmonitor("auth", "set", "--base-url", url, stdin=WRONG)
            assert run.code == 2
            assert "locked" in run.err
        run = jobmonitor("auth", "status", "--base-url", url)
        assert run.code == 0  # unlocked again, the key that was there still is
    finally:
        jobmonitor("auth", "clear", "--base-url", url)

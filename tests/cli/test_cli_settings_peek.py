"""A command-line run loads Qt only when the saved settings may hold what it needs.

The commands run in child processes (a fresh interpreter, as a user's would be), against the
simulator (the ``world`` and ``server`` fixtures of conftest.py), with XDG homes of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apihelpers import KEY

from jobmonitor import APP_ID
from jobmonitor.cli.common import ini_may_hold, settings_file
from jobmonitor.sim import SimServer, SimWorld

# Runs `jobmonitor ARGS...` in this interpreter and reports whether Qt got loaded.
_PROBE = """
import json, sys
from jobmonitor.__main__ import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "qt": "PySide6.QtCore" in sys.modules}))
"""


def _run(*args: str) -> dict[str, object]:
    env = dict(os.environ, JOBMONITOR_API_KEY=KEY)  # XDG homes: the per-test ones (conftest)
    env.pop("JOBMONITOR_BASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _config_file() -> Path:
    path = settings_file(os.environ, "linux")
    assert path is not None
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="INI settings: Linux")
def test_no_saved_settings_means_no_qt_and_a_learned_route_is_still_remembered(
    world: SimWorld, server: SimServer
) -> None:
    job = world.add_job(KEY)
    assert not _config_file().exists()
    plain = _run("status", "--json", "--base-url", server.api_url, job)
    assert plain == {"code": 0, "qt": False}  # nothing saved: nothing to read through Qt
    assert not _config_file().exists()
    world.faults.routes = "status-api"
    assert _run("status", "--json", "--base-url", server.api_url, job)["code"] == 0
    assert world.stats.by_route == {"jobs": 2, "status-api": 1}  # the fallback, learned...
    assert "[routes]" in _config_file().read_text(encoding="utf-8")  # ...and saved via Qt
    again = _run("status", "--json", "--base-url", server.api_url, job)
    assert again == {"code": 0, "qt": True}  # the saved route is read...
    assert world.stats.by_route == {"jobs": 2, "status-api": 2}  # ...and used: no fallback


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="INI settings: Linux")
def test_a_saved_base_url_is_read_through_qt(world: SimWorld, server: SimServer) -> None:
    job = world.add_job(KEY)
    path = _config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[api]\nbase_url={server.api_url}\n", encoding="utf-8")
    assert _run("status", "--json", job) == {"code": 0, "qt": True}
    assert world.stats.by_route == {"jobs": 1}  # it went to the saved URL, not the default


def test_the_settings_file_is_where_qt_puts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    name = Path("apidatatools") / f"{APP_ID}.conf"
    assert settings_file({"XDG_CONFIG_HOME": "/x/cfg"}, "linux") == Path("/x/cfg") / name
    assert settings_file({"XDG_CONFIG_HOME": "rel/cfg"}, "linux") == home / ".config" / name
    assert settings_file({}, "freebsd14") == home / ".config" / name
    assert settings_file({}, "win32") is None
    assert settings_file({}, "darwin") is None


def test_ini_may_hold(tmp_path: Path) -> None:
    path = tmp_path / "a.conf"
    assert not ini_may_hold(path, "routes")  # no file
    path.write_text("[api]\nbase_url=x\n", encoding="utf-8")
    assert not ini_may_hold(path, "routes")
    assert ini_may_hold(path, "api")
    path.unlink()
    path.mkdir()  # unreadable as a file: unsure, so ask Qt
    assert ini_may_hold(path, "routes")

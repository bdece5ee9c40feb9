"""``jobmonitor status`` against the hostile server, as a user runs it (a real process): odd
times, NaN, deep answers, credentials in the URL, bidi overrides (issue 12, 5, 10, 11, 13)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys

import pytest
from hostileserver import JOB, KEY, HostileServer, answer, processing

from jobmonitor.cli.common import printable
from jobmonitor.ui import timefmt


async def status(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "JOBMONITOR_API_KEY": KEY}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobmonitor", "status", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def flat(text: str) -> str:
    """The output with runs of spaces as one (the columns are aligned with padding)."""
    return re.sub(" +", " ", text)


async def test_times_out_of_range_are_shown_as_invalid(server: HostileServer) -> None:
    server.on(JOB, answer(processing(JOB, created_at=1e300, updated_at=1e18)))
    code, out, err = await status(JOB, "--base-url", server.url)
    assert (code, err) == (0, "")
    assert "created: invalid time (1e+300)" in flat(out)
    assert "updated: invalid time (1e+18)" in flat(out)


async def test_json_output_is_valid_json_whatever_the_numbers(server: HostileServer) -> None:
    text = json.dumps(processing(JOB, message="m")).replace('"m"', 'NaN, "eta": Infinity')
    server.on(JOB, answer(None, text=text))
    code, out, err = await status(JOB, "--base-url", server.url, "--json")
    assert (code, err) == (0, "")

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    data = json.loads(out, parse_constant=refuse)
    assert data["message"] is None and data["eta"] is None and data["job_id"] == JOB


async def test_a_600_deep_answer_is_an_error_body_not_a_traceback(server: HostileServer) -> None:
    text = json.dumps(processing(JOB, message="x")).replace('"x"', "[" * 600 + "]" * 600)
    server.on(JOB, answer(None, text=text))
    code, out, err = await status(JOB, "--base-url", server.url, "--json")
    assert code == 1 and "Traceback" not in err
    error = json.loads(out)["error"]
    assert (error["code"], error["said_by"]) == ("BAD_RESPONSE", "client")


async def test_hints_and_positions_are_shown_as_the_client_takes_them(
    server: HostileServer,
) -> None:
    server.on(JOB, answer(processing(JOB, retry_after=-100)))
    code, out, _ = await status(JOB, "--base-url", server.url)
    assert code == 0 and "retry after: 5 s (the server said -100)" in flat(out)
    server.on(JOB, answer(processing(JOB, retry_after=1e308)))
    _, out, _ = await status(JOB, "--base-url", server.url)
    assert "retry after: 600 s (the server said 1e+308)" in flat(out)
    failed = {
        "status": "failed",
        "job_id": JOB,
        "error": {"code": "X", "message": "m", "details": {"line": "twelve", "column": 1e308}},
    }
    server.on(JOB, answer(failed))
    _, out, _ = await status(JOB, "--base-url", server.url)
    assert 'line: "twelve"' in flat(out) and "column: 1e+308" in flat(out)
    assert max(len(line) for line in out.splitlines()) < 100


async def test_a_bidi_override_from_the_server_is_escaped(server: HostileServer) -> None:
    server.on(JOB, answer(processing(JOB, message="report\u202egpj.exe")))
    code, out, _ = await status(JOB, "--base-url", server.url)
    assert code == 0 and "report\\u202egpj.exe" in out and "\u202e" not in out
    assert printable("a\u2066b\u2028c\x1b") == "a\\u2066b\\u2028c\\x1b"


@pytest.mark.parametrize(
    "url",
    ["http://user:s3cret@127.0.0.1:9", "http://s3cret@127.0.0.1:99999", "http://:s3cret@[::1"],
)
async def test_credentials_in_the_base_url_are_refused_without_being_printed(url: str) -> None:
    code, out, err = await status(JOB, "--base-url", url)
    assert code == 2 and out == ""
    assert "user name or password" in err
    assert "s3cret" not in err


def test_the_window_shows_out_of_range_times_as_invalid() -> None:
    now = 1.7e9
    for value in (1e300, 1e18, -1e18):
        expected = f"invalid time ({value:g})"
        assert timefmt.absolute(value) == expected
        assert timefmt.relative(value, now) == expected
        assert timefmt.countdown(value, now) == expected
        assert timefmt.short_local(value) == expected
    assert timefmt.absolute(now).endswith("UTC)") or timefmt.absolute(now).endswith("UTC")

"""Properties fuzzed with hypothesis: the answer parser, the rate-limit header parser and the
command line's formatter. Any exception outside the app's error tree (``ApiError``) is a finding.

Shared by tests/hostile/test_hostile_fuzz.py (a short derandomised run in CI) and
tests/benchmarks/fuzz_long.py (a long run that prints inputs tried and findings). Answers are
served through ``httpx.MockTransport``: the client's whole path from the status line and headers
to a ``JobSnapshot`` runs, with no socket to slow each example down.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
from hypothesis import strategies as st

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError
from jobmonitor.api.models import JobSnapshot, RateLimitInfo
from jobmonitor.cli.common import describe_error, printable
from jobmonitor.cli.status_cmd import format_snapshot

JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
BASE = "http://127.0.0.1:9"
FIELDS = [
    "status", "job_id", "created_at", "updated_at", "message", "retry_after", "result", "error",
    "details", "line", "column", "code", "file", "preview", "request_id", "error",
]  # fmt: skip
STATUSES = ["queued", "processing", "success", "failed", "error", "accepted", "QUEUED"]

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e18, 1e300, -1e300, 2**63, 253402300800]),
)
scalars = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=20), st.sampled_from([*STATUSES, JOB])
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=30,
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(st.sampled_from(STATUSES), scalars),
        "job_id": st.one_of(st.just(JOB), st.just(JOB.upper()), scalars),
        "created_at": numbers,
        "updated_at": numbers,
        "retry_after": st.one_of(numbers, st.text(max_size=6)),
        "message": scalars,
        "result": json_values,
        "error": json_values,
        "details": json_values,
    },
)

header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    numbers.map(str),
    st.sampled_from(
        [
            "Mon, 01 Jan 3000000000 00:00:00 GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 07:28:00",
            '"default";r=5;t=30',
            "limit=10, remaining=0, reset=1e400",
            "100;w=60",
            "q=0;w=-5",
            "gzip, gzip",
            "gzip, deflate, br",
            "deflate",
            "http://127.0.0.1:99999/x",
            "http://[::1",
            "/jobs/" + JOB,
        ]
    ),
)
header_names = st.sampled_from(
    [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "ratelimit",
        "ratelimit-policy",
        "content-encoding",
        "content-type",
        "location",
    ]
)
headers = st.dictionaries(header_names, header_values, max_size=4)


def _encode(answer: Any, nan_style: bool) -> bytes:
    text = json.dumps(answer, allow_nan=nan_style, default=str) if nan_style else _strict(answer)
    return text.encode()


def _strict(answer: Any) -> str:
    try:
        return json.dumps(answer, allow_nan=False)
    except ValueError:
        return json.dumps(answer, allow_nan=True)


bodies = st.one_of(
    st.builds(_encode, answers, st.booleans()),
    st.builds(_encode, json_values, st.booleans()),
    st.binary(max_size=64),
    st.integers(min_value=1, max_value=3000).map(lambda n: ("[" * n + "]" * n).encode()),
)
statuses = st.one_of(
    st.sampled_from([200, 200, 200, 301, 302, 307, 400, 401, 403, 404, 429, 500, 502]),
    st.integers(min_value=100, max_value=599),
)


def answer_parser(status: int, hdrs: dict[str, str], body: bytes, tried: list[int]) -> None:
    """Property: ``get_job`` returns a snapshot about the asked job or raises an ApiError; a
    snapshot's times, hints and raw answer are safe to show and to print as strict JSON."""
    tried[0] += 1

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=hdrs, stream=httpx.ByteStream(body))  # unread

    async def ask() -> JobSnapshot | None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as http:
            client = StatusClient(http, BASE, api_key="k", wall_clock=lambda: 1.7e9)
            try:
                return await client.get_job(JOB)
            except ApiError as exc:
                describe_error(exc)
                json.dumps(exc.error_body(), allow_nan=False)
                return None

    snapshot = asyncio.run(ask())
    if snapshot is None:
        return
    assert snapshot.job_id == JOB
    assert 1 <= snapshot.poll_interval <= 600
    json.dumps(snapshot.raw_dict(), allow_nan=False)
    cli_formatter(snapshot)


def cli_formatter(snapshot: JobSnapshot) -> None:
    """Property: the readable summary is text a terminal shows as is (no control characters)."""
    text = format_snapshot(snapshot)
    for line in text.splitlines():
        assert printable(line) == line, line
        assert len(line) < 400 or line.startswith(("  ", "preview", "message", "error")), line


def from_wire_formatter(answer: dict[str, Any], tried: list[int]) -> None:
    """Property: any JSON object with a status parses and formats (the parser's own input)."""
    tried[0] += 1
    if "status" not in answer:
        answer = {**answer, "status": "processing"}
    try:
        snapshot = JobSnapshot.from_wire(_sanitised(answer), requested_id=JOB)
    except ApiError:
        return
    cli_formatter(snapshot)


def _sanitised(value: Any) -> Any:
    """What the JSON parser hands over: no NaN or infinity (it maps them to None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_sanitised(v) for v in value]
    if isinstance(value, dict):
        return {k: _sanitised(v) for k, v in value.items()}
    return value


def rate_limit_headers(hdrs: dict[str, str], body: Any, now: float, tried: list[int]) -> None:
    """Property: ``RateLimitInfo.from_headers`` never raises, and every figure it gives is finite,
    not negative and bounded."""
    tried[0] += 1
    body_map = body if isinstance(body, dict) else None
    info = RateLimitInfo.from_headers(hdrs, now=now, body=body_map)
    if info is None:
        return
    for value in (info.reset_after, info.retry_after):
        assert value is None or (math.isfinite(value) and 0 <= value <= 3600), info
    for count in (info.limit, info.remaining):
        assert count is None or 0 <= count < 2**63, info
    assert 1 <= info.window <= 3600

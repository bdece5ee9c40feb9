"""One odd answer is an ApiError of that request, never another exception (issue 12, items 1, 4, 10).

Each case is an answer a real server (or something pretending to be one) could send; each test
says what the client makes of it, not merely that it did not crash.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hostileserver import JOB, KEY, OTHER, HostileServer, answer, processing, raw, redirect

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError, BadResponse, RateLimited
from jobmonitor.api.models import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, JobStatus

HUGE = "9" * 400  # an integer literal no float holds: float() raises OverflowError


async def test_a_400_digit_retry_after_is_no_hint_and_the_answer_still_counts(
    server: HostileServer, client: StatusClient
) -> None:
    text = json.dumps(processing(JOB)).replace('"retry_after": 1', f'"retry_after": {HUGE}')
    server.on(JOB, answer(None, text=text))
    snapshot = await client.get_job(JOB)
    assert snapshot.status is JobStatus.PROCESSING
    assert snapshot.retry_after is None  # not a number the client can trust
    assert snapshot.poll_interval == DEFAULT_RETRY_AFTER


async def test_a_400_digit_line_and_column_are_kept_as_details_not_numbers(
    server: HostileServer, client: StatusClient
) -> None:
    text = (
        f'{{"status": "failed", "job_id": "{JOB}", "error": {{"code": "INVALID_JSON", '
        f'"message": "bad", "details": {{"line": {HUGE}, "column": {HUGE}}}}}}}'
    )
    server.on(JOB, answer(None, text=text))
    snapshot = await client.get_job(JOB)
    assert snapshot.error is not None
    assert snapshot.error.line is None and snapshot.error.column is None
    assert set(snapshot.error.extra_details) == {"line", "column"}  # still shown, as sent


async def test_a_line_that_is_no_number_is_shown_not_dropped(
    server: HostileServer, client: StatusClient
) -> None:
    server.on(
        JOB,
        answer(
            {
                "status": "failed",
                "job_id": JOB,
                "error": {
                    "code": "X",
                    "message": "m",
                    "details": {"line": "twelve", "column": 1e308},
                },
            }
        ),
    )
    snapshot = await client.get_job(JOB)
    assert snapshot.error is not None
    assert snapshot.error.line is None and snapshot.error.column is None  # 1e308 is no column
    assert snapshot.error.extra_details == {"line": "twelve", "column": 1e308}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"status": "error", "error": "RATE_LIMITED", "retry_after": int(HUGE)}),
        ({"retry-after": "Mon, 01 Jan 3000000000 00:00:00 GMT"}, {"error": "RATE_LIMITED"}),
        ({"retry-after": "1e400"}, {"error": "RATE_LIMITED"}),
        ({"x-ratelimit-reset": HUGE, "x-ratelimit-limit": HUGE}, {"error": "RATE_LIMITED"}),
    ],
    ids=["body-400-digits", "date-year-3e9", "header-1e400", "reset-400-digits"],
)
async def test_absurd_rate_limit_hints_are_a_429_with_a_bounded_pause(
    server: HostileServer,
    client: StatusClient,
    headers: dict[str, str],
    body: dict[str, object],
) -> None:
    server.on(JOB, answer(body, status=429, headers=headers))
    with pytest.raises(RateLimited) as caught:
        await client.get_job(JOB)
    retry = caught.value.retry_after
    assert retry is None or 0 <= retry <= 6 * MAX_RETRY_AFTER


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:99999/x", "http://[::1/x", "http://user@/x", "http://127.0.0.1:-1/x"],
)
async def test_a_redirect_to_a_url_that_does_not_parse_is_a_bad_response(
    server: HostileServer, client: StatusClient, location: str
) -> None:
    server.on(JOB, redirect(location))
    with pytest.raises(BadResponse) as caught:
        await client.get_job(JOB)
    assert caught.value.transient


async def test_a_600_deep_array_is_a_bad_response_not_a_recursion_error(
    server: HostileServer, client: StatusClient
) -> None:
    deep = "[" * 600 + "]" * 600
    text = json.dumps(processing(JOB, message="x")).replace('"x"', deep)
    server.on(JOB, answer(None, text=text))
    with pytest.raises(BadResponse) as caught:
        await client.get_job(JOB)
    assert "nested" in caught.value.message


async def test_an_answer_about_another_job_is_a_bad_response(
    server: HostileServer, client: StatusClient
) -> None:
    server.on(
        JOB, answer({"status": "failed", "job_id": OTHER, "error": {"code": "X", "message": "m"}})
    )
    with pytest.raises(BadResponse) as caught:
        await client.get_job(JOB)
    assert OTHER in caught.value.message
    # The same id in capitals is the same job: a UUID is not case-sensitive.
    server.on(JOB, answer(processing(JOB.upper())))
    assert (await client.get_job(JOB)).job_id == JOB


async def test_nan_and_infinity_never_reach_the_raw_answer(
    server: HostileServer, client: StatusClient
) -> None:
    text = json.dumps(processing(JOB, message="m")).replace(
        '"message": "m"', '"message": NaN, "progress": Infinity, "eta": -Infinity, "big": 1e400'
    )
    server.on(JOB, answer(None, text=text))
    snapshot = await client.get_job(JOB)
    assert snapshot.status is JobStatus.PROCESSING
    strict = json.dumps(snapshot.raw_dict(), allow_nan=False)  # raises on NaN/Infinity
    assert json.loads(strict)["message"] is None


async def test_any_unexpected_exception_under_the_client_is_an_api_error() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in a transport")

    async with httpx.AsyncClient(transport=httpx.MockTransport(explode)) as http:
        client = StatusClient(http, "http://127.0.0.1:9", api_key=KEY)
        with pytest.raises(ApiError) as caught:
            await client.get_job(JOB)
    assert caught.value.transient  # the next poll may well succeed
    assert "RuntimeError" in caught.value.message


async def test_a_body_of_garbage_bytes_is_a_bad_response(
    server: HostileServer, client: StatusClient
) -> None:
    server.on(JOB, raw(200, b"\xff\xfe{\x00", {"content-type": "application/json"}))
    with pytest.raises(BadResponse):
        await client.get_job(JOB)

"""Rate-limit information from every header style servers use, and none trusted beyond bounds."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from apihelpers import KEY

from jobmonitor.api import RateLimited, RateLimitInfo, StatusClient
from jobmonitor.sim import ManualClock, SimWorld

NOW = 1_700_000_000.0


@pytest.mark.parametrize("style", ["x", "x-epoch", "ietf", "ietf-draft"])
async def test_every_header_style_is_read_from_200_answers(
    client: StatusClient, world: SimWorld, clock: ManualClock, style: str
) -> None:
    world.rate_limit = 5
    world.faults.rate_headers = True
    world.faults.rate_header_style = style
    job = world.add_job(KEY)
    await client.get_job(job)
    clock.advance(20)
    snap = await client.get_job(job)
    info = snap.rate_limit
    assert info is not None
    assert (info.limit, info.remaining, info.window) == (5, 3, 60.0)
    assert info.reset_after == pytest.approx(40, abs=1)  # the first request leaves the window
    assert info.retry_after is None


async def test_no_headers_no_info(client: StatusClient, world: SimWorld) -> None:
    world.rate_limit = 5
    assert (await client.get_job(world.add_job(KEY))).rate_limit is None


@pytest.mark.parametrize(
    ("fmt", "header", "body", "expected"),
    [
        ("seconds", True, False, 45.0),
        ("date", True, False, 45.0),
        ("seconds", False, True, 45.0),  # only the body carries it
        ("seconds", False, False, None),  # the seed's own case: nothing at all
    ],
)
async def test_retry_after_of_a_429(
    client: StatusClient,
    world: SimWorld,
    clock: ManualClock,
    fmt: str,
    header: bool,
    body: bool,
    expected: float | None,
) -> None:
    world.rate_limit = 1
    world.faults.retry_after_format = fmt
    world.faults.retry_after_header = header
    world.faults.retry_after_body = body
    job = world.add_job(KEY)
    await client.get_job(job)
    clock.advance(15)
    with pytest.raises(RateLimited) as caught:
        await client.get_job(job)
    assert caught.value.retry_after == expected


async def test_429_with_rate_headers(
    client: StatusClient, world: SimWorld, clock: ManualClock
) -> None:
    world.rate_limit = 2
    world.faults.rate_headers = True
    world.faults.rate_header_style = "x-epoch"
    job = world.add_job(KEY)
    for _ in range(2):
        await client.get_job(job)
    with pytest.raises(RateLimited) as caught:
        await client.get_job(job)
    info = caught.value.rate_limit
    assert info is not None
    assert (info.limit, info.remaining, info.retry_after, info.reset_after) == (2, 0, 60, 60)


def _info(headers: dict[str, str], body: dict[str, object] | None = None) -> RateLimitInfo:
    info = RateLimitInfo.from_headers(headers, now=NOW, body=body)
    assert info is not None
    return info


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("1e12", 3600.0),
        (formatdate(NOW + 90, usegmt=True), 90.0),
        (formatdate(NOW - 90, usegmt=True), 0.0),  # a date in the past: go now
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_forms_and_bounds(value: str, seconds: float) -> None:
    assert _info({"Retry-After": value}).retry_after == seconds


@pytest.mark.parametrize("value", ["soon", "", "Thu, 99 Foo 2024", "nan", "inf"])
def test_unreadable_retry_after_is_ignored(value: str) -> None:
    assert RateLimitInfo.from_headers({"Retry-After": value}, now=NOW) is None


@pytest.mark.parametrize(
    ("reset", "seconds"),
    [
        ("30", 30.0),
        (str(int(NOW) + 30), 30.0),  # above 10^9: an epoch timestamp
        (str(int(NOW) - 30), 0.0),
        ("999999999", 3600.0),  # just below the threshold: seconds, capped
    ],
)
def test_x_ratelimit_reset_seconds_or_epoch(reset: str, seconds: float) -> None:
    info = _info(
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "4", "x-ratelimit-reset": reset}
    )
    assert (info.limit, info.remaining, info.reset_after) == (10, 4, seconds)


def test_odd_counts_are_bounded() -> None:
    info = _info({"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "-3"})
    assert (info.limit, info.remaining) == (None, 0)


@pytest.mark.parametrize(
    ("headers", "limit", "remaining", "reset", "window"),
    [
        ({"RateLimit": "limit=100, remaining=50, reset=30"}, 100, 50, 30.0, 60.0),
        (
            {"RateLimit": '"default";r=7;t=12', "RateLimit-Policy": '"default";q=10;w=30'},
            10,
            7,
            12.0,
            30.0,
        ),
        ({"RateLimit-Policy": "100;w=3600", "RateLimit": "remaining=1"}, 100, 1, None, 3600.0),
        ({"RateLimit-Policy": '"p";q=5;w=0'}, 5, None, None, 60.0),
    ],
)
def test_ietf_fields(
    headers: dict[str, str], limit: int, remaining: int | None, reset: float | None, window: float
) -> None:
    info = _info(headers)
    assert (info.limit, info.remaining, info.reset_after, info.window) == (
        limit,
        remaining,
        reset,
        window,
    )


def test_body_retry_after_in_details_too() -> None:
    assert _info({}, {"details": {"retry_after": 12}}).retry_after == 12
    assert _info({"Retry-After": "3"}, {"retry_after": 12}).retry_after == 3  # header wins


def test_nothing_known_is_none() -> None:
    assert RateLimitInfo.from_headers({"content-type": "application/json"}, now=NOW) is None

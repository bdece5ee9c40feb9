"""Faults beyond the tables: garbage bodies, proxies, refused connections, timeouts, restarts."""

from __future__ import annotations

import asyncio
import socket
import ssl

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api import BadResponse, ServerError, StatusClient, Unreachable
from jobmonitor.api.client import MAX_BODY_BYTES, StatusHttp
from jobmonitor.core.litehttp import LiteClient
from jobmonitor.sim import SimServer, SimWorld
from jobmonitor.sim.app import OVERSIZED_BYTES


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        ("html", ServerError, "502 Bad Gateway"),
        ("truncated", BadResponse, "not a JSON answer"),
        ("text", BadResponse, "upstream connect error"),
        ("empty", BadResponse, "empty body"),
        ("oversized", BadResponse, f"larger than {MAX_BODY_BYTES} bytes"),
        ("oversized_chunked", BadResponse, f"larger than {MAX_BODY_BYTES} bytes"),
    ],
)
async def test_garbage_is_a_transient_error(
    client: StatusClient, world: SimWorld, kind: str, error: type[Exception], words: str
) -> None:
    assert OVERSIZED_BYTES > MAX_BODY_BYTES
    world.faults.garbage_rate = 1.0
    world.faults.garbage_kinds = (kind,)
    job = world.add_job(KEY)
    with pytest.raises(error) as caught:
        await client.get_job(job)
    exc = caught.value
    assert type(exc) is error and exc.transient  # type: ignore[attr-defined]
    assert words in str(exc)
    world.faults.garbage_rate = 0.0
    assert (await client.get_job(job)).job_id == job  # the next poll is fine again


async def test_mixed_faults_never_escape_the_error_tree(
    client: StatusClient, world: SimWorld
) -> None:
    world.faults.error_rate = 0.2
    world.faults.garbage_rate = 0.3
    world.faults.garbage_kinds = ("html", "truncated", "text", "empty")
    job = world.add_job(KEY)
    outcomes: dict[str, int] = {}
    for _ in range(40):
        try:
            await client.get_job(job)
            name = "ok"
        except (ServerError, BadResponse) as exc:
            name = type(exc).__name__
        outcomes[name] = outcomes.get(name, 0) + 1
    assert set(outcomes) == {"ok", "ServerError", "BadResponse"}, outcomes


async def test_connection_refused_is_unreachable(status_http: StatusHttp) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = StatusClient(status_http, f"http://127.0.0.1:{port}", api_key=KEY)
    with pytest.raises(Unreachable) as caught:
        await client.get_job("a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    assert caught.value.transient and "connect" in str(caught.value)
    assert KEY not in str(caught.value)


async def test_timeout_is_unreachable(server: SimServer, world: SimWorld) -> None:
    world.faults.latency = 2.0
    async with httpx.AsyncClient(timeout=0.2) as http:
        client = StatusClient(http, server.api_url, api_key=KEY)
        with pytest.raises(Unreachable, match="timed out"):
            await client.get_job(world.add_job(KEY))


async def test_timeout_is_unreachable_over_the_lite_client(
    server: SimServer, world: SimWorld
) -> None:
    world.faults.latency = 2.0
    lite = LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(0.2), headers={})
    try:
        client = StatusClient(lite, server.api_url, api_key=KEY)
        with pytest.raises(Unreachable, match="timed out"):
            await client.get_job(world.add_job(KEY))
    finally:
        await lite.aclose()


async def test_server_killed_and_restarted(
    client: StatusClient, server: SimServer, world: SimWorld
) -> None:
    job = world.add_job(KEY)
    await client.get_job(job)  # a kept-alive connection now exists
    await asyncio.to_thread(server.stop)
    for _ in range(2):
        with pytest.raises((Unreachable, BadResponse)) as caught:
            await client.get_job(job)
        assert caught.value.transient
    with pytest.raises(Unreachable):
        await client.get_job(job)
    await asyncio.to_thread(server.start)
    assert (await client.get_job(job)).job_id == job


async def test_server_dies_mid_request(
    client: StatusClient, server: SimServer, world: SimWorld
) -> None:
    world.faults.latency = 30
    job = world.add_job(KEY)
    pending = asyncio.create_task(client.get_job(job))
    for _ in range(500):
        if server.open_connections:
            break
        await asyncio.sleep(0.01)
    await asyncio.to_thread(server.stop)
    with pytest.raises((Unreachable, BadResponse)) as caught:
        await pending
    assert caught.value.transient

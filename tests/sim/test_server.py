"""SimServer over real sockets: URLs, stop like a killed server, restart on the same ports."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest
from simhelpers import KEY

from jobmonitor.sim import SimServer, SimWorld

H = {"x-api-key": KEY}


def test_urls_and_files_origin(server: SimServer, world: SimWorld) -> None:
    assert server.running
    assert server.api_url.startswith("http://127.0.0.1:")
    assert server.files_url.startswith("http://127.0.0.2:")
    assert world.files_base_url == server.files_url
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    answer = httpx.get(f"{server.api_url}/jobs/{job}", headers=H).json()
    assert answer["result"]["file"].startswith(server.files_url + "/files/")
    assert httpx.get(answer["result"]["file"]).status_code == 200


def test_stop_refuses_connections_and_start_reuses_the_ports(world: SimWorld) -> None:
    job = world.add_job(KEY)
    server = SimServer(world).start()
    try:
        api_url, files_url = server.api_url, server.files_url
        with httpx.Client() as http:  # a kept-alive connection must not survive the stop
            assert http.get(f"{api_url}/jobs/{job}", headers=H).status_code == 200
            server.stop()
            assert not server.running
            with pytest.raises(httpx.TransportError):
                http.get(f"{api_url}/jobs/{job}", headers=H)
            with pytest.raises(httpx.ConnectError):
                http.get(files_url + "/files/x/y")
            server.start()
            assert (server.api_url, server.files_url) == (api_url, files_url)
            assert http.get(f"{api_url}/jobs/{job}", headers=H).status_code == 200
    finally:
        server.stop()
    server.stop()  # twice is harmless


def test_start_twice_is_harmless(server: SimServer) -> None:
    url = server.api_url
    assert server.start() is server and server.api_url == url


def test_busy_port_is_an_oserror(world: SimWorld) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            SimServer(world, port=busy.getsockname()[1]).start()


async def test_stop_drops_pending_requests_at_once(world: SimWorld) -> None:
    world.faults.latency = 30
    job = world.add_job(KEY)
    server = SimServer(world).start()
    async with httpx.AsyncClient(timeout=10) as http:
        pending = asyncio.create_task(http.get(f"{server.api_url}/jobs/{job}", headers=H))
        for _ in range(500):  # until the request is in the server's latency sleep
            if server.open_connections:
                break
            await asyncio.sleep(0.01)
        assert server.open_connections == 1 and world.stats.requests == 0
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 2
        with pytest.raises(httpx.TransportError):
            await pending


async def test_stop_during_a_big_download(world: SimWorld) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0, file_size=1024**3)
    server = SimServer(world).start()
    received = 0
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.TransportError):
            async with http.stream("GET", world.file_url(job)) as r:
                async for chunk in r.aiter_raw():
                    received += len(chunk)
                    if received >= 4 * 1024 * 1024 and server.running:
                        await asyncio.to_thread(server.stop)
    assert 4 * 1024 * 1024 <= received < 1024**3

"""The key stays with the API: no cross-origin redirects with it, HTTPS except on loopback."""

from __future__ import annotations

import httpx
import pytest
from apihelpers import KEY, Recorder

from jobmonitor.api import InsecureUrl, JobStatus, StatusClient, UnsafeRedirect
from jobmonitor.api.urls import check_url_security, origin_of
from jobmonitor.sim import SimServer, SimWorld


@pytest.mark.parametrize("follow", [False, True])
async def test_redirect_to_another_origin_is_refused_and_the_key_not_sent(
    server: SimServer, world: SimWorld, follow: bool
) -> None:
    job = world.add_job(KEY)
    with Recorder() as other:
        world.faults.redirect_to = other.url
        # Even an httpx client set to follow redirects must not carry the key away.
        async with httpx.AsyncClient(timeout=5, follow_redirects=follow) as http:
            client = StatusClient(http, server.api_url, api_key=KEY)
            with pytest.raises(UnsafeRedirect) as caught:
                await client.get_job(job)
            # The recorder works: a direct request to it is seen (without any key).
            assert (await http.get(other.url + "/ping")).status_code == 200
    exc = caught.value
    assert exc.http_status == 307 and exc.code == "UNSAFE_REDIRECT"
    assert origin_of(other.url) in exc.message and KEY not in str(exc)
    assert other.requests == [other.requests[-1]]  # only the direct ping
    assert "x-api-key" not in other.requests[0]


async def test_same_origin_redirect_is_followed_with_the_key(
    client: StatusClient, server: SimServer, world: SimWorld
) -> None:
    world.faults.redirect_to = server.api_url
    snap = await client.get_job(world.add_job(KEY))
    assert snap.status is JobStatus.QUEUED  # the key went along: 200, not 401
    assert world.stats.by_status == {307: 1, 200: 1}


async def test_the_key_is_sent_to_the_api_origin_only(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    with Recorder("127.0.0.1") as api:
        client = StatusClient(http, api.url, api_key=KEY)
        snap = await client.get_job("a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    assert snap.status is JobStatus.SUCCESS
    assert api.requests[0]["x-api-key"] == KEY
    assert "x-api-key" not in http.headers


@pytest.mark.parametrize(
    "url",
    [
        "http://api.apidatatools.com",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com:8000",
        "http://10.0.0.1",
        "ftp://127.0.0.1",
        "api.apidatatools.com",
        "https://",
        "http://foo.localhost:9",  # a resolver may send *.localhost to the network
        "http://127.0.0.1:abc",  # ports that are no port: refused, not a traceback
        "http://127.0.0.1:99999",
        "https://[::1",
    ],
)
def test_insecure_or_odd_base_urls_are_refused(http: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(InsecureUrl):
        StatusClient(http, url, api_key=KEY)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.apidatatools.com",
        "https://api.apidatatools.com/",
        "http://127.0.0.1:8765",
        "http://127.0.0.2:1",
        "http://localhost:8765",
        "http://[::1]:8765",
        "  http://127.0.0.1:8765/  ",
    ],
)
def test_https_or_loopback_is_accepted(http: httpx.AsyncClient, url: str) -> None:
    client = StatusClient(http, url, api_key=KEY)
    assert not client.base_url.endswith("/") and client.base_url == client.base_url.strip()
    check_url_security(client.base_url)


def test_origins_are_normalised() -> None:
    assert origin_of("HTTPS://API.apidatatools.com:443/x") == "https://api.apidatatools.com"
    assert origin_of("http://127.0.0.1:80/") == "http://127.0.0.1"
    assert origin_of("http://[::1]:8765/a") == "http://[::1]:8765"
    assert origin_of("http://127.0.0.1:8765") != origin_of("http://127.0.0.1:8766")

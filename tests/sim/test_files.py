"""The result-file origin: content, Range, ETag/If-Range, dispositions, expiry, cuts, speed."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import time

import httpx
import pytest
from simhelpers import KEY

from jobmonitor.sim import ManualClock, SimServer, SimWorld, content_slice
from jobmonitor.sim.files import BLOCK, parse_range

MIB = 1024 * 1024


def _path(world: SimWorld, job: str) -> str:
    return world.file_url(job).removeprefix(world.files_base_url)


def _big(world: SimWorld, size: int = 3 * MIB + 123, **kw: object) -> str:
    return world.add_job(KEY, queued_for=0, processing_for=0, file_size=size, **kw)  # type: ignore[arg-type]


async def test_small_file_is_the_preview(files: httpx.AsyncClient, world: SimWorld) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0, preview='{"a": 1}')
    r = await files.get(_path(world, job))
    assert r.status_code == 200 and r.content == b'{"a": 1}'
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-length"] == "8"
    assert r.headers["accept-ranges"] == "bytes"
    assert "content-disposition" not in r.headers
    assert _path(world, job).endswith(f"/apidatatools_convert_{job[:8]}.json")


async def test_generated_content_is_deterministic_and_offset_stamped(
    files: httpx.AsyncClient, world: SimWorld
) -> None:
    job = _big(world)
    r = await files.get(_path(world, job))
    spec = world.resolve_file(*_path(world, job).split("/")[-2:]).file
    assert spec is not None and spec.size == 3 * MIB + 123
    assert r.content == content_slice(spec)
    assert r.headers["content-type"] == "application/octet-stream"
    blocks = [r.content[i : i + BLOCK] for i in range(0, 3 * BLOCK, BLOCK)]
    assert len({b[16:] for b in blocks}) == 1  # one precomputed block...
    assert len({b[:16] for b in blocks}) == 3  # ...stamped with its index


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=1048570-1048590", 1048570, 1048591),
        ("bytes=3145000-", 3145000, 3 * MIB + 123),
        ("bytes=-10", 3 * MIB + 113, 3 * MIB + 123),
        ("bytes=100-99999999999", 100, 3 * MIB + 123),
    ],
)
async def test_ranges(
    files: httpx.AsyncClient, world: SimWorld, header: str, start: int, end: int
) -> None:
    job = _big(world)
    path = _path(world, job)
    spec = world.resolve_file(*path.split("/")[-2:]).file
    assert spec is not None
    r = await files.get(path, headers={"range": header})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{spec.size}"
    assert r.headers["content-length"] == str(end - start)
    assert r.content == content_slice(spec, start, end)


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=-0"])
async def test_unsatisfiable_range_is_416(
    files: httpx.AsyncClient, world: SimWorld, header: str
) -> None:
    job = _big(world, 1000)
    r = await files.get(_path(world, job), headers={"range": header})
    assert r.status_code == 416 and r.headers["content-range"] == "bytes */1000"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x-"])
async def test_odd_ranges_are_ignored(
    files: httpx.AsyncClient, world: SimWorld, header: str
) -> None:
    r = await files.get(_path(world, _big(world, 1000)), headers={"range": header})
    assert r.status_code == 200 and len(r.content) == 1000


def test_parse_range_edges() -> None:
    assert parse_range("bytes=0-0", 1) == (0, 1)
    assert parse_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_range("bytes=-5", 3) == (0, 3)
    assert parse_range("bytes=-", 3) is None


async def test_etag_and_if_range(files: httpx.AsyncClient, world: SimWorld) -> None:
    job = _big(world, 5000)
    path = _path(world, job)
    full = await files.get(path)
    etag = full.headers["etag"]
    modified = full.headers["last-modified"]
    assert etag.startswith('"')
    same = await files.get(path, headers={"range": "bytes=10-", "if-range": etag})
    assert same.status_code == 206 and same.content == full.content[10:]
    by_date = await files.get(path, headers={"range": "bytes=10-", "if-range": modified})
    assert by_date.status_code == 206
    weak = await files.get(path, headers={"range": "bytes=10-", "if-range": "W/" + etag})
    assert weak.status_code == 200
    world.touch_file(job)  # the file changed on the server
    changed = await files.get(path, headers={"range": "bytes=10-", "if-range": etag})
    assert changed.status_code == 200 and len(changed.content) == 5000
    assert changed.headers["etag"] != etag
    assert changed.content != full.content
    old = email.utils.formatdate(0, usegmt=True)
    dated = await files.get(path, headers={"range": "bytes=10-", "if-range": old})
    assert dated.status_code == 200


async def test_switches_for_servers_without_ranges_etags_or_lengths(
    files: httpx.AsyncClient, world: SimWorld
) -> None:
    path = _path(world, _big(world, 5000))
    world.file_faults.ranges = False
    world.file_faults.etag = False
    world.file_faults.content_length = False
    r = await files.get(path, headers={"range": "bytes=10-"})
    assert r.status_code == 200 and len(r.content) == 5000
    assert not {"etag", "accept-ranges", "content-length"} & set(r.headers)


async def test_head_has_headers_and_no_body(files: httpx.AsyncClient, world: SimWorld) -> None:
    r = await files.head(_path(world, _big(world, 5000)))
    assert r.status_code == 200 and r.headers["content-length"] == "5000" and r.content == b""


@pytest.mark.parametrize(
    "value",
    [
        'attachment; filename="report.json"',
        'attachment; filename="../../.bashrc"',
        "attachment; filename*=UTF-8''%E2%80%AEgnp.exe",
        'attachment; filename="r\u00e9sum\u00e9 \u6587.json"',
    ],
)
async def test_content_disposition_is_sent_as_given(
    files: httpx.AsyncClient, world: SimWorld, value: str
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0, content_disposition=value)
    r = await files.get(_path(world, job))
    assert (b"content-disposition", value.encode()) in r.headers.raw


async def test_expired_urls(files: httpx.AsyncClient, world: SimWorld, clock: ManualClock) -> None:
    world.file_faults.url_ttl = 10
    job = world.add_job(KEY, queued_for=0, processing_for=0, file_name="data set.json")
    path = _path(world, job)
    assert path.endswith("/data%20set.json")
    assert (await files.get(path)).status_code == 200
    clock.advance(10)
    gone = await files.get(path)
    assert gone.status_code == 410 and b"expired" in gone.content
    world.file_faults.expired_status = 403
    denied = await files.get(path)
    assert denied.status_code == 403 and b"AccessDenied" in denied.content
    assert (await files.get(_path(world, job))).status_code == 200  # a fresh URL works
    assert (await files.get("/files/unknown/x.json")).status_code == 404


async def test_file_requests_are_logged_without_keys(
    files: httpx.AsyncClient, world: SimWorld
) -> None:
    path = _path(world, _big(world, 100))
    await files.get(path, headers={"x-api-key": KEY, "range": "bytes=5-", "if-range": '"x"'})
    await files.get(path)
    log = world.file_log.items()
    assert [(r.range, r.if_range, r.had_key, r.status) for r in log] == [
        ("bytes=5-", '"x"', True, 200),
        (None, None, False, 200),
    ]
    assert KEY not in repr(log)
    stats = world.stats
    assert (stats.file_requests, stats.file_requests_with_key, stats.file_bytes) == (2, 1, 200)


async def test_cut_once_then_whole_over_a_socket(server: SimServer, world: SimWorld) -> None:
    job = _big(world, 2 * MIB)
    world.file_faults.cut_after = MIB + 7
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(world.file_url(job))
        r = await http.get(world.file_url(job))
    assert r.status_code == 200 and len(r.content) == 2 * MIB
    # The server's thread counts a body once its last byte is out, which can be a moment after
    # the client has read it: wait (bounded) for the count instead of racing it.
    for _ in range(500):
        if world.stats.file_bytes >= 3 * MIB + 7:
            break
        await asyncio.sleep(0.01)
    stats = world.stats
    assert stats.file_cuts == 1 and stats.file_bytes == 3 * MIB + 7


async def test_cut_always_delivers_exactly_n_bytes(server: SimServer, world: SimWorld) -> None:
    job = _big(world, MIB)
    world.file_faults.cut_after = 1000
    world.file_faults.cut_always = True
    async with httpx.AsyncClient() as http:
        for start in (0, 500):
            got = bytearray()
            with pytest.raises(httpx.RemoteProtocolError):
                async with http.stream(
                    "GET", world.file_url(job), headers={"range": f"bytes={start}-"}
                ) as r:
                    assert r.status_code == 206
                    async for chunk in r.aiter_raw():
                        got += chunk
            assert len(got) == 1000
    assert world.stats.file_cuts == 2


async def test_big_file_streams_fast_over_a_socket(server: SimServer, world: SimWorld) -> None:
    size = 256 * MIB
    job = _big(world, size)
    digest = hashlib.sha256()
    received = 0
    started = time.monotonic()
    async with httpx.AsyncClient() as http, http.stream("GET", world.file_url(job)) as r:
        async for chunk in r.aiter_raw(MIB):
            if received < MIB:
                digest.update(chunk[: MIB - received])
            received += len(chunk)
    elapsed = time.monotonic() - started
    assert received == size
    spec = world.resolve_file(*_path(world, job).split("/")[-2:]).file
    assert spec is not None
    assert digest.digest() == hashlib.sha256(content_slice(spec, 0, MIB)).digest()
    assert elapsed < 20, f"{size / MIB / elapsed:.0f} MiB/s"

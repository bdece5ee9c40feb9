"""Status answers whose bodies are bombs, or compressed in ways never asked for (issue 12, 3)."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import pytest
from hostileserver import JOB, HostileServer, bomb, processing, raw

from jobmonitor.api.client import MAX_BODY_BYTES, StatusClient
from jobmonitor.api.decoding import BoundedDecoder
from jobmonitor.api.errors import BadResponse
from jobmonitor.api.models import JobStatus

MIB = 1024 * 1024


@pytest.mark.parametrize(
    "encodings", [("gzip",), ("gzip", "gzip"), ("deflate", "gzip"), ("gzip", "gzip", "gzip")]
)
async def test_a_bomb_stops_at_the_body_cap_with_flat_memory(
    server: HostileServer, client: StatusClient, encodings: tuple[str, ...]
) -> None:
    body = bomb(64 * MIB, encodings)
    assert len(body) < 400_000
    server.on(JOB, raw(200, body, {"content-encoding": ", ".join(encodings)}))
    tracemalloc.start()
    try:
        with pytest.raises(BadResponse) as caught:
            await client.get_job(JOB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"larger than {MAX_BODY_BYTES}" in caught.value.message
    assert peak < 6 * MIB  # 64 MiB decoded would not fit; the cap is 1 MiB, and pieces 256 KiB


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("br", "'br'"),
        ("zstd", "'zstd'"),
        ("gzip, gzip, gzip, gzip", "4 times"),
    ],
)
async def test_encodings_never_asked_for_are_refused_unread(
    server: HostileServer, client: StatusClient, header: str, said: str
) -> None:
    server.on(JOB, raw(200, b"\x00" * 100, {"content-encoding": header}))
    with pytest.raises(BadResponse) as caught:
        await client.get_job(JOB)
    assert said in caught.value.message
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("header", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda data: data),
    ],
)
async def test_an_honest_compressed_answer_still_reads(
    server: HostileServer, client: StatusClient, header: str, encode: object
) -> None:
    body = encode(json.dumps(processing(JOB)).encode())  # type: ignore[operator]
    server.on(JOB, raw(200, body, {"content-encoding": header}))
    assert (await client.get_job(JOB)).status is JobStatus.PROCESSING


async def test_a_body_that_does_not_inflate_is_a_bad_response(
    server: HostileServer, client: StatusClient
) -> None:
    server.on(JOB, raw(200, b"not gzip at all", {"content-encoding": "gzip"}))
    with pytest.raises(BadResponse) as caught:
        await client.get_job(JOB)
    assert "inflate" in caught.value.message


def test_the_decoder_hands_over_bounded_pieces_whatever_the_ratio() -> None:
    body = bomb(32 * MIB, ("gzip", "gzip"))
    decoder = BoundedDecoder("gzip, gzip", piece=64 * 1024)
    total = biggest = 0
    for start in range(0, len(body), 1000):
        for piece in decoder.feed(body[start : start + 1000]):
            total += len(piece)
            biggest = max(biggest, len(piece))
    assert total == 32 * MIB
    assert biggest <= 64 * 1024

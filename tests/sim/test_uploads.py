"""The simulated upload API and its S3-like storage origin: the presigned policy, checked."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import defusedxml.ElementTree as SafeET
import httpx
import pytest
from simhelpers import KEY, OTHER

from jobmonitor.sim import ManualClock, SimServer, SimWorld, create_storage_app

H = {"x-api-key": KEY}


@pytest.fixture
async def storage(world: SimWorld) -> AsyncIterator[httpx.AsyncClient]:
    world.storage_base_url = "http://storage.test"
    transport = httpx.ASGITransport(app=create_storage_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://storage.test") as client:
        yield client


async def _ticket(api: httpx.AsyncClient, name: str = "data.json") -> dict:
    r = await api.post("/upload-api", headers=H, json={"filename": name})
    assert r.status_code == 200, r.text
    return r.json()


def _s3_error(r: httpx.Response) -> tuple[str, str]:
    assert r.headers["content-type"] == "application/xml"
    root = SafeET.fromstring(r.content)
    return root.findtext("Code") or "", root.findtext("Message") or ""


async def test_upload_store_list_submit_delete(
    api: httpx.AsyncClient, storage: httpx.AsyncClient, world: SimWorld
) -> None:
    ticket = await _ticket(api)
    fields = ticket["upload"]["fields"]
    assert ticket["upload_id"].startswith("upl_")
    assert set(fields) == {
        "key",
        "x-amz-meta-user-id",
        "x-amz-meta-upload-id",
        "x-amz-meta-original-filename",
        "policy",
        "x-amz-signature",
    }
    assert fields["key"].endswith(f"/{ticket['upload_id']}/data.json")
    pending = (await api.get("/list-uploads-api", headers=H)).json()["uploads"]
    assert [u["status"] for u in pending] == ["pending"]
    assert pending[0]["expires_at"] - pending[0]["created_at"] == 300
    r = await storage.post("/", data=fields, files={"file": ("data.json", b'{"a": 1}')})
    assert r.status_code == 204, r.text
    listed = await api.get("/list-uploads-api", headers={**H, "x-upload-status": "completed"})
    assert listed.json()["uploads"][0]["file_size"] == 8
    assert listed.json()["uploads"][0]["s3_key"] == fields["key"]
    job = await api.post(
        "/json-minify-api", headers={**H, "x-source-type": "file"}, json={"file": fields["key"]}
    )
    assert job.status_code == 202
    other = await api.post(
        "/json-minify-api",
        headers={"x-api-key": OTHER, "x-source-type": "file"},
        json={"file": fields["key"]},
    )
    assert other.json()["error"] == "FILE_NOT_FOUND"  # another account's upload is not theirs
    gone = await api.delete("/delete-upload-api", headers={**H, "x-upload-id": ticket["upload_id"]})
    assert gone.status_code == 200
    again = await api.delete(
        "/delete-upload-api", headers={**H, "x-upload-id": ticket["upload_id"]}
    )
    assert (again.status_code, again.json()) == (404, {"error": "Upload not found"})
    assert world.stats.storage_requests == 1 and world.stats.storage_requests_with_key == 0


@pytest.mark.parametrize(
    "name", ["my file.json", "a.b.json", "data.exe", "data", ".json", "dätä.json"]
)
async def test_names_that_break_the_rule_are_refused(api: httpx.AsyncClient, name: str) -> None:
    r = await api.post("/upload-api", headers=H, json={"filename": name})
    assert r.status_code == 400 and r.json()["error"] == "INVALID_FILENAME"


async def test_the_storage_checks_the_policy(
    api: httpx.AsyncClient, storage: httpx.AsyncClient, world: SimWorld, clock: ManualClock
) -> None:
    fields = (await _ticket(api))["upload"]["fields"]
    file = {"file": ("data.json", b"{}")}
    cases = [
        ({**fields, "key": fields["key"] + "x"}, 403, "AccessDenied", "Condition failed"),
        ({**fields, "x-amz-signature": "0" * 64}, 403, "SignatureDoesNotMatch", ""),
        ({**fields, "x-api-key": KEY}, 403, "AccessDenied", "Extra input fields: x-api-key"),
        ({k: v for k, v in fields.items() if k != "key"}, 400, "InvalidArgument", "key"),
    ]
    for data, status, code, text in cases:
        r = await storage.post("/", data=data, files=file)
        assert r.status_code == status
        got_code, message = _s3_error(r)
        assert got_code == code and text in message
    world.uploads.limits.max_size = 4  # the policy is fixed when issued: a new ticket
    small = (await _ticket(api))["upload"]["fields"]
    r = await storage.post("/", data=small, files={"file": ("data.json", b"12345")})
    assert (r.status_code, _s3_error(r)[0]) == (400, "EntityTooLarge")
    r = await storage.post("/", data=small, files={"file": ("data.json", b"")})
    assert (r.status_code, _s3_error(r)[0]) == (400, "EntityTooSmall")
    clock.advance(301)
    r = await storage.post("/", data=fields, files=file)
    assert _s3_error(r) == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    expired = (await api.get("/list-uploads-api", headers=H)).json()["uploads"]
    assert {u["status"] for u in expired} == {"failed"}
    assert all(u.path is None for u in world.uploads.all())  # nothing refused was stored


async def test_malformed_and_chunked_posts(storage: httpx.AsyncClient) -> None:
    r = await storage.post(
        "/", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert _s3_error(r)[0] == "MalformedPOSTRequest"

    async def chunks() -> AsyncIterator[bytes]:
        yield b"--x--\r\n"

    r = await storage.post(
        "/", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert (r.status_code, _s3_error(r)[0]) == (411, "MissingContentLength")


def test_over_a_real_socket_a_large_file_streams_to_disk(tmp_path: object) -> None:
    world = SimWorld(seed=1)
    world.add_key(KEY)
    with SimServer(world) as server, httpx.Client() as client:
        assert server.storage_url.startswith("http://127.0.0.2:")
        assert server.storage_url != server.files_url
        ticket = client.post(
            server.api_url + "/upload-api", headers=H, json={"filename": "big.txt"}
        ).json()
        payload = b"0123456789abcdef" * (4 * 1024 * 1024 // 16)  # 4 MiB, many pieces
        r = client.post(
            ticket["upload"]["url"],
            data=ticket["upload"]["fields"],
            files={"file": ("big.txt", payload)},
        )
        assert r.status_code == 204
        stored = world.uploads.get(ticket["upload_id"])
        assert stored is not None and stored.path is not None
        assert stored.path.read_bytes() == payload


def test_the_parser_splits_parts_at_any_piece_boundary() -> None:
    from jobmonitor.sim.multipart import MultipartParser

    body = (
        b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk/1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nline\r\n--not the boundary\r\n--b--\r\n"
    )

    class Sink:
        def __init__(self) -> None:
            self.parts: list[tuple[str, str | None, bytes]] = []

        def begin(self, name: str, filename: str | None, content_type: str | None) -> None:
            self.parts.append((name, filename, b""))

        def data(self, chunk: bytes | memoryview) -> None:
            name, filename, got = self.parts[-1]
            self.parts[-1] = (name, filename, got + chunk)

        def end(self) -> None:
            pass

    for step in (1, 2, 3, 7, 11, 40, len(body)):
        sink = Sink()
        parser = MultipartParser(b"b", sink)
        for at in range(0, len(body), step):
            parser.feed(body[at : at + step])
        parser.finish()
        assert sink.parts == [
            ("key", None, b"k/1"),
            ("file", "a.txt", b"line\r\n--not the boundary"),
        ]


def test_the_parser_finds_a_delimiter_split_across_big_pieces() -> None:
    """The fast path (a piece with no delimiter passed on as a view) must still see one that
    straddles two pieces, and never cut a near-delimiter out of the file."""
    from jobmonitor.sim.multipart import MultipartParser

    boundary = b"jobmonitor-0123456789abcdef"
    near = b"\r\n--" + boundary[:-1] + b"X"  # a delimiter but for its last byte
    content = (bytes(range(256)) * 40 + near) * 3 + bytes(range(100))
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
    )
    body = head + content + b"\r\n--" + boundary + b"--\r\n"
    closing = len(head) + len(content)
    for step in (500, 4096, 7919):
        for shift in range(0, 40, 3):  # the closing delimiter cut at every place near a seam
            cuts = [0, *range(closing - shift, len(body), step), len(body)]
            sink = _Collect()
            parser = MultipartParser(boundary, sink)
            for a, b in itertools.pairwise(cuts):
                parser.feed(body[a:b])
            parser.finish()
            assert b"".join(sink.got) == content, (step, shift)


class _Collect:
    def __init__(self) -> None:
        self.got: list[bytes] = []

    def begin(self, name: str, filename: str | None, ctype: str | None) -> None:
        pass

    def data(self, chunk: bytes | memoryview) -> None:
        self.got.append(bytes(chunk))

    def end(self) -> None:
        pass

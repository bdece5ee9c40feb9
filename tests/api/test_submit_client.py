"""The tool client against the simulator over a real socket: accepted answers, body mode, and
every new answer shape parsed into the one error tree."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apihelpers import KEY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jobmonitor.api import StatusClient
from jobmonitor.api.errors import (
    AuthError,
    BadResponse,
    ForbiddenError,
    InvalidInput,
    RequestRefused,
    ServerError,
    StorageRefused,
    UploadNotFound,
)
from jobmonitor.api.models import JobStatus
from jobmonitor.api.submit import ToolClient
from jobmonitor.api.tools import load_catalogue
from jobmonitor.api.uploads import UploadClient
from jobmonitor.api.wire import Answer, storage_error
from jobmonitor.sim import ManualClock, SimServer, SimWorld

CAT = load_catalogue()


@pytest.fixture
def tools(http: httpx.AsyncClient, server: SimServer) -> ToolClient:
    return ToolClient(http, server.api_url, api_key=KEY)


async def test_url_mode_is_accepted_and_the_job_is_watchable(
    tools: ToolClient,
    http: httpx.AsyncClient,
    server: SimServer,
    world: SimWorld,
    clock: ManualClock,
) -> None:
    sample = f"{server.files_url}/samples/orders.json"
    accepted = await tools.submit_url(CAT.resolve("json-to-csv-api"), sample)
    assert accepted.http_status == 202 and accepted.status == "accepted"
    assert accepted.status_url == f"{server.api_url}/jobs/{accepted.job_id}"
    assert accepted.request_id
    status = StatusClient(http, server.api_url, api_key=KEY, wall_clock=clock)
    first = await status.get_job(accepted.job_id, status_url=accepted.status_url)
    assert first.status is JobStatus.ACCEPTED
    clock.advance(60)
    done = await status.get_job(accepted.job_id, status_url=accepted.status_url)
    assert done.status is JobStatus.SUCCESS and done.result is not None
    assert (await http.get(done.result.file or "")).content.startswith(b"id,sku,qty")


async def test_a_200_and_non_uuid_ids_are_taken_too(
    tools: ToolClient,
    http: httpx.AsyncClient,
    server: SimServer,
    world: SimWorld,
    clock: ManualClock,
) -> None:
    world.tools.accepted_status = 200
    world.tools.job_id_style = "prefixed"
    accepted = await tools.submit_url(
        CAT.resolve("text-minify-api"), f"{server.files_url}/samples/notes.txt"
    )
    assert accepted.http_status == 200 and accepted.job_id.startswith("job-")
    status = StatusClient(http, server.api_url, api_key=KEY, wall_clock=clock)
    elsewhere = "https://elsewhere.example/jobs/" + accepted.job_id
    assert status.usable_status_url(elsewhere) is None  # the key never goes to another origin
    snap = await status.get_job(accepted.job_id, status_url=elsewhere)
    assert snap.job_id == accepted.job_id


async def test_body_mode_answers_a_result(tools: ToolClient, http: httpx.AsyncClient) -> None:
    result = await tools.submit_body(
        CAT.resolve("json-formatter-api"), b'{"a":1}', {"tab-space": "2"}
    )
    assert result.result.preview == '{\n  "a": 1\n}'
    snap = result.snapshot("body-1")
    assert snap.status is JobStatus.SUCCESS and snap.result == result.result
    with pytest.raises(RequestRefused) as caught:
        await tools.submit_body(CAT.resolve("json-formatter-api"), b'{"a":\n 1,}')
    error = caught.value
    assert error.code == "INVALID_JSON" and error.http_status == 400
    assert error.body is not None and error.body["details"]["line"] == 2


async def test_refusals_and_client_side_checks(tools: ToolClient, world: SimWorld) -> None:
    with pytest.raises(RequestRefused) as caught:
        await tools.submit_url(CAT.resolve("no-such-tool-api"), "https://x.example/a.json")
    assert caught.value.code == "TOOL_NOT_FOUND" and caught.value.http_status == 404
    before = world.stats.requests
    for bad in ("ftp://x/a.json", "file:///etc/passwd", "not a url", "https://"):
        with pytest.raises(InvalidInput):
            await tools.submit_url(CAT.resolve("json-formatter-api"), bad)
    with pytest.raises(InvalidInput):
        await tools.submit_url(
            CAT.resolve("json-formatter-api"), "https://x/a.json", {"tab-space": "x"}
        )
    assert world.stats.requests == before  # refused before any request


@pytest.fixture
async def hostile() -> AsyncIterator[httpx.AsyncClient]:
    """A server answering the shapes PROVIDER.md lists, and broken ones."""
    bodies = {
        "/gateway-403": (403, b'{"message": "Forbidden"}', "application/json"),
        "/api-403": (
            403,
            b'{"status":"error","error":"FORBIDDEN","details":{"message":"no"}}',
            "application/json",
        ),
        "/delete-upload-api": (404, b'{"error": "Upload not found"}', "application/json"),
        "/html-502": (502, b"<html>bad gateway</html>", "text/html"),
        "/huge": (200, b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}', "application/json"),
        "/list-uploads-api": (200, b'{"uploads": "nope"}', "application/json"),
        "/upload-api": (
            200,
            b'{"upload_id": "u", "upload": {"url": "http://203.0.113.5/", "fields": {"key": "k"}}}',
            "application/json",
        ),
    }

    async def endpoint(request: Request) -> Response:
        status, body, ctype = bodies[request.url.path]
        return Response(body, status, media_type=ctype)

    app = Starlette(routes=[Route(p, endpoint, methods=["GET", "POST", "DELETE"]) for p in bodies])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


async def test_every_answer_shape_becomes_one_error_tree(hostile: httpx.AsyncClient) -> None:
    tools = ToolClient(hostile, "http://127.0.0.1:9", api_key=KEY)
    uploads = UploadClient(hostile, "http://127.0.0.1:9", api_key=KEY)

    def tool(path: str):  # type: ignore[no-untyped-def]
        return CAT.resolve(path.strip("/"))

    with pytest.raises(AuthError):  # a gateway's 403 is about the key, not a job
        await tools.submit_url(tool("gateway-403"), "https://x/a.json")
    with pytest.raises(ForbiddenError):
        await tools.submit_url(tool("api-403"), "https://x/a.json")
    with pytest.raises(ServerError) as server_error:
        await tools.submit_url(tool("html-502"), "https://x/a.json")
    assert server_error.value.code == "HTTP_502"
    with pytest.raises(BadResponse, match="larger than"):
        await tools.submit_url(tool("huge"), "https://x/a.json")
    with pytest.raises(UploadNotFound) as missing:
        await uploads.delete_upload("upl_1")
    assert missing.value.message.endswith("Upload not found")
    with pytest.raises(BadResponse, match="no uploads array"):
        await uploads.list_uploads()
    with pytest.raises(BadResponse, match="not safe"):  # plain http to a host that is no loopback
        await uploads.request_upload("a.json")


def test_s3_xml_errors_are_parsed_safely() -> None:
    xml = b'<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message><RequestId>1</RequestId></Error>'
    error = storage_error(Answer(403, httpx.Headers(), xml, None), "storage")
    assert isinstance(error, StorageRefused) and error.code == "AccessDenied" and error.expired
    bomb = (
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Error><Code>&b;</Code></Error>'
    )
    assert isinstance(storage_error(Answer(400, httpx.Headers(), bomb, None), "s"), BadResponse)
    assert isinstance(storage_error(Answer(500, httpx.Headers(), b"oops", None), "s"), BadResponse)

"""Bad input at the submitter (issue 17): whatever goes wrong after an upload was requested (the
file grows or vanishes while sent, the storage refuses it or its permission expires, the API
refuses the submission), a clear message says what, and nothing half-submitted is left behind:
the pending upload is deleted and no job exists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api.errors import ApiError
from jobmonitor.api.submit import ToolClient
from jobmonitor.api.uploads import UploadClient
from jobmonitor.core.submit import Submitter
from jobmonitor.sim import SimServer, SimWorld


@pytest.fixture
def submitter(http: httpx.AsyncClient, server: SimServer) -> Submitter:
    return Submitter(
        ToolClient(http, server.api_url, api_key=KEY),
        UploadClient(http, server.api_url, api_key=KEY),
    )


def nothing_left(world: SimWorld) -> None:
    assert world.uploads.all() == []  # the pending upload was deleted
    assert world.job_ids() == []  # and no job was started
    assert world.stats.by_route["delete-upload-api"] == 1


async def failure(
    submitter: Submitter, path: Path, progress: Callable[[int, int], None] | None = None
) -> ApiError:
    plan = submitter.plan("text-minify-api", [str(path)])
    assert plan.ok, plan.problems
    with pytest.raises(ApiError) as caught:
        await submitter.submit(plan, plan.items[0], progress=progress)
    return caught.value


async def test_a_file_that_grows_while_uploaded(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"line\n" * 200_000)

    def grow(sent: int, total: int) -> None:
        with path.open("ab") as f:
            f.write(b"more\n")

    error = await failure(submitter, path, grow)
    assert error.code == "FILE_CHANGED" and "log.txt" in error.message
    nothing_left(world)


async def test_a_file_that_vanishes_while_uploaded(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "gone.txt"
    path.write_bytes(b"x" * 1_000_000)
    error = await failure(submitter, path, lambda sent, total: path.unlink(missing_ok=True))
    assert error.code == "FILE_VANISHED" and "gone.txt" in error.message
    nothing_left(world)


async def test_an_upload_the_storage_refuses(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * 5_000)
    world.uploads.limits.max_size = 1_000  # beyond the policy's content-length range
    error = await failure(submitter, path)
    assert error.code == "EntityTooLarge" and error.message
    nothing_left(world)


async def test_an_upload_whose_permission_has_expired(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "late.txt"
    path.write_bytes(b"z" * 10_000)
    world.uploads.limits.ttl = -1  # the policy is past its expiry when the file arrives
    error = await failure(submitter, path)
    assert error.code == "AccessDenied" and "expired" in error.message.lower()
    nothing_left(world)


async def test_a_submission_the_api_refuses(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "data.json"
    path.write_text("{}")
    plan = submitter.plan("json-prettifier-api", [str(path)])  # unknown here and to the API
    with pytest.raises(ApiError) as caught:
        await submitter.submit(plan, plan.items[0])
    assert caught.value.code == "TOOL_NOT_FOUND" and caught.value.http_status == 404
    nothing_left(world)


@pytest.mark.parametrize(
    ("source", "code", "said"),
    [
        ("ftp://example.com/a.txt", "INVALID_URL", "http"),
        ("file:///etc/passwd", "INVALID_URL", "http"),
        ("ws://example.com/a.txt", "INVALID_URL", "http"),
    ],
)
def test_a_url_that_is_not_http_is_refused_before_anything_is_sent(
    submitter: Submitter, world: SimWorld, source: str, code: str, said: str
) -> None:
    plan = submitter.plan("text-minify-api", [source])
    (problem,) = plan.problems
    assert problem.error.code == code and said in problem.error.message.lower()
    assert world.stats.requests == 0

"""Submitter: every input checked before anything is sent; upload then submit; nothing
half-submitted left behind; one request budget shared with the polls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api.errors import Cancelled, InvalidInput, RequestRefused
from jobmonitor.api.submit import ToolClient
from jobmonitor.api.uploads import UploadClient
from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.submit import OpenGate, Submitter
from jobmonitor.sim import ManualClock, SimServer, SimWorld
from jobmonitor.sim.samples import samples_dir


@pytest.fixture
def submitter(http: httpx.AsyncClient, server: SimServer) -> Submitter:
    return Submitter(
        ToolClient(http, server.api_url, api_key=KEY),
        UploadClient(http, server.api_url, api_key=KEY),
    )


def test_the_plan_names_every_bad_input_and_sends_nothing(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "data.csv").write_text("a\n1\n")
    (tmp_path / "ok.json").write_text("{}")
    (tmp_path / "odd.zip").write_bytes(b"PK")
    plan = submitter.plan(
        "json-formatter-api",
        [
            str(tmp_path / "ok.json"),
            str(tmp_path / "missing.json"),
            str(tmp_path / "empty.json"),
            str(tmp_path / "data.csv"),
            str(tmp_path),
            "ftp://example.com/a.json",
            "https://example.com/report.csv",
            "https://example.com/data",
        ],
    )
    codes = [p.error.code for p in plan.problems]
    assert codes == [
        "FILE_NOT_FOUND",
        "EMPTY_FILE",
        "UNSUPPORTED_EXTENSION",
        "NOT_A_FILE",
        "INVALID_URL",
        "UNSUPPORTED_EXTENSION",
    ]
    assert [i.mode for i in plan.items] == ["file", "url"] and not plan.ok
    assert world.stats.requests == 0
    with pytest.raises(InvalidInput):
        submitter.plan("json-formatter-api", [], {"tab-space": "many"})
    unknown = submitter.plan("new-tool-api", [str(tmp_path / "odd.zip")])
    assert unknown.problems[0].error.code == "UNSUPPORTED_EXTENSION"  # the upload API's rule


async def test_a_file_is_uploaded_then_submitted_under_a_name_that_fits(
    submitter: Submitter, world: SimWorld, clock: ManualClock, tmp_path: Path
) -> None:
    source = tmp_path / "My Orders (2024).json"
    source.write_bytes((samples_dir() / "orders.json").read_bytes())
    plan = submitter.plan("json-to-csv-api", [str(source)])
    (item,) = plan.items
    assert item.upload_name == "My_Orders_2024.json" and item.label == "My Orders (2024).json"
    done = await submitter.submit(plan, item)
    assert done.mode == "file" and done.label == "My Orders (2024).json"
    assert done.upload_key and done.upload_key.endswith("/My_Orders_2024.json")
    clock.advance(60)
    assert world.status_of(done.job_id) == "success"
    assert isinstance(submitter.gate, OpenGate) and submitter.gate.sent == 2  # upload-api, tool


async def test_a_refused_submission_deletes_its_pending_upload(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    source = tmp_path / "data.json"
    source.write_text("{}")
    # A tool the catalogue does not know passes the plan; the API has no such route and refuses.
    plan = submitter.plan("json-prettifier-api", [str(source)])
    with pytest.raises(RequestRefused) as caught:
        await submitter.submit(plan, plan.items[0])
    assert caught.value.code == "TOOL_NOT_FOUND"
    assert world.stats.storage_requests == 1  # the file was stored...
    assert world.uploads.all() == []  # ...and its upload deleted when the submission failed
    assert world.stats.by_route["delete-upload-api"] == 1
    assert submitter.cleanup_failures == []


async def test_cancel_during_upload_leaves_nothing(
    submitter: Submitter, world: SimWorld, tmp_path: Path
) -> None:
    source = tmp_path / "big.txt"
    source.write_bytes(b"z" * 2_000_000)
    plan = submitter.plan("text-minify-api", [str(source)])
    cancel = asyncio.Event()
    with pytest.raises(Cancelled):
        await submitter.submit(
            plan, plan.items[0], progress=lambda d, t: cancel.set(), cancel=cancel
        )
    assert world.uploads.all() == []
    assert world.job_ids() == []


async def test_url_and_body_modes(
    submitter: Submitter, server: SimServer, world: SimWorld, tmp_path: Path
) -> None:
    url_plan = submitter.plan("xml-to-json-api", [f"{server.files_url}/samples/catalog.xml"])
    accepted = await submitter.submit(url_plan, url_plan.items[0])
    assert accepted.mode == "url" and accepted.status_url and accepted.upload_id is None
    small = tmp_path / "x.json"
    small.write_text('{"b": 2}')
    body_plan = submitter.plan("json-minify-api", [str(small)], body=True)
    finished = await submitter.submit(body_plan, body_plan.items[0])
    assert finished.snapshot is not None and finished.snapshot.terminal
    assert finished.snapshot.result is not None and finished.snapshot.result.preview == '{"b":2}'
    assert finished.job_id.startswith("body-")


async def test_polls_submissions_and_uploads_share_one_budget(
    http: httpx.AsyncClient, server: SimServer, world: SimWorld, tmp_path: Path
) -> None:
    budget = RequestBudget(600)
    submitter = Submitter(
        ToolClient(http, server.api_url, api_key=KEY),
        UploadClient(http, server.api_url, api_key=KEY),
        gate=budget,
    )
    source = tmp_path / "a.json"
    source.write_text("[]")
    plan = submitter.plan("json-validator-api", [str(source)])
    await submitter.submit(plan, plan.items[0])
    assert budget.used() == 2  # the upload request and the submission; storage is not the API's
    assert budget.delay() > 0  # the next poll waits its turn after them

"""The simulator's tool endpoints: real parsers, true line/column, body/url/file modes, refusals."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml
from simhelpers import KEY

from jobmonitor.sim import ManualClock, SimWorld, sample_names
from jobmonitor.sim.samples import sample_bytes
from jobmonitor.sim.toolbox import TOOLS
from jobmonitor.sim.toolwork import Options, ToolFailure

H = {"x-api-key": KEY}


def test_every_catalogue_family_has_tools() -> None:
    for slug in (
        "json-to-csv-api",
        "xml-to-yaml-api",
        "yaml-to-xml-api",
        "csv-to-json-api",
        "excel-to-json-api",
        "sql-formatter-api",
        "base85-decoder-api",
        "image-converter-api",
    ):
        assert slug in TOOLS


@pytest.mark.parametrize(
    ("name", "slug", "code", "line", "column"),
    [
        ("broken-trailing-comma.json", "json-formatter-api", "INVALID_JSON", 6, 3),
        ("broken-indent.yaml", "yaml-validator-api", "INVALID_YAML", 6, 4),
        ("broken-mismatched-tag.xml", "xml-to-json-api", "INVALID_XML", 4, 35),
        ("broken-quote.csv", "csv-to-json-api", "INVALID_CSV", 3, None),
        ("broken-ragged.csv", "csv-to-json-api", "INVALID_CSV", 3, None),
    ],
)
def test_broken_samples_fail_where_the_input_is_broken(
    name: str, slug: str, code: str, line: int, column: int | None
) -> None:
    data = sample_bytes(name)
    assert data is not None
    with pytest.raises(ToolFailure) as failed:
        TOOLS[slug].run(data, Options({}))
    assert failed.value.code == code
    assert failed.value.details.get("line") == line
    assert failed.value.details.get("column") == column
    if column is not None:  # the position names a real character of that line
        text_line = data.decode().splitlines()[line - 1]
        assert len(text_line) >= column


def test_json_position_is_the_stdlib_parsers() -> None:
    data = b'{\n  "a": 1,\n  "b": tru\n}'
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        expected = (exc.msg, exc.lineno, exc.colno)
    with pytest.raises(ToolFailure) as failed:
        TOOLS["json-minify-api"].run(data, Options({}))
    got = failed.value
    assert (got.message, got.details["line"], got.details["column"]) == expected


def test_good_samples_convert() -> None:
    good = [n for n in sample_names() if not n.startswith("broken") and n != "README.md"]
    assert len(good) >= 5
    out = TOOLS["csv-remove-duplicates-api"].run(sample_bytes("people.csv") or b"", Options({}))
    assert out.content.decode().count("Ada") == 1
    converted = TOOLS["yaml-to-xml-api"].run(sample_bytes("config.yaml") or b"", Options({}))
    assert b"<service>billing</service>" in converted.content
    assert yaml.safe_load(TOOLS["json-to-yaml-api"].run(b'{"a": [1]}', Options({})).content) == {
        "a": [1]
    }


def test_options_are_read_and_checked() -> None:
    out = TOOLS["json-formatter-api"].run(b'{"a":1}', Options({"x-tab-space": "4"}))
    assert out.content == b'{\n    "a": 1\n}'
    out = TOOLS["csv-to-xml-api"].run(b"a\n1\n", Options({"x-root-name": "r", "x-row-name": "x"}))
    assert b"<r>" in out.content and b"<x>" in out.content


async def _wait_status(api: httpx.AsyncClient, clock: ManualClock, job: str, want: str) -> dict:
    for _ in range(20):
        r = await api.get(f"/jobs/{job}", headers=H)
        if r.json()["status"] == want:
            return r.json()
        clock.advance(0.5)
    raise AssertionError(f"{job} never became {want}: {r.json()}")


async def test_url_mode_runs_the_tool_and_the_result_lands_on_the_files_origin(
    api: httpx.AsyncClient, files: httpx.AsyncClient, world: SimWorld, clock: ManualClock
) -> None:
    r = await api.post(
        "/json-to-csv-api",
        headers={**H, "x-source-type": "url"},
        json={"url": "http://files.test/samples/orders.json"},
    )
    assert r.status_code == 202
    accepted = r.json()
    assert accepted["status"] == "accepted" and accepted["request_id"]
    assert accepted["status_url"] == f"http://api.test/jobs/{accepted['job_id']}"
    first = (await api.get(f"/jobs/{accepted['job_id']}", headers=H)).json()
    assert first["status"] == "accepted"
    done = await _wait_status(api, clock, accepted["job_id"], "success")
    url = done["result"]["file"]
    assert url.startswith("http://files.test/files/") and url.endswith(".csv")
    body = (await files.get(url)).content
    assert body.startswith(b"id,sku,qty,customer.name")


async def test_a_broken_input_fails_the_job_with_the_parsers_error(
    api: httpx.AsyncClient, world: SimWorld, clock: ManualClock
) -> None:
    r = await api.post(
        "/json-formatter-api",
        headers={**H, "x-source-type": "url"},
        json={"url": "http://files.test/samples/broken-trailing-comma.json"},
    )
    failed = await _wait_status(api, clock, r.json()["job_id"], "failed")
    assert failed["error"]["code"] == "INVALID_JSON"
    assert (failed["error"]["details"]["line"], failed["error"]["details"]["column"]) == (6, 3)


async def test_body_mode_answers_the_result_at_once(
    api: httpx.AsyncClient, files: httpx.AsyncClient
) -> None:
    r = await api.post("/json-minify-api", headers=H, content=b'{ "a" : [1, 2] }')
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "success" and body["preview"] == '{"a":[1,2]}'
    assert (await files.get(body["file"])).content == b'{"a":[1,2]}'
    wrapped = await api.post("/base64-encoder-api", headers=H, json={"content": "hi"})
    assert wrapped.json()["preview"] == "aGk="
    bad = await api.post("/yaml-validator-api", headers=H, content=b"a: [1, 2\n")
    assert bad.status_code == 400 and bad.json()["error"] == "INVALID_YAML"
    assert bad.json()["details"]["line"] == 2


@pytest.mark.parametrize(
    ("path", "headers", "body", "status", "shape"),
    [
        ("/no-such-tool-api", {}, None, 404, {"message": "Not Found"}),
        (
            "/json-formatter-api",
            {"x-source-type": "url"},
            {"url": "ftp://x/a.json"},
            400,
            "INVALID_URL",
        ),
        (
            "/json-formatter-api",
            {"x-source-type": "url"},
            {"url": "http://files.test/samples/notes.md"},
            400,
            "UNSUPPORTED_FILE_TYPE",
        ),
        ("/json-formatter-api", {"x-source-type": "disk"}, {}, 400, "INVALID_SOURCE_TYPE"),
        (
            "/json-formatter-api",
            {"x-source-type": "file"},
            {"file": "u/x/y.json"},
            400,
            "FILE_NOT_FOUND",
        ),
        ("/json-formatter-api", {"x-tab-space": "lots"}, None, 400, "INVALID_PARAMETER"),
        ("/excel-to-json-api", {}, None, 400, "MISSING_PARAMETER"),
        ("/image-converter-api", {"x-source-format": "png"}, None, 400, "MISSING_PARAMETER"),
    ],
)
async def test_submissions_the_api_refuses(
    api: httpx.AsyncClient,
    world: SimWorld,
    path: str,
    headers: dict[str, str],
    body: object,
    status: int,
    shape: object,
) -> None:
    jobs_before = len(world.job_ids())
    kwargs = {"json": body} if body is not None else {"content": b"{}"}
    r = await api.post(path, headers={**H, **headers}, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == status
    if isinstance(shape, dict):
        assert r.json() == shape
    else:
        assert r.json()["status"] == "error" and r.json()["error"] == shape
    assert len(world.job_ids()) == jobs_before  # nothing half-submitted


async def test_tools_share_the_key_check_and_the_rate_limit(
    api: httpx.AsyncClient, world: SimWorld
) -> None:
    assert (await api.post("/json-minify-api", content=b"{}")).status_code == 401
    world.rate_limit = 1
    assert (await api.post("/json-minify-api", headers=H, content=b"{}")).status_code == 200
    assert (await api.post("/json-minify-api", headers=H, content=b"{}")).status_code == 429
    assert world.stats.by_route["json-minify-api"] == 3


async def test_prefixed_ids_and_a_200_accepted(api: httpx.AsyncClient, world: SimWorld) -> None:
    world.tools.job_id_style = "prefixed"
    world.tools.accepted_status = 200
    r = await api.post(
        "/text-minify-api",
        headers={**H, "x-source-type": "url"},
        json={"url": "http://files.test/samples/notes.txt"},
    )
    assert r.status_code == 200
    job_id = r.json()["job_id"]
    assert job_id.startswith("job-") and job_id != job_id.upper()
    assert (await api.get(f"/jobs/{job_id}", headers=H)).status_code == 200

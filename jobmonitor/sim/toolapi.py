"""The API origin's tool, upload, list and delete routes (the Status routes are in ``app.py``).

``POST /<slug>`` runs a tool of ``toolbox.TOOLS``: ``body`` mode answers the result at once,
``url`` and ``file`` modes create a job whose outcome (the real output, or the parser's error)
the Status API reports once its timeline has run. ``POST /upload-api``, ``GET /list-uploads-api``
and ``DELETE /delete-upload-api`` manage uploads for the storage origin (``storage.py``).
Every route shares the Status API's key check and per-key rate limit.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobmonitor.sim.faults import Answer
from jobmonitor.sim.files import iter_content
from jobmonitor.sim.samples import sample_bytes
from jobmonitor.sim.toolbox import TOOLS, SimTool
from jobmonitor.sim.toolwork import PREVIEW_CHARS, BadParameter, Options, Output, ToolFailure
from jobmonitor.sim.uploads import ALLOWED_EXTENSIONS, FILENAME_RE
from jobmonitor.sim.world import SimWorld

MAX_JSON_BODY = 64 * 1024
MAX_BODY_MODE = 10 * 1024 * 1024  # an API gateway's payload limit
SOURCE_TYPES = ("body", "url", "file")
_NOT_OPTIONS = frozenset({"x-api-key", "x-source-type", "x-upload-status", "x-upload-id"})


def error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(
        {"status": "error", "error": code, "details": {"message": message, **details}}, status
    )


class _TooLarge(Exception):
    pass


async def _body(request: Request, cap: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _rendered(answer: Answer) -> Response:
    return JSONResponse(answer.body, answer.status, headers=answer.headers)


def tool_routes(world: SimWorld) -> list[Route]:
    """The routes, bound to ``world``."""

    async def gate(request: Request, route: str) -> Response | dict[str, str]:
        refused, headers = world.admit(route, request.headers.get("x-api-key"))
        return _rendered(refused) if refused is not None else headers

    async def json_object(request: Request) -> dict[str, Any] | Response:
        try:
            data = json.loads(await _body(request, MAX_JSON_BODY))
        except _TooLarge:
            return JSONResponse({"message": "Request Too Long"}, 413)
        except (ValueError, UnicodeDecodeError):
            return error(400, "INVALID_REQUEST", "the body must be a JSON object")
        if not isinstance(data, dict):
            return error(400, "INVALID_REQUEST", "the body must be a JSON object")
        return data

    async def upload(request: Request) -> Response:
        headers = await gate(request, "upload-api")
        if isinstance(headers, Response):
            return headers
        data = await json_object(request)
        if isinstance(data, Response):
            return data
        name = data.get("filename")
        if not isinstance(name, str) or not name:
            return error(400, "INVALID_REQUEST", "filename is required")
        if len(name) > 255 or FILENAME_RE.fullmatch(name) is None:
            return error(
                400,
                "INVALID_FILENAME",
                "filename must be letters and digits with optional _ or -, one '.', and one of "
                "the extensions " + ", ".join(ALLOWED_EXTENSIONS),
            )
        store, key = world.uploads, request.headers["x-api-key"]
        if store.pending_count(key) >= store.limits.max_pending:
            return error(400, "TOO_MANY_PENDING_UPLOADS", "too many pending uploads")
        item = store.create(key, name)
        body = {
            "status": "success",
            "upload_id": item.upload_id,
            "upload": {
                "url": world.storage_base_url.rstrip("/") + "/",
                "fields": store.presign(item),
            },
            "expires_in": int(store.limits.ttl),
        }
        return JSONResponse(body, headers=headers)

    async def listing(request: Request) -> Response:
        headers = await gate(request, "list-uploads-api")
        if isinstance(headers, Response):
            return headers
        wanted = request.headers.get("x-upload-status")
        if wanted is not None and wanted not in ("pending", "completed", "failed"):
            return error(
                400, "INVALID_PARAMETER", "x-upload-status must be pending, completed or failed"
            )
        items = world.uploads.listing(request.headers["x-api-key"], wanted)
        return JSONResponse(
            {"status": "success", "count": len(items), "uploads": items}, headers=headers
        )

    async def delete(request: Request) -> Response:
        headers = await gate(request, "delete-upload-api")
        if isinstance(headers, Response):
            return headers
        upload_id = request.headers.get("x-upload-id")
        if not upload_id:
            return JSONResponse({"error": "x-upload-id header is required"}, 400)
        if not world.uploads.delete(request.headers["x-api-key"], upload_id):
            return JSONResponse({"error": "Upload not found"}, 404)
        body = {"status": "success", "message": "Upload deleted", "upload_id": upload_id}
        return JSONResponse(body, headers=headers)

    async def tool(request: Request) -> Response:
        slug = request.path_params["slug"]
        headers = await gate(request, slug)
        if isinstance(headers, Response):
            return headers
        spec = TOOLS.get(slug)
        if spec is None:  # what a gateway answers for a route it does not have
            return JSONResponse({"message": "Not Found"}, 404)
        source = request.headers.get("x-source-type")
        if source is None and spec.source_type_required:
            return error(400, "MISSING_PARAMETER", "x-source-type is required")
        source = (source or "body").strip().lower()
        if source not in SOURCE_TYPES:
            return error(400, "INVALID_SOURCE_TYPE", "x-source-type must be body, url or file")
        options = Options(
            {
                k.lower(): v
                for k, v in request.headers.items()
                if k.lower().startswith("x-") and k.lower() not in _NOT_OPTIONS
            }
        )
        key = request.headers["x-api-key"]
        if source == "body":
            return await body_mode(request, spec, slug, options, key, headers)
        data = await json_object(request)
        if isinstance(data, Response):
            return data
        fetched = fetch_url(data) if source == "url" else fetch_upload(data, key)
        if isinstance(fetched, Response):
            return fetched
        name, content = fetched
        ext = name.rpartition(".")[2].lower() if "." in name else None
        if ext is not None and ext not in spec.inputs:
            return error(
                400,
                "UNSUPPORTED_FILE_TYPE",
                f"{slug} takes {', '.join('.' + e for e in spec.inputs)}",
            )
        if content is None:
            outcome: Output | ToolFailure | BadParameter = ToolFailure(
                "URL_FETCH_FAILED",
                "Could not fetch the URL (the simulator fetches only its own sample and "
                "result files).",
                {"url": str(data.get("url"))},
            )
        else:
            outcome = await run(spec, content, options)
        if isinstance(outcome, BadParameter):
            return error(400, outcome.code, outcome.message)
        job_id = add_job(slug, key, outcome, world.tools.accepted_for)
        body = {
            "status": "accepted",
            "job_id": job_id,
            "status_url": f"{str(request.base_url).rstrip('/')}/jobs/{job_id}",
            "request_id": str(uuid.uuid4()),
        }
        return JSONResponse(body, world.tools.accepted_status, headers=headers)

    async def body_mode(
        request: Request,
        spec: SimTool,
        slug: str,
        options: Options,
        key: str,
        headers: dict[str, str],
    ) -> Response:
        try:
            raw = await _body(request, MAX_BODY_MODE)
        except _TooLarge:
            return JSONResponse({"message": "Request Too Long"}, 413)
        content = _unwrap(raw, request.headers.get("content-type", ""))
        outcome = await run(spec, content, options)
        if isinstance(outcome, BadParameter):
            return error(400, outcome.code, outcome.message)
        if isinstance(outcome, ToolFailure):
            return error(400, outcome.code, outcome.message, **outcome.details)
        job_id = add_job(slug, key, outcome, 0.0, instant=True)
        job = world.job(job_id)
        body = {
            "status": "success",
            "request_id": str(uuid.uuid5(uuid.NAMESPACE_URL, job_id)),
            "file": world.file_url(job_id),
            "preview": job.preview,
        }
        return JSONResponse(body, headers=headers)

    async def run(
        spec: SimTool, data: bytes, options: Options
    ) -> Output | ToolFailure | BadParameter:
        if len(data) > world.tools.max_input_bytes:
            return ToolFailure(
                "FILE_TOO_LARGE", "The input exceeds the plan's limit.", {"size": len(data)}
            )
        try:  # a thread: a large input's parse must not stall the other origins' answers
            return await asyncio.to_thread(spec.run, data, options)
        except (ToolFailure, BadParameter) as exc:
            return exc

    def add_job(
        slug: str,
        key: str,
        outcome: Output | ToolFailure,
        accepted: float,
        *,
        instant: bool = False,
    ) -> str:
        t = world.tools
        timing: dict[str, Any] = {
            "accepted_for": 0.0 if instant else accepted,
            "queued_for": 0.0 if instant else t.queued_for,
            "processing_for": 0.0 if instant else t.processing_for,
            "retry_after": t.retry_after,
        }
        if isinstance(outcome, ToolFailure):
            return world.add_job(
                key,
                job_id=world.new_job_id(),
                outcome="failed",
                error_code=outcome.code,
                error_message=outcome.message,
                error_details=outcome.details,
                **timing,
            )
        job_id = world.new_job_id()
        stem = slug.removesuffix("-api").replace("-", "_")
        preview = outcome.preview or outcome.content[:PREVIEW_CHARS].decode("utf-8", "replace")
        return world.add_job(
            key,
            job_id=job_id,
            preview=preview,
            content=outcome.content,
            file_name=f"apidatatools_{stem}_{job_id[:8]}.{outcome.ext}",
            extra_result={"stand_in": True} if outcome.stand_in else None,
            **timing,
        )

    def fetch_url(data: dict[str, Any]) -> tuple[str, bytes | None] | Response:
        url = data.get("url")
        if (
            not isinstance(url, str)
            or urlsplit(url).scheme not in ("http", "https")
            or not urlsplit(url).hostname
        ):
            return error(400, "INVALID_URL", "url must be an http(s) URL")
        parts = urlsplit(url)
        name = unquote(parts.path.rsplit("/", 1)[-1])
        own = urlsplit(world.files_base_url)
        content: bytes | None = None
        if (parts.hostname, parts.port) == (own.hostname, own.port):
            content = _own_file(world, parts.path)
        return name, content

    def fetch_upload(data: dict[str, Any], key: str) -> tuple[str, bytes | None] | Response:
        ref = data.get("file")
        if not isinstance(ref, str) or not ref:
            return error(400, "INVALID_REQUEST", "file (the key of an uploaded file) is required")
        item = world.uploads.by_key(key, ref)
        if item is None or item.path is None:
            return error(400, "FILE_NOT_FOUND", "no completed upload has this key")
        return item.filename, item.path.read_bytes()[: world.tools.max_input_bytes + 1]

    return [
        Route("/upload-api", upload, methods=["POST"]),
        Route("/list-uploads-api", listing, methods=["GET"]),
        Route("/delete-upload-api", delete, methods=["DELETE"]),
        Route("/{slug}", tool, methods=["POST"]),
    ]


def _unwrap(raw: bytes, content_type: str) -> bytes:
    """Body mode takes the payload raw or as ``{"content": "..."}`` (the pages show both)."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        return raw
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw
    if isinstance(data, dict) and set(data) == {"content"} and isinstance(data["content"], str):
        return data["content"].encode()
    return raw


def _own_file(world: SimWorld, path: str) -> bytes | None:
    segments = [unquote(s) for s in path.split("/") if s]
    if len(segments) == 2 and segments[0] == "samples":
        return sample_bytes(segments[1])
    if len(segments) == 3 and segments[0] == "files":
        found = world.resolve_file(segments[1], segments[2])
        if found.file is not None and found.file.size <= world.tools.max_input_bytes:
            return b"".join(iter_content(found.file, 0, found.file.size))
    return None

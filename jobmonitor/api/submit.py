"""Client of the tool endpoints: ``POST {base}/{slug}`` in ``url``, ``file`` and ``body`` mode.

``url`` and ``file`` submissions create a job: the answer ("Async Job Accepted") is parsed into
``Accepted`` (job id, ``status_url``, ``request_id``), on a 200 or a 202 alike. ``body`` mode is
synchronous: its answer is already the result (``BodyResult``), the same object a finished job
carries as ``result``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from jobmonitor.api.errors import BadResponse, InvalidInput, InvalidJobId
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import JobResult, JobSnapshot
from jobmonitor.api.tools import Tool
from jobmonitor.api.urls import normalize_base_url, origin_of
from jobmonitor.api.wire import Answer, exchange, raise_for_answer

MAX_BODY_MODE_BYTES = 1024 * 1024  # body mode is for small text; larger goes through an upload


@dataclass(frozen=True, slots=True)
class Accepted:
    """A submission the API took: the job to watch."""

    job_id: str
    status: str
    status_url: str | None
    request_id: str | None
    http_status: int
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class BodyResult:
    """A body-mode answer: the result itself."""

    result: JobResult
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def snapshot(self, job_id: str) -> JobSnapshot:
        """The result as a finished job's snapshot (to record it like any other job)."""
        data = {"job_id": job_id, "status": "success", "result": dict(self.raw)}
        return JobSnapshot.from_wire(data, requested_id=job_id)


def check_source_url(url: str) -> str:
    """A ``url``-mode source: an http(s) URL with a host (the provider fetches it)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url[:100]!r} is not an http(s) URL", code="INVALID_URL")
    return text


class ToolClient:
    """Submits tools; the key goes only to the API's origin."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, *, api_key: str | None = None
    ) -> None:
        self._http = http
        self.base_url = normalize_base_url(base_url)
        self.origin = origin_of(self.base_url)
        self.api_key = api_key

    def tool_url(self, tool: Tool) -> str:
        return f"{self.base_url}/{quote(tool.slug, safe='-')}"

    async def submit_url(
        self, tool: Tool, url: str, options: Mapping[str, str] | None = None
    ) -> Accepted:
        source = check_source_url(url)
        return await self._submit(tool, "url", {"url": source}, options)

    async def submit_file(
        self, tool: Tool, key: str, options: Mapping[str, str] | None = None
    ) -> Accepted:
        """Submit an uploaded file by its object key (``UploadTicket.key``)."""
        if not key:
            raise InvalidInput(
                "no file reference (the upload's key) to submit", code="INVALID_INPUT"
            )
        return await self._submit(tool, "file", {"file": key}, options)

    async def submit_body(
        self, tool: Tool, content: bytes, options: Mapping[str, str] | None = None
    ) -> BodyResult:
        """Send small content in the request itself; the answer is the result."""
        if len(content) > MAX_BODY_MODE_BYTES:
            raise InvalidInput(
                f"body mode takes at most {MAX_BODY_MODE_BYTES // 1024} KiB; upload larger files",
                code="BODY_TOO_LARGE",
            )
        headers = {**tool.headers(options or {}), "x-source-type": "body"}
        headers["content-type"] = (
            "application/octet-stream" if tool.binary else "text/plain; charset=utf-8"
        )
        what = f"{tool.slug} (body)"
        _, data = await self._post(tool, what, headers, content=content)
        if str(data.get("status", "success")).lower() != "success":
            raise BadResponse(f"{what}: the answer's status is {data.get('status')!r}", body=data)
        return BodyResult(JobResult.from_wire(data), MappingProxyType(dict(data)))

    async def _post(
        self,
        tool: Tool,
        what: str,
        headers: dict[str, str],
        *,
        json_body: Any = None,
        content: bytes | None = None,
    ) -> tuple[Answer, dict[str, Any]]:
        """One POST to the tool's endpoint (key only to the API origin) and its checked body."""
        answer = await exchange(
            self._http,
            "POST",
            self.tool_url(tool),
            api_origin=self.origin,
            api_key=self.api_key,
            what=what,
            headers=headers,
            json_body=json_body,
            content=content,
        )
        return answer, raise_for_answer(answer, what, not_found_code="TOOL_NOT_FOUND")

    async def _submit(
        self, tool: Tool, mode: str, payload: dict[str, str], options: Mapping[str, str] | None
    ) -> Accepted:
        headers = {**tool.headers(options or {}), "x-source-type": mode}
        what = f"{tool.slug} ({mode})"
        answer, data = await self._post(tool, what, headers, json_body=payload)
        raw_id = data.get("job_id")
        if not isinstance(raw_id, str):
            raise BadResponse(
                f"{what}: the answer has no job_id", http_status=answer.status, body=data
            )
        try:
            job_id = normalize_job_id(raw_id)
        except InvalidJobId as exc:
            raise BadResponse(
                f"{what}: the answer's job_id is unusable: {exc.reason}", body=data
            ) from None
        status_url = data.get("status_url")
        request_id = data.get("request_id")
        return Accepted(
            job_id=job_id,
            status=str(data.get("status") or "accepted"),
            status_url=status_url if isinstance(status_url, str) else None,
            request_id=str(request_id)[:300] if request_id is not None else None,
            http_status=answer.status,
            raw=MappingProxyType(dict(data)),
        )

"""One request/answer exchange for the tool and upload endpoints, and every error shape they use.

The provider's endpoints answer errors in several shapes (PROVIDER.md): the Status API's
``{"status": "error", "error": CODE, "details": {...}}``, the delete-upload page's sentence
``{"error": "Upload not found"}``, a gateway's ``{"message": "Forbidden"}``, and S3's XML. All of
them become one ``ApiError`` here, with the same caps as the status answers: bodies are read to a
bound before parsing, redirects are never followed (the key stays on its origin), and anything
unparseable is a ``BadResponse``, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
import httpx
from defusedxml import DefusedXmlException

from jobmonitor.api.bodies import TooDeep, error_fields, parse_json_object
from jobmonitor.api.errors import (
    ApiError,
    AuthError,
    BadResponse,
    ForbiddenError,
    RateLimited,
    RequestRefused,
    ServerError,
    StorageRefused,
    Unreachable,
    UnsafeRedirect,
)
from jobmonitor.api.models import RateLimitInfo
from jobmonitor.api.transport import describe_transport_error
from jobmonitor.api.urls import with_key

MAX_ANSWER_BYTES = 1024 * 1024
MAX_XML_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    rate_limit: RateLimitInfo | None

    def json_object(self) -> dict[str, Any] | None:
        return json_object(self.body)


def json_object(body: bytes) -> dict[str, Any] | None:
    """The answer as a dict, or None for anything else (too deep included): see ``api/bodies``."""
    try:
        return parse_json_object(body)
    except TooDeep:
        return None


def transport_error(exc: httpx.HTTPError, what: str, peer: str = "the API") -> ApiError:
    """An httpx failure as the error tree's (mapped here, at the boundary), in the one wording."""
    if isinstance(exc, httpx.RemoteProtocolError):
        return BadResponse(f"{what}: broken or truncated response from {peer}")
    if isinstance(exc, httpx.TransportError):
        return Unreachable(f"{what}: {describe_transport_error(exc, peer)}")
    return Unreachable(f"{what}: network error talking to {peer} ({type(exc).__name__})")


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    api_origin: str,
    api_key: str | None,
    what: str,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    cap: int = MAX_ANSWER_BYTES,
) -> Answer:
    """Send one request and read its answer to at most ``cap`` bytes; the key only to the API's
    origin; a redirect is an error (never followed with the key, nor with a request body)."""
    out = with_key({"accept": "application/json", **(headers or {})}, url, api_origin, api_key)
    try:
        request = http.build_request(method, url, headers=out, json=json_body, content=content)
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > cap:
                raise BadResponse(f"{what}: answer larger than {cap} bytes; not read")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise BadResponse(f"{what}: answer larger than {cap} bytes; not read")
                chunks.append(chunk)
        finally:
            await response.aclose()
    except httpx.HTTPError as exc:
        raise transport_error(exc, what) from None
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        target = response.headers.get("location", "")
        raise UnsafeRedirect(
            f"{what}: redirected ({status}) to {target[:100]!r}; not followed",
            http_status=status,
        )
    data = json_object(b"".join(chunks)) if status == 429 else None
    rate = RateLimitInfo.from_headers(response.headers, now=time.time(), body=data)
    return Answer(status, response.headers, b"".join(chunks), rate)


def raise_for_answer(
    answer: Answer,
    what: str,
    *,
    not_found: type[ApiError] = RequestRefused,
    not_found_code: str = "NOT_FOUND",
) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or the matching ``ApiError`` for anything else."""
    data = answer.json_object()
    status = answer.status
    if 200 <= status < 300:
        if data is None:
            raise BadResponse(_describe(answer, f"{what}: not a JSON answer"), http_status=status)
        return data
    code, message = error_fields(data)
    api_body = data is not None and ("error" in data or "message" in data)
    kwargs: dict[str, Any] = {
        "http_status": status,
        "body": data if api_body else None,
        "rate_limit": answer.rate_limit,
    }
    if status == 401:
        raise AuthError(message or "the API key was rejected", code=code, **kwargs)
    if status == 403:
        if code == "FORBIDDEN" and data is not None and "error" in data:
            raise ForbiddenError(message or "access denied", code=code, **kwargs)
        raise AuthError(message or "the API refused the key (403)", **kwargs)  # a gateway's
    if status == 429:
        retry = answer.rate_limit.retry_after if answer.rate_limit is not None else None
        raise RateLimited(message or "too many requests", retry_after=retry, code=code, **kwargs)
    if 500 <= status <= 599:
        if not api_body:
            kwargs["code"] = f"HTTP_{status}"
            raise ServerError(_describe(answer, f"{what}: server error {status}"), **kwargs)
        raise ServerError(message or f"server error {status}", code=code, **kwargs)
    if status == 404:
        raise not_found(f"{what}: {message or 'not found'}", code=code or not_found_code, **kwargs)
    if 400 <= status < 500 and api_body:
        raise RequestRefused(
            message or f"{what} was refused", code=code or f"HTTP_{status}", **kwargs
        )
    kwargs["code"] = f"HTTP_{status}"
    raise BadResponse(_describe(answer, f"{what}: unexpected HTTP status {status}"), **kwargs)


def storage_error(answer: Answer, what: str) -> StorageRefused | BadResponse:
    """The storage origin's S3 XML error (``<Error><Code>..<Message>..``) as an ApiError."""
    if len(answer.body) <= MAX_XML_BYTES:
        try:
            root = SafeET.fromstring(answer.body)
        except (SafeET.ParseError, DefusedXmlException, ValueError):
            root = None
        if root is not None and root.tag == "Error":
            code = (root.findtext("Code") or "").strip() or f"HTTP_{answer.status}"
            message = (root.findtext("Message") or "").strip() or "refused"
            extra = {c.tag: (c.text or "") for c in root if c.tag not in ("Code", "Message")}
            # S3's words are for developers; say what they mean for the person who submitted.
            hint = (
                " (the upload's permission ran out before the file arrived: submit it again)"
                if "expired" in message.lower()
                else ""
            )
            return StorageRefused(
                f"{what}: {message}{hint}",
                code=code[:64],
                http_status=answer.status,
                body={"error": code[:64], "details": {"message": message, **extra}},
            )
    return BadResponse(
        _describe(answer, f"{what}: the storage answered {answer.status}"),
        http_status=answer.status,
        code=f"HTTP_{answer.status}",
    )


def _describe(answer: Answer, prefix: str) -> str:
    ctype = answer.headers.get("content-type", "no content type").split(";")[0]
    if not answer.body:
        return f"{prefix} (empty body)"
    snippet = answer.body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    return f"{prefix} ({ctype}, {len(answer.body)} bytes: {snippet!r})"

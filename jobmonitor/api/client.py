"""Async client of the Status API over an injected ``httpx.AsyncClient`` (or a ``StatusHttp``).

The client owns no connection pool: the composition root creates one ``httpx.AsyncClient`` per
origin and hands it in (tests hand one wrapping ``httpx.ASGITransport`` or a loopback socket).
The key is attached per request and only to the API's own origin; redirects are followed by hand,
same-origin only, so the key never leaves the origin (the rules themselves: ``api/urls.py``).

Nothing but an ``ApiError`` leaves ``get_job``: whatever else an answer makes go wrong below
(a bug included) is logged and raised as a transient ``BadResponse`` of that request, so one odd
answer is one job's fault, never its caller's. Every request has a total ``deadline`` (a body
trickled a byte at a time restarts httpx's read timeout on every byte), and bodies are decoded
with a bound (``api/decoding.py``) before the 1 MiB cap, not after.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from jobmonitor.api.bodies import (
    MAX_JSON_DEPTH,
    TooDeep,
    describe_garbage,
    error_fields,
    parse_json_object,
)
from jobmonitor.api.decoding import BoundedDecoder, DecodingFailed
from jobmonitor.api.errors import (
    ApiError,
    AuthError,
    BadResponse,
    ForbiddenError,
    InsecureUrl,
    InvalidJobId,
    JobNotFound,
    RateLimited,
    ServerError,
    Unreachable,
    UnsafeRedirect,
)
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import JobSnapshot, RateLimitInfo
from jobmonitor.api.transport import describe_transport_error
from jobmonitor.api.urls import (
    MAX_REDIRECTS,
    check_url_security,
    normalize_base_url,
    origin_of,
    redirect_target,
    with_key,
)

DEFAULT_ROUTE = "/jobs/{job_id}"
FALLBACK_ROUTE = "/status-api/{job_id}"
MAX_BODY_BYTES = 1024 * 1024  # a status answer is a few hundred bytes; 1 MiB is generous
DEFAULT_DEADLINE = 30.0  # seconds for one whole status request: redirects, route fallback, body
ACCEPT_ENCODING = "gzip, deflate"  # what api/decoding.py undoes (httpx would add br, zstd)

log = logging.getLogger(__name__)


class StatusAnswer(Protocol):
    """What the client reads of an answer (``httpx.Response`` has it all)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> httpx.Headers: ...
    @property
    def is_stream_consumed(self) -> bool: ...
    @property
    def content(self) -> bytes: ...
    def aiter_raw(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


class StatusHttp(Protocol):
    """What the client asks of its HTTP client: an ``httpx.AsyncClient``, or the desktop app's
    lean one for status polls (``core/litehttp.py``)."""

    def build_request(self, method: str, url: str, *, headers: dict[str, str]) -> Any: ...
    async def send(self, request: Any, *, stream: bool, follow_redirects: bool) -> StatusAnswer: ...
    async def aclose(self) -> None: ...


class StatusClient:
    """Typed access to ``GET {base}/jobs/{job_id}`` (or the route the server actually has)."""

    def __init__(
        self,
        http: StatusHttp,
        base_url: str,
        *,
        api_key: str | None = None,
        route_template: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        on_route_learned: Callable[[str], None] | None = None,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self._http = http
        self.deadline = deadline
        self.base_url = normalize_base_url(base_url)
        self.origin = origin_of(self.base_url)
        self._api_key = api_key
        self._wall_clock = wall_clock
        self._on_route_learned = on_route_learned
        if route_template is not None and "{job_id}" not in route_template:
            raise ValueError("the route template must contain {job_id}")
        # An explicit template is used as is; otherwise try the documented route, then the
        # route every example uses, and remember whichever the server has.
        self._routes: list[str] = (
            [route_template] if route_template else [DEFAULT_ROUTE, FALLBACK_ROUTE]
        )
        self._route_fixed = route_template is not None

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @api_key.setter
    def api_key(self, key: str | None) -> None:
        self._api_key = key.strip() if key else None

    @property
    def route_template(self) -> str:
        """The route in use (the learned one after a fallback)."""
        return self._routes[0]

    def job_url(self, job_id: str, route: str | None = None) -> str:
        path = (route or self.route_template).replace("{job_id}", quote(job_id, safe=""))
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def usable_status_url(self, status_url: str | None) -> str | None:
        """A submission's ``status_url`` when it is on the API's own origin (else None: the key
        never goes to another origin, and the route template is used instead)."""
        if not status_url:
            return None
        try:
            check_url_security(status_url)
        except InsecureUrl:
            return None
        return status_url if origin_of(status_url) == self.origin else None

    async def get_job(
        self, job_id: str, *, status_url: str | None = None, http: StatusHttp | None = None
    ) -> JobSnapshot:
        """Fetch one job (at its ``status_url`` when that is on the API's origin). Raises an
        ``ApiError`` subclass for every error answer and fault, and nothing else (see the
        module doc). ``http``: another HTTP client than the client's own for this request
        (the desktop app's poll lane, on its worker thread's loop)."""
        try:
            normalized = normalize_job_id(job_id)
        except InvalidJobId as exc:
            exc.job_id = job_id
            raise
        try:
            async with asyncio.timeout(self.deadline):
                return await self._get_routed(
                    normalized, self.usable_status_url(status_url), http or self._http
                )
        except ApiError:
            raise
        except TimeoutError:
            raise Unreachable(
                f"no complete answer within {self.deadline:g} s", job_id=normalized
            ) from None
        except Exception as exc:  # the api boundary: nothing else goes further
            log.warning("unexpected fault in the answer about job %s", normalized, exc_info=True)
            raise BadResponse(
                f"the answer could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                job_id=normalized,
            ) from exc

    async def _get_routed(
        self, normalized: str, status_url: str | None, http: StatusHttp
    ) -> JobSnapshot:
        if status_url is not None:
            try:
                return await self._get(normalized, status_url, http)
            except _RouteMissing as miss:
                raise miss.error from None
        last_route_miss: BadResponse | None = None
        for index, route in enumerate(list(self._routes)):
            try:
                snapshot = await self._get(normalized, self.job_url(normalized, route), http)
            except _RouteMissing as miss:
                last_route_miss = miss.error
                if self._route_fixed:
                    raise miss.error from None
                continue
            except ApiError as exc:
                # The API's own JSON error (404 JOB_NOT_FOUND, 401, ...) proves the route too.
                if index > 0 and exc.body is not None:
                    self._learn_route(route)
                raise
            if index > 0:
                self._learn_route(route)
            return snapshot
        assert last_route_miss is not None
        raise last_route_miss

    def _learn_route(self, route: str) -> None:
        # one assignment: a request iterating the old list meanwhile sees a whole one
        self._routes = [route, *(r for r in self._routes if r != route)]
        if self._on_route_learned is not None:
            self._on_route_learned(route)

    async def _get(self, job_id: str, url: str, http: StatusHttp) -> JobSnapshot:
        for _ in range(MAX_REDIRECTS + 1):
            accept = {"accept": "application/json", "accept-encoding": ACCEPT_ENCODING}
            headers = with_key(accept, url, self.origin, self._api_key)
            try:
                status, resp_headers, body = await self._fetch(http, url, headers)
            except httpx.RemoteProtocolError as exc:
                raise BadResponse(f"broken or truncated response: {exc}", job_id=job_id) from None
            except httpx.TransportError as exc:
                raise Unreachable(describe_transport_error(exc), job_id=job_id) from None
            except _BodyTooLarge:
                raise BadResponse(
                    f"response body larger than {MAX_BODY_BYTES} bytes; not parsed", job_id=job_id
                ) from None
            except DecodingFailed as exc:
                raise BadResponse(f"{exc}; not parsed", job_id=job_id) from None
            try:
                target = redirect_target(url, status, resp_headers.get("location"))
                target_origin = origin_of(target) if target is not None else ""
            except ValueError as exc:  # no Location, or one that does not parse (port 99999)
                raise BadResponse(
                    f"redirect {status} to no valid address ({exc})",
                    http_status=status,
                    job_id=job_id,
                ) from None
            if target is not None:
                # A status answer must come from the API itself: another origin is not followed.
                if target_origin != self.origin:
                    raise UnsafeRedirect(
                        f"redirected to another origin ({target_origin}); not followed, "
                        "so the key stays with the API",
                        http_status=status,
                        job_id=job_id,
                    )
                url = target
                continue
            return self._interpret(job_id, status, resp_headers, body)
        raise BadResponse("too many redirects", job_id=job_id)

    async def _fetch(
        self, http: StatusHttp, url: str, headers: dict[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        request = http.build_request("GET", url, headers=headers)
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            declared = response.headers.get("content-length", "").strip()
            if declared.isdigit() and len(declared) < 20 and int(declared) > MAX_BODY_BYTES:
                raise _BodyTooLarge
            if response.is_stream_consumed:  # a transport that read (and decoded) it already
                if len(response.content) > MAX_BODY_BYTES:
                    raise _BodyTooLarge
                return response.status_code, response.headers, response.content
            # Raw bytes, decoded here with every piece bounded: the cap is checked as the
            # decoded body grows, never after a chunk inflated to gigabytes.
            decoder = BoundedDecoder(response.headers.get("content-encoding"))
            chunks: list[bytes] = []
            size = 0
            async for raw in response.aiter_raw():
                for chunk in decoder.feed(raw):
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise _BodyTooLarge
                    chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            await response.aclose()

    def _interpret(
        self, job_id: str, status: int, headers: httpx.Headers, body: bytes
    ) -> JobSnapshot:
        try:
            data = parse_json_object(body)
        except TooDeep:
            raise BadResponse(
                f"answer nested deeper than {MAX_JSON_DEPTH} levels; not parsed",
                http_status=status,
                job_id=job_id,
            ) from None
        # Only a 429 body's "retry_after" is about the rate limit; a 200's is the job's poll hint.
        rate_body = data if status == 429 else None
        rate = RateLimitInfo.from_headers(headers, now=self._wall_clock(), body=rate_body)
        if status == 200:
            if data is None:
                raise BadResponse(
                    describe_garbage(headers, body), http_status=status, job_id=job_id
                )
            if "status" not in data:
                raise BadResponse(
                    "answer has no status field", http_status=status, job_id=job_id, body=data
                )
            about = data.get("job_id")
            if about is not None and str(about).strip().lower() != job_id.lower():
                # Taken as this job's state, another job's failure would become this one's.
                raise BadResponse(
                    f"the answer is about another job ({str(about)[:80]!r})",
                    http_status=status,
                    job_id=job_id,
                )
            return JobSnapshot.from_wire(
                data, requested_id=job_id, http_status=status, rate_limit=rate
            )
        is_api_error = data is not None and "error" in data
        if status == 404 and not is_api_error:
            raise _RouteMissing(
                BadResponse(
                    f"the server has no route {urlsplit(self.job_url(job_id)).path!r} (404 that is "
                    "not a Status API answer); check the base URL and route template",
                    http_status=404,
                    job_id=job_id,
                    code="ROUTE_NOT_FOUND",
                )
            )
        code, message = error_fields(data)
        kwargs: dict[str, Any] = {
            "http_status": status,
            "code": code,
            "body": data if is_api_error else None,
            "job_id": job_id,
            "rate_limit": rate,
        }
        if status == 400:
            raise InvalidJobId(message or "the server refused the job id", **kwargs)
        if status == 401:
            raise AuthError(message or "the API key was rejected", **kwargs)
        if status == 403:
            if not (is_api_error and code == "FORBIDDEN"):
                # A gateway's {"message": "Forbidden"} (or anything but the documented body) is
                # about the key, for the whole API, not about this one job (PROVIDER.md).
                raise AuthError(message or "the API refused the key (403)", **kwargs)
            raise ForbiddenError(message or "this job belongs to another account", **kwargs)
        if status == 404:
            raise JobNotFound(message or "job not found or deleted", **kwargs)
        if status == 429:
            retry = rate.retry_after if rate is not None else None
            raise RateLimited(message or "too many requests", retry_after=retry, **kwargs)
        if 500 <= status <= 599:
            if not is_api_error:
                kwargs["code"] = f"HTTP_{status}"
                message = describe_garbage(headers, body, prefix=f"server error {status}")
            raise ServerError(message or f"server error {status}", **kwargs)
        if not is_api_error:
            kwargs["code"] = f"HTTP_{status}"
        raise BadResponse(message or f"unexpected HTTP status {status}", **kwargs)


class _BodyTooLarge(Exception):
    pass


class _RouteMissing(Exception):
    def __init__(self, error: BadResponse) -> None:
        super().__init__(str(error))
        self.error = error


__all__ = [
    "DEFAULT_ROUTE",
    "FALLBACK_ROUTE",
    "MAX_BODY_BYTES",
    "ApiError",
    "StatusClient",
]

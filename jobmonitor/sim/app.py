"""The simulated API origin as a Starlette app: the Status routes, every answer of CONTRACT.md,
faults; and the tool and upload routes of PROVIDER.md (``toolapi.py``).

``GET /jobs/{job_id}`` and ``GET /status-api/{job_id}`` (also under the prefix ``/moved``, the
target of the redirect fault, so a same-origin redirect has somewhere to land). The world decides
each answer (``SimWorld.handle``); this module only renders it, including the broken ones.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from jobmonitor.sim.faults import Answer
from jobmonitor.sim.toolapi import tool_routes
from jobmonitor.sim.world import SimWorld

MOVED_PREFIX = "/moved"
OVERSIZED_BYTES = 2 * 1024 * 1024 + 17  # beyond any sane cap on a status answer
HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
UPSTREAM_TEXT = (
    "upstream connect error or disconnect/reset before headers. "
    "reset reason: connection termination"
)


def create_api_app(world: SimWorld) -> Starlette:
    """The API origin's ASGI app, bound to ``world``."""

    async def job_endpoint(request: Request, *, route: str, moved: bool) -> Response:
        latency = world.faults.latency
        if latency > 0:
            await asyncio.sleep(latency)
        job_id = request.path_params.get("job_id")
        key = request.headers.get("x-api-key")
        # Only moved requests pass ``moved``, so subclasses overriding handle() keep working.
        answer = (
            world.handle(route, key, job_id, moved=True)
            if moved
            else world.handle(route, key, job_id)
        )
        return render(answer, request)

    routes: list[Route] = []
    for prefix in ("", MOVED_PREFIX):
        for route in ("jobs", "status-api"):
            endpoint = functools.partial(job_endpoint, route=route, moved=bool(prefix))
            routes.append(Route(f"{prefix}/{route}/{{job_id}}", endpoint))
            routes.append(Route(f"{prefix}/{route}/", endpoint))  # id missing: 400
    return Starlette(routes=[*routes, *tool_routes(world)])


def render(answer: Answer, request: Request) -> Response:
    """Turn the world's decision into an HTTP response."""
    if answer.router_404:
        return PlainTextResponse("Not Found", status_code=404)
    if answer.redirect is not None:
        target = answer.redirect.rstrip("/") + MOVED_PREFIX + request.url.path
        return RedirectResponse(target, status_code=307)
    if answer.garbage is not None:
        return render_garbage(answer)
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def render_garbage(answer: Answer) -> Response:
    """What proxies and broken servers send instead of the API's JSON."""
    kind = answer.garbage
    if kind == "html":
        return HTMLResponse(HTML_502, status_code=502, headers={"server": "nginx"})
    if kind == "truncated":
        text = json.dumps(answer.body or {"status": "queued"})
        return Response(text[: max(len(text) // 2, 1)], media_type="application/json")
    if kind == "text":
        return PlainTextResponse(UPSTREAM_TEXT)
    if kind == "oversized":
        return Response(_oversized_body(), media_type="application/json")
    if kind == "oversized_chunked":
        return StreamingResponse(_oversized_chunks(), media_type="application/json")
    return Response(b"", media_type="application/json")  # "empty"


@functools.cache
def _oversized_body() -> bytes:
    padding = OVERSIZED_BYTES - len(b'{"status": "queued", "padding": ""}')
    return b'{"status": "queued", "padding": "' + b"x" * padding + b'"}'


async def _oversized_chunks() -> AsyncIterator[bytes]:
    body = _oversized_body()
    step = 64 * 1024
    for start in range(0, len(body), step):
        yield body[start : start + step]

"""JSON bodies of the provider's APIs, read with one set of hostility rules.

Every answer is parsed here, status and tool and upload answers alike: NaN, Infinity and numbers
no float holds become None (printed back, they would make invalid JSON), nesting is bounded
(iteratively: no recursion to run out), and the error fields are found in each of the shapes
the provider uses. A body that is none of that is described, briefly, for a ``BadResponse``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import httpx

MAX_JSON_DEPTH = 64  # a status answer nests a few levels; 600 broke deepcopy with RecursionError


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The answer as a dict, or None for anything else. NaN, Infinity and numbers no float holds
    (``1e400``) become None: they are not JSON, and printed back they make invalid JSON."""
    if not body:
        return None
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if not _nesting_within(data, MAX_JSON_DEPTH):
        raise TooDeep
    return data


def _no_constant(_name: str) -> None:
    return None


def _finite_float(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _nesting_within(value: object, limit: int) -> bool:
    """Whether ``value`` nests no deeper than ``limit`` (iterative: no recursion to run out)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


class TooDeep(Exception):
    """An answer nested deeper than ``MAX_JSON_DEPTH``: refused, not parsed."""


def error_fields(data: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(code, message) of any error body the provider sends (see PROVIDER.md)."""
    if data is None:
        return None, None
    error, details = data.get("error"), data.get("details")
    code: str | None = None
    message: str | None = None
    if isinstance(error, str):
        # A code (INVALID_URL) or, on the delete-upload page, a sentence ("Upload not found").
        if error.replace("_", "").isalnum() and error.upper() == error:
            code = error
        else:
            message = error
    elif isinstance(error, Mapping):
        code = str(error["code"]) if error.get("code") is not None else None
        message = str(error["message"]) if error.get("message") is not None else None
    if isinstance(details, Mapping) and details.get("message") is not None:
        message = str(details["message"])
    if message is None and isinstance(data.get("message"), str):
        message = data["message"]
    return code, message


def describe_garbage(
    headers: httpx.Headers, body: bytes, *, prefix: str = "not a JSON answer"
) -> str:
    ctype = headers.get("content-type", "no content type").split(";")[0]
    if not body:
        return f"{prefix} (empty body)"
    snippet = body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    return f"{prefix} ({ctype}, {len(body)} bytes: {snippet!r})"

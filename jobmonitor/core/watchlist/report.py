"""The plain-text support report for one job, for pasting into a ticket (never the API key)."""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from jobmonitor import APP_NAME
from jobmonitor.core.redact import redact
from jobmonitor.core.state import JobState

_WIDTH = 18  # label column


def build_support_report(
    *,
    job_id: str,
    state: JobState | str,
    label: str | None,
    snapshot_raw: Mapping[str, Any] | None,
    last_error_body: Mapping[str, Any] | None,
    last_http_status: int | None,
    history: Sequence[tuple[str, float]],
    app_version: str,
    base_url: str,
    last_checked: float | None = None,
    created_at: float | None = None,
    updated_at: float | None = None,
    generated_at: float | None = None,
    local_tz: tzinfo | None = None,
    secrets: Iterable[str] = (),
    input_excerpt: str | None = None,
) -> str:
    """Everything support staff ask for about one job, as plain text.

    Times are epoch seconds, shown in UTC and in local time (``local_tz``, default: the
    system's). ``created_at``/``updated_at`` default to the fields of ``snapshot_raw``.
    ``history`` is (state, time) per transition, oldest first. ``input_excerpt``: the lines of
    the input around the failure, only when the user chose to include them. Known secrets (see
    ``core.redact``) and ``secrets`` are removed from the whole text as a last line of defence:
    no input here should carry the key in the first place.
    """
    raw = dict(snapshot_raw) if snapshot_raw is not None else None
    if raw is not None:
        created_at = created_at if created_at is not None else _number(raw.get("created_at"))
        updated_at = updated_at if updated_at is not None else _number(raw.get("updated_at"))
    when = generated_at if generated_at is not None else time.time()

    lines = [f"{APP_NAME} support report", "=" * (len(APP_NAME) + 15)]
    lines += _fields(
        [
            ("Job id", job_id),
            ("Label", label or "(none)"),
            ("Current state", _state_text(state)),
            ("API base URL", _safe_url(base_url)),
            ("Last HTTP status", str(last_http_status) if last_http_status is not None else "—"),
        ]
    )

    lines += ["", "Times (UTC, then local)"]
    lines += _fields(
        [
            ("Created", _when(created_at, local_tz)),
            ("Updated", _when(updated_at, local_tz)),
            ("Last checked", _when(last_checked, local_tz)),
        ],
        indent="  ",
    )

    lines += ["", "Status history"]
    if history:
        for state_name, at in history:
            lines.append(f"  {_state_value(state_name).ljust(12)} {_when(at, local_tz)}")
    else:
        lines.append("  (no transitions recorded)")

    job_error = raw.get("error") if raw is not None else None
    if job_error is not None:
        lines += ["", "Job error (from the job's failed status)", _json(job_error)]
    if last_error_body is not None:
        status = f" (HTTP {last_http_status})" if last_http_status is not None else ""
        lines += ["", f"Last error answer{status}", _json(last_error_body)]
    if job_error is None and last_error_body is None:
        lines += ["", "Error", "  (none)"]
    if input_excerpt:
        lines += ["", "The failure in its input (included by the user)"]
        lines += ["  " + line for line in input_excerpt.splitlines()]
    if raw is not None:
        lines += ["", "Last response from the API", _json(raw)]

    lines += ["", "Environment"]
    lines += _fields(
        [
            (APP_NAME, app_version),
            ("Python", f"{platform.python_version()} ({sys.implementation.name})"),
            ("Qt", _qt_versions()),
            ("OS", platform.platform()),
            ("Report created", _when(when, local_tz)),
        ],
        indent="  ",
    )
    return redact("\n".join(lines) + "\n", extra=secrets)


def _fields(pairs: Sequence[tuple[str, str]], indent: str = "") -> list[str]:
    return [f"{indent}{(name + ':').ljust(_WIDTH)} {value}" for name, value in pairs]


def _state_text(state: JobState | str) -> str:
    try:
        known = JobState(state)
    except ValueError:
        return str(state)
    return f"{known.label} ({known.value})"


def _state_value(state: JobState | str) -> str:
    return state.value if isinstance(state, JobState) else str(state)


def _when(epoch: float | None, local_tz: tzinfo | None) -> str:
    if epoch is None:
        return "—"
    try:
        utc = datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{epoch!r} (not a valid time)"
    local = utc.astimezone(local_tz)  # None: the system's local zone
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    zone = local.tzname() or offset
    if zone != offset and offset:
        zone = f"{zone}, {offset}"
    return (
        f"{utc:%Y-%m-%d %H:%M:%S} UTC  (local {local:%Y-%m-%d %H:%M:%S} {zone})"
        f"  [epoch {int(epoch)}]"  # the second printed beside it (:.0f rounded up to the next)
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _json(value: object) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return "\n".join("  " + line for line in text.splitlines())


def _safe_url(url: str) -> str:
    """The URL without user info or query (neither belongs in a ticket)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _qt_versions() -> str:
    try:
        import PySide6
        from PySide6.QtCore import qVersion
    except ImportError:  # the CLI may run without Qt installed
        return "not loaded"
    return f"Qt {qVersion()}, PySide6 {PySide6.__version__}"

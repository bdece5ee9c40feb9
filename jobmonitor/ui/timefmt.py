"""Times as the window shows them: relative ("3 min ago", "in 12 s") with absolute local/UTC text.

A time the API sent may be no moment at all (``created_at: 1e300``): it is shown as
``invalid time (1e+300)`` in every form, never raised on (once it raised on every poll).
"""

from __future__ import annotations

from datetime import datetime

from jobmonitor.core.timestamps import invalid_time, utc_datetime


def relative(at: float | None, now: float) -> str:
    """'just now', '42 s ago', '5 min ago', '3 h ago', '2 d ago' (or '-' when unknown)."""
    if at is None:
        return "-"
    if utc_datetime(at) is None:
        return invalid_time(at)
    delta = now - at
    if delta < 0:
        return countdown(at, now)
    if delta < 2:
        return "just now"
    if delta < 60:
        return f"{int(delta)} s ago"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 86400:
        return f"{int(delta // 3600)} h ago"
    return f"{int(delta // 86400)} d ago"


def countdown(at: float | None, now: float) -> str:
    """'in 12 s', 'in 3 min', 'now' (or '-' when unknown)."""
    if at is None:
        return "-"
    if utc_datetime(at) is None:
        return invalid_time(at)
    delta = at - now
    if delta < 1:
        return "now"
    if delta < 60:
        return f"in {int(delta + 0.999)} s"
    if delta < 3600:
        minutes, seconds = divmod(int(delta), 60)
        return f"in {minutes} min {seconds:02d} s" if minutes < 10 else f"in {minutes} min"
    return f"in {int(delta // 3600)} h {int(delta % 3600) // 60} min"


def absolute(at: float | None) -> str:
    """Local time with zone, and UTC: for tooltips and the details panel."""
    if at is None:
        return "unknown"
    moment = utc_datetime(at)
    if moment is None:
        return invalid_time(at)
    local = moment.astimezone()
    if local.utcoffset() == moment.utcoffset():  # local time is UTC: say it once
        return _nbsp(f"{moment:%Y-%m-%d %H:%M:%S} UTC")
    # Each time holds together (no-break spaces): a narrow label wraps before "(", never
    # inside it, so no line starts with a dangling "UTC)".
    return f"{_nbsp(f'{local:%Y-%m-%d %H:%M:%S %Z}')} ({_nbsp(f'{moment:%Y-%m-%d %H:%M:%S} UTC')})"


def _nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0")


def short_local(at: float) -> str:
    """'14:03:27' today, '2026-11-27 14:03' on other days."""
    moment = utc_datetime(at)
    if moment is None:
        return invalid_time(at)
    local = moment.astimezone()
    today = datetime.now().astimezone().date()
    return f"{local:%H:%M:%S}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"

"""Epoch seconds from the API turned into datetimes without trusting them.

``created_at: 1e300`` is a valid JSON number and no moment at all: ``datetime.fromtimestamp``
raises OverflowError, ValueError or OSError (which one depends on the size and the platform), and
once that reached a table cell the window raised on every poll. Every place that shows or writes
a time the API sent goes through ``utc_datetime``; what it refuses is shown as
``invalid time (1e+300)``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# Years 1 to 9999 are all datetime has; a day inside each end leaves room for any local offset.
MIN_EPOCH = -62135596800.0 + 86400
MAX_EPOCH = 253402300799.0 - 86400


def utc_datetime(epoch: float | None) -> datetime | None:
    """The moment as an aware UTC datetime, or None when it is missing or no possible moment."""
    if epoch is None or isinstance(epoch, bool):
        return None
    try:
        value = float(epoch)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(value) or not MIN_EPOCH <= value <= MAX_EPOCH:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def is_valid(epoch: float | None) -> bool:
    return utc_datetime(epoch) is not None


def invalid_time(epoch: object) -> str:
    """How a time that is no moment is shown: the value as sent, short."""
    if isinstance(epoch, float):
        text = f"{epoch:g}"
    elif isinstance(epoch, int) and not isinstance(epoch, bool):
        text = str(epoch) if abs(epoch) < 10**15 else "a number too large"
    else:
        text = repr(epoch)[:40]
    return f"invalid time ({text})"


__all__ = ["MAX_EPOCH", "MIN_EPOCH", "invalid_time", "is_valid", "utc_datetime"]

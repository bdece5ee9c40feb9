"""Known secret values (API keys) and the redaction applied to logs, reports and error dialogs.

The key must never reach a log file, a support report or a crash dialog. Code that handles a
key registers it here (``register_secret``); every text that leaves the app passes through
``redact``. ``$JOBMONITOR_API_KEY`` is always treated as known, so a key given only through the
environment is covered too.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable

REDACTED = "[redacted]"
ENV_KEY = "JOBMONITOR_API_KEY"
# Shorter values are not redacted: replacing every "ab" in a log would destroy it, and no real
# API key is that short.
MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that ``redact`` removes it from any text from now on."""
    if value is None:
        return
    value = value.strip()
    if len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def forget_secret(value: str | None) -> None:
    if value is None:
        return
    with _lock:
        _secrets.discard(value.strip())


def known_secrets() -> frozenset[str]:
    """Registered secrets plus the key in the environment, if any."""
    with _lock:
        found = set(_secrets)
    env = os.environ.get(ENV_KEY, "").strip()
    if len(env) >= MIN_SECRET_LENGTH:
        found.add(env)
    return frozenset(found)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret (and each of ``extra``) replaced by ``[redacted]``."""
    secrets = set(known_secrets())
    secrets.update(s.strip() for s in extra if s and len(s.strip()) >= MIN_SECRET_LENGTH)
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that removes known secrets from the message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now so the formatter uses the redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

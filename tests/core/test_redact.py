"""Redaction of known secrets from text and from log records (message, traceback, stack)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from jobmonitor.core import redact

KEY = "k3y-RECOGNISABLE-0a1b2c3d"


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    redact.register_secret(KEY)
    yield
    redact.forget_secret(KEY)


def test_registered_and_environment_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMONITOR_API_KEY", "env-secret-999")
    text = redact.redact(f"key={KEY} env=env-secret-999 other=fine")
    assert text == "key=[redacted] env=[redacted] other=fine"


def test_short_values_are_not_secrets() -> None:
    redact.register_secret("ab")
    assert "ab" not in redact.known_secrets()
    assert redact.redact("abcabc") == "abcabc"


def test_forget() -> None:
    redact.forget_secret(KEY)
    assert redact.redact(KEY) == KEY


def test_longer_secret_containing_another_is_removed_whole() -> None:
    redact.register_secret(KEY + "-longer")
    try:
        assert redact.redact(f"[{KEY}-longer]") == "[[redacted]]"
    finally:
        redact.forget_secret(KEY + "-longer")


def _record_text(record: logging.LogRecord) -> str:
    assert redact.RedactingFilter().filter(record)
    return logging.Formatter("%(message)s").format(record)


def test_filter_redacts_message_args_and_traceback() -> None:
    try:
        raise RuntimeError(f"bad key {KEY}")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "using %s now", (KEY,), exc_info, sinfo=f"stack {KEY}"
    )
    text = _record_text(record)
    assert KEY not in text
    assert "using [redacted] now" in text
    assert "RuntimeError: bad key [redacted]" in text
    assert "stack [redacted]" in text


def test_filter_keeps_plain_records_intact() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%d jobs", (3,), None)
    assert _record_text(record) == "3 jobs"

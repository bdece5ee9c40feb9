"""Helpers shared by the subcommands: exit codes, base URL and key resolution, the HTTP client."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from jobmonitor import APP_ID, DEFAULT_BASE_URL
from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError, InsecureUrl, InvalidJobId
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import JobError
from jobmonitor.api.urls import normalize_base_url, origin_of
from jobmonitor.core.http import HttpPool

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

ENV_KEY = "JOBMONITOR_API_KEY"
ENV_BASE_URL = "JOBMONITOR_BASE_URL"


# C0 and C1 control characters, DEL: escape sequences, carriage returns, bells... (not tab, LF);
# and the bidirectional controls (U+202E makes "gpj.exe" read as "exe.jpg") and line separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str, *, multiline: bool = False) -> str:
    """Text from a server made safe for a terminal: a control character (which could clear the
    screen, retitle the window, write the clipboard or overwrite a line) is shown as ``\\xNN``
    (a bidirectional control as ``\\uNNNN``); a line break becomes a space unless ``multiline``."""
    if not multiline:
        text = text.replace("\n", " ")
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class CliError(Exception):
    """A problem to tell the user in one line, with the exit code to leave with."""

    def __init__(
        self,
        message: str,
        exit_code: int = EXIT_USAGE,
        *,
        code: str = "USAGE_ERROR",
        shown_as_json: bool = False,
    ) -> None:
        """``code``: the error's code in ``--json`` output, where ``run_cli`` also prints it in
        the one JSON error shape on stdout (a script reading it is never left with nothing),
        unless the command did already (``shown_as_json``)."""
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code
        self.shown_as_json = shown_as_json


def add_base_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=f"API base URL (default: ${ENV_BASE_URL}, else the saved setting, else {DEFAULT_BASE_URL})",
    )


def resolve_base_url(args: argparse.Namespace) -> str:
    """``--base-url``, else ``$JOBMONITOR_BASE_URL``, else the saved setting, else the default."""
    given = getattr(args, "base_url", None)
    if given is not None and not given.strip():  # --base-url "" (an unset shell variable?)
        raise CliError("--base-url is empty")
    url = given or os.environ.get(ENV_BASE_URL)
    if not url and saved_settings_may_hold("api"):
        from jobmonitor.core.settings import Settings

        url = Settings().base_url
    try:
        return normalize_base_url(url or DEFAULT_BASE_URL)
    except InsecureUrl as exc:
        raise CliError(exc.message) from None


def saved_route_template(base_url: str) -> str | None:
    if not saved_settings_may_hold("routes"):
        return None
    from jobmonitor.core.settings import Settings

    return Settings().route_template(base_url)


def saved_settings_may_hold(group: str) -> bool:
    """False when the app's settings certainly hold nothing under ``group``, so a command-line
    run need not load Qt (45 ms of imports) to read them; True whenever unsure.

    Only where QSettings keeps them in an INI file (Linux, the BSDs), and only while Qt is not
    loaded anyway (in a test run or the app, Qt may have settled on another file already).
    """
    path = settings_file(os.environ, sys.platform)
    if path is None or "PySide6.QtCore" in sys.modules:
        return True
    return ini_may_hold(path, group)


def settings_file(environ: Mapping[str, str], platform: str) -> Path | None:
    """The file QSettings uses for the app's user settings, or None where it is not a file.

    Qt takes ``$XDG_CONFIG_HOME`` only when it is an absolute path, else ``~/.config``.
    """
    if platform.startswith(("win32", "cygwin", "darwin")):
        return None
    config = environ.get("XDG_CONFIG_HOME", "")
    root = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    return root / "apidatatools" / f"{APP_ID}.conf"


def ini_may_hold(path: Path, group: str) -> bool:
    """Whether the INI file at ``path`` may have a ``[group]`` section (True if unreadable)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return f"[{group}]".encode() in data


def http_pool(*, timeout: float = 20.0) -> HttpPool:
    """The command's HTTP clients, trusting what the app trusts (core/tls.py's order)."""
    from jobmonitor.core.tls import TrustConfigError, trust_context

    bundle = ""
    if saved_settings_may_hold("network"):
        from jobmonitor.core.settings import Settings

        bundle = Settings().ca_bundle
    try:
        trust = trust_context(bundle)
    except TrustConfigError as exc:
        raise CliError(f"cannot set up HTTPS: {exc}") from None
    return HttpPool(timeout=timeout, verify=trust.context)


def remember_route_template(base_url: str, template: str) -> None:
    from jobmonitor.core.settings import Settings

    settings = Settings()
    settings.set_route_template(base_url, template)
    settings.sync()


def resolve_api_key(base_url: str, *, required: bool = True) -> str | None:
    """``$JOBMONITOR_API_KEY``, else the OS keyring entry for the API origin."""
    from jobmonitor.core.credentials.store import CredentialStore, KeyProblem

    lookup = CredentialStore().get_sync(origin_of(base_url))
    if lookup.key:
        return lookup.key
    if required:
        # What to do next, for the command line: the keyring's own words are about saving.
        if lookup.problem is KeyProblem.NO_BACKEND:
            raise CliError(
                "no API key: there is no OS keyring here to keep one, so set "
                f"${ENV_KEY} (e.g. {ENV_KEY}=... jobmonitor ...).",
                code="NO_API_KEY",
            )
        if lookup.problem is KeyProblem.NOT_STORED:
            raise CliError(
                f"no API key stored for {origin_of(base_url)}: run '{auth_hint('set', base_url)}' "
                f"(or set ${ENV_KEY}).",
                code="NO_API_KEY",
            )
        raise CliError(lookup.message, code="NO_API_KEY")
    return None


def make_status_client(http: httpx.AsyncClient, base_url: str, key: str | None) -> StatusClient:
    """The API client every subcommand uses: the route learned for this base URL is reused, and a
    newly learned one is saved for the next run."""
    return StatusClient(
        http,
        base_url,
        api_key=key,
        route_template=saved_route_template(base_url),
        on_route_learned=lambda route: remember_route_template(base_url, route),
    )


def error_object(exc: ApiError, *, job_id: str | None = None) -> dict[str, Any]:
    """The command line's one JSON error shape, for every command and every kind of error:
    ``{"status": "error", "job_id": ..., "error": {"code", "message", "details", "http_status",
    "said_by"}}``; ``said_by`` is "server" when an answer said it, "client" when jobmonitor
    concluded it (unreachable, refused before sending, a broken answer)."""
    details: dict[str, Any] = {}
    body = exc.body if isinstance(exc.body, dict) else None
    if body is not None and isinstance(body.get("details"), dict):
        details = {k: v for k, v in body["details"].items() if k != "message"}
    return {
        "status": "error",
        "job_id": job_id if job_id is not None else exc.job_id,
        "error": {
            "code": exc.code,
            "message": exc.message,
            "details": details,
            "http_status": exc.http_status,
            "said_by": said_by(exc),
        },
    }


def said_by(exc: ApiError) -> str:
    """ "server" when an answer said it (an error body, or an HTTP status), else "client"."""
    body = exc.body if isinstance(exc.body, dict) else None
    return "server" if exc.http_status is not None and body is not None else "client"


def job_error_object(job_id: str, error: JobError) -> dict[str, Any]:
    """A failed job's error in the same shape: the API answered 200 about a job that failed."""
    return {
        "status": "error",
        "job_id": job_id,
        "error": {
            "code": error.code,
            "message": error.message,
            "details": dict(error.details),
            "http_status": 200,
            "said_by": "server",
        },
    }


def client_error_object(job_id: str | None, code: str, message: str) -> dict[str, Any]:
    """What jobmonitor concluded itself (no answer said it), in the same shape."""
    return {
        "status": "error",
        "job_id": job_id,
        "error": {
            "code": code,
            "message": message,
            "details": {},
            "http_status": None,
            "said_by": "client",
        },
    }


def describe_error(exc: ApiError, base_url: str | None = None) -> str:
    """One line for people, never the key. What the server said is shown as its answer (HTTP
    status and code); what jobmonitor concluded (unreachable, a broken answer, an id refused
    before sending) is said in its own words, not dressed up as a server code."""
    hints = {
        "UNAUTHORIZED": f" (check the key: {auth_hint('status', base_url or DEFAULT_BASE_URL)})",
        "FORBIDDEN": " (the job belongs to another account)",
        "RATE_LIMITED": " (wait a minute and try again)",
    }
    text = f"the API answered {exc}" if said_by(exc) == "server" else exc.message
    return printable(f"{text}{hints.get(exc.code, '')}")


def auth_hint(action: str, base_url: str) -> str:
    """``jobmonitor auth ACTION``, with ``--base-url`` when it is not the default API (the key
    is kept per API origin: a hint without it would look at another key)."""
    flag = "" if base_url.rstrip("/") == DEFAULT_BASE_URL.rstrip("/") else f" --base-url {base_url}"
    return f"jobmonitor auth {action}{flag}"


def checked_job_ids(raws: list[str], *, as_json: bool) -> list[str]:
    """The ids as given, each normalised and checked before anything is sent (duplicates once);
    the first bad one is a usage error, said in the JSON error shape too with ``as_json``."""
    job_ids: list[str] = []
    for raw in raws:
        try:
            job_id = normalize_job_id(raw)
        except InvalidJobId as exc:
            if as_json:
                print(json.dumps(error_object(exc, job_id=raw), ensure_ascii=False))
            raise CliError(
                f"invalid job id {raw!r}: {exc.reason}", EXIT_USAGE, shown_as_json=as_json
            ) from None
        if job_id not in job_ids:
            job_ids.append(job_id)
    return job_ids

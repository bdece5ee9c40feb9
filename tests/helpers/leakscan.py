"""Search files, captured texts and what widgets show for a secret, in every form it could take.

Used by test_key_never_leaks.py (with a few helpers of its own: the keyring check, the CLI runner). A secret is looked for as itself (any letter case), URL-encoded,
as UTF-16 (either byte order), hex, and base64 (standard and URL-safe, at each of the three
alignments it could have inside a longer encoded text). Files are read as bytes, so SQLite
databases with their WAL/SHM files, logs, settings and downloads are all searched the same way;
file and folder names are searched too.
"""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QStatusBar,
    QTextEdit,
)

from jobmonitor.api.urls import origin_of


@dataclass(frozen=True, slots=True)
class Hit:
    where: str  # a file path, or the name of a captured text
    form: str  # how the secret was written there ("plain", "base64+1", ...)


def _b64_cores(raw: bytes, encode: Callable[[bytes], bytes]) -> dict[int, bytes]:
    """The part of the encoding that depends on ``raw`` only, for each offset (0-2) it may sit at.

    Base64 works on 3-byte groups: inside a longer text the secret's bytes share their first and
    last groups with their neighbours, so only the groups made of the secret alone are fixed.
    """
    cores: dict[int, bytes] = {}
    for pad in range(3):
        encoded = encode(b"\0" * pad + raw)
        first = -(-pad // 3)  # first group holding no pad byte
        last = (pad + len(raw)) // 3  # groups made of the secret's bytes only end here
        core = encoded[first * 4 : last * 4]
        if len(core) >= 8:
            cores[pad] = core
    return cores


def forms_of(secret: str) -> dict[str, tuple[bytes, bool]]:
    """name -> (pattern, case-insensitive?). Case-insensitive patterns are lower-case."""
    raw = secret.encode()
    forms: dict[str, tuple[bytes, bool]] = {
        "plain": (secret.lower().encode(), True),
        "urlencoded": (quote(secret, safe="").lower().encode(), True),
        "urlencoded+": (quote_plus(secret).lower().encode(), True),
        "utf-16-le": (secret.lower().encode("utf-16-le"), True),
        "utf-16-be": (secret.lower().encode("utf-16-be"), True),
        "hex": (binascii.hexlify(raw), True),
    }
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        for pad, core in _b64_cores(raw, encode).items():
            forms[f"{name}+{pad}"] = (core, False)
    unique: dict[str, tuple[bytes, bool]] = {}
    for name, pattern in forms.items():  # a key with no special characters has fewer forms
        if pattern not in unique.values():
            unique[name] = pattern
    return unique


def find_forms(data: bytes, secret: str) -> list[str]:
    """The names of the forms of ``secret`` found in ``data``."""
    lowered = data.lower()
    found = []
    for name, (pattern, fold) in forms_of(secret).items():
        if pattern in (lowered if fold else data):
            found.append(name)
    return found


def scan_tree(root: Path, secrets: Iterable[str]) -> list[Hit]:
    """Every regular file under ``root`` (hidden ones too; links not followed), and every name."""
    secrets = list(secrets)
    hits: list[Hit] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            relative = str(path.relative_to(root)).encode()
            for secret in secrets:
                hits += [Hit(f"name of {path}", form) for form in find_forms(relative, secret)]
            if name in files and path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for secret in secrets:
                    hits += [Hit(str(path), form) for form in find_forms(data, secret)]
    return hits


def scan_texts(texts: Mapping[str, str], secrets: Iterable[str]) -> list[Hit]:
    """Captured texts by name (clipboard, stdout, a log record, ...)."""
    secrets = list(secrets)
    hits: list[Hit] = []
    for where, text in texts.items():
        data = text.encode("utf-8", "surrogatepass")
        for secret in secrets:
            hits += [Hit(where, form) for form in find_forms(data, secret)]
    return hits


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def assert_clean(hits: list[Hit]) -> None:
    assert hits == [], "the key leaked:\n" + "\n".join(f"  {h.where}: {h.form}" for h in hits)


def on_screen_texts() -> dict[str, str]:
    """What every widget shows (or tells a screen reader): a screenshot, as text."""
    texts: dict[str, str] = {}
    for index, w in enumerate(QApplication.allWidgets()):
        parts = [w.windowTitle(), w.toolTip(), w.accessibleName(), w.accessibleDescription()]
        if isinstance(w, QLabel | QAbstractButton):
            parts.append(w.text())
        if isinstance(w, QLineEdit):
            parts += [w.displayText(), w.placeholderText()]
        if isinstance(w, QTextEdit | QPlainTextEdit):
            parts.append(w.toPlainText())
        if isinstance(w, QMessageBox):
            parts += [w.text(), w.informativeText(), w.detailedText()]
        if isinstance(w, QStatusBar):
            parts.append(w.currentMessage())
        if isinstance(w, QAbstractItemView) and (model := w.model()) is not None:
            for row in range(model.rowCount()):
                for col in range(model.columnCount()):
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        parts.append(str(model.index(row, col).data(role) or ""))
        texts[f"widget #{index} {type(w).__name__} {w.objectName()}"] = "\n".join(parts)
    return texts


def private_secret_service() -> None:
    """Skip unless the session bus is .ci/with-keyring's private one (never a user's keyring)."""
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not bus or os.environ.get("JOBMONITOR_TEST_KEYRING") != bus:
        pytest.skip("needs the private Secret Service of .ci/with-keyring (run the tests under it)")
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        if not secretstorage.check_service_availability(connection):
            pytest.skip("no Secret Service answers on the private session bus")


def forget_in_keyring(url: str) -> None:
    import keyring
    import keyring.errors

    with suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password("jobmonitor", origin_of(url))


@dataclass
class Run:
    code: int
    out: str
    err: str


class Cli:
    """``python -m jobmonitor`` in a fresh HOME (the test's XDG homes are under it); every
    output is kept for the search. Without ``keyring``, keyring's fail backend is forced."""

    def __init__(self, tmp_path: Path, *, keyring: bool) -> None:
        self.cwd = tmp_path / "cwd"
        self.cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "JOBMONITOR_API_KEY"}
        env["HOME"] = str(tmp_path / "home")
        if not keyring:
            env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        self.env = env
        self.outputs: dict[str, str] = {}

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "jobmonitor", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=60,
        )
        n = len(self.outputs) // 2
        self.outputs[f"#{n} {args[:2]} stdout"] = proc.stdout
        self.outputs[f"#{n} {args[:2]} stderr"] = proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        return Run(proc.returncode, proc.stdout, proc.stderr)

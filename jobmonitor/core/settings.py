"""User settings through QSettings (no secrets ever: the key lives in the keyring only)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QByteArray, QSettings

from jobmonitor import APP_ID, DEFAULT_BASE_URL
from jobmonitor.core.paths import default_download_dir

APPEARANCES = ("system", "light", "dark")  # follow the desktop's scheme, or force one
DEFAULT_RATE_LIMIT = (
    60  # requests per minute when the user has set nothing and the server says nothing
)


def _as_bool(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(value, int):
        return value != 0
    return default


def _as_int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


KINDS = ("sliding", "fixed", "penalty", "bucket")  # core/polling/episode.py's kinds of limit
BUDGET_MEMORY_AGE = 24 * 3600.0  # seconds a learned request budget is trusted in later sessions


class BudgetMemory(NamedTuple):
    """What a session learned of an API's request budget: the limit a 429 taught (None: none),
    whether it is still provisional (taught before a whole minute was sent: probed above again),
    how far the pace grew without a 429, and the kind of limit the server showed."""

    learned: int | None = None
    assumed: int = 0
    tentative: bool = False
    kind: str = "sliding"


class Settings:
    """Typed access to the app's QSettings. Demo mode uses a file of its own."""

    def __init__(self, *, demo: bool = False, qsettings: QSettings | None = None) -> None:
        if qsettings is None:
            # Native format, user scope: ~/.config/<org>/<app>.conf on Linux (honours
            # XDG_CONFIG_HOME), the registry on Windows, a plist on macOS.
            qsettings = QSettings(
                QSettings.Format.NativeFormat,
                QSettings.Scope.UserScope,
                "apidatatools",
                APP_ID + (".demo" if demo else ""),
            )
        self._q = qsettings

    @property
    def qsettings(self) -> QSettings:
        return self._q

    def sync(self) -> None:
        self._q.sync()

    @property
    def base_url(self) -> str:
        value = self._q.value("api/base_url", DEFAULT_BASE_URL)
        return str(value) if value else DEFAULT_BASE_URL

    @base_url.setter
    def base_url(self, url: str) -> None:
        self._q.setValue("api/base_url", url.strip().rstrip("/"))

    def route_template(self, base_url: str) -> str | None:
        """The route learned (or set) for this base URL, if any."""
        value = self._q.value(f"routes/{_key(base_url)}")
        return str(value) if value else None

    def set_route_template(self, base_url: str, template: str | None) -> None:
        if template:
            self._q.setValue(f"routes/{_key(base_url)}", template)
        else:
            self._q.remove(f"routes/{_key(base_url)}")

    @property
    def rate_limit(self) -> int | None:
        """Requests per minute the user set; None means unknown (learned from the server)."""
        value = _as_int(self._q.value("api/rate_limit", 0), 0)
        return value if value > 0 else None

    @rate_limit.setter
    def rate_limit(self, value: int | None) -> None:
        self._q.setValue("api/rate_limit", int(value or 0))

    def budget_memory(self, base_url: str, now: float, max_age: float) -> BudgetMemory:
        """What was saved for this base URL less than ``max_age`` seconds before ``now``
        (nothing known when there is none or it is older)."""
        value = str(self._q.value(f"limits/{_key(base_url)}", "") or "")
        parts = value.split()
        # Three numbers (before provisional limits and kinds were kept), or five fields.
        numbers, extra = parts[:3], parts[3:]
        if len(numbers) != 3 or not all(p.lstrip("-").isdigit() for p in numbers):
            return BudgetMemory()
        if extra and (len(extra) != 2 or extra[0] not in ("0", "1") or extra[1] not in KINDS):
            return BudgetMemory()
        learned, assumed, saved_at = (int(p) for p in numbers)
        if not 0 <= now - saved_at < max_age:
            return BudgetMemory()
        tentative, kind = (extra[0] == "1", extra[1]) if extra else (False, "sliding")
        return BudgetMemory(learned if learned > 0 else None, max(assumed, 0), tentative, kind)

    def set_budget_memory(self, base_url: str, memory: BudgetMemory, now: float) -> None:
        """What this session found out about the API's request budget (never the key)."""
        learned, assumed, tentative, kind = memory
        value = f"{learned or 0} {assumed} {int(now)} {int(tentative)} {kind}"
        self._q.setValue(f"limits/{_key(base_url)}", value)

    @property
    def download_dir(self) -> Path:
        value = self._q.value("downloads/folder")
        return Path(str(value)) if value else default_download_dir()

    @download_dir.setter
    def download_dir(self, path: Path) -> None:
        self._q.setValue("downloads/folder", str(path))

    @property
    def notify_success(self) -> bool:
        return _as_bool(self._q.value("notifications/success", True), True)

    @notify_success.setter
    def notify_success(self, on: bool) -> None:
        self._q.setValue("notifications/success", on)

    @property
    def notify_failure(self) -> bool:
        return _as_bool(self._q.value("notifications/failure", True), True)

    @notify_failure.setter
    def notify_failure(self, on: bool) -> None:
        self._q.setValue("notifications/failure", on)

    @property
    def auto_download(self) -> bool:
        """Save each result as soon as its job succeeds (result links are temporary)."""
        return _as_bool(self._q.value("downloads/auto", False), False)

    @auto_download.setter
    def auto_download(self, on: bool) -> None:
        self._q.setValue("downloads/auto", on)

    @property
    def stuck_after_hours(self) -> float:
        """Hours a queued or processing job may go unchanged before it counts as stuck."""
        value = self._q.value("notifications/stuck_after_hours", 1)
        try:
            hours = float(str(value))
        except ValueError:
            return 1.0
        return hours if 0 < hours <= 24 * 30 else 1.0

    @stuck_after_hours.setter
    def stuck_after_hours(self, hours: float) -> None:
        self._q.setValue("notifications/stuck_after_hours", float(hours))

    @property
    def ca_bundle(self) -> str:
        """A PEM file or hashed folder of CA certificates that replaces the OS trust store."""
        return str(self._q.value("network/ca_bundle", "") or "")

    @ca_bundle.setter
    def ca_bundle(self, path: str) -> None:
        self._q.setValue("network/ca_bundle", path.strip())

    @property
    def appearance(self) -> str:
        value = str(self._q.value("window/appearance", "system") or "system")
        return value if value in APPEARANCES else "system"

    @appearance.setter
    def appearance(self, value: str) -> None:
        self._q.setValue("window/appearance", value if value in APPEARANCES else "system")

    def window_state(self, name: str) -> QByteArray | None:
        """A blob Qt saved of the window (geometry, splitter, columns), if any."""
        value = self._q.value(f"window/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, name: str, data: QByteArray) -> None:
        self._q.setValue(f"window/{name}", data)

    @property
    def start_minimized(self) -> bool:
        """Start in the tray instead of showing the window (only where there is a tray)."""
        return _as_bool(self._q.value("window/start_minimized", False), False)

    @start_minimized.setter
    def start_minimized(self, on: bool) -> None:
        self._q.setValue("window/start_minimized", on)


def _key(base_url: str) -> str:
    # QSettings treats '/' as a group separator; keep the URL as one key.
    return base_url.strip().rstrip("/").replace("/", "|")

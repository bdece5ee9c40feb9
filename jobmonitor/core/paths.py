"""Where the app keeps its data and settings (platform directories; tests point XDG_* elsewhere)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from jobmonitor import ORG_NAME

_APP_DIR = "jobmonitor"


def data_dir(*, demo: bool = False) -> Path:
    """The folder for the watch-list database. Demo mode lives apart from the real list."""
    base = Path(platformdirs.user_data_dir(_APP_DIR, ORG_NAME))
    return base / "demo" if demo else base


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(_APP_DIR, ORG_NAME))


def log_dir() -> Path:
    return Path(platformdirs.user_state_dir(_APP_DIR, ORG_NAME)) / "log"


def default_download_dir() -> Path:
    return Path(platformdirs.user_downloads_dir())

"""Fixtures shared by the UI tests: a watch list over a real SQLite file in the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList


@pytest.fixture
def watchlist(tmp_path: Path) -> Iterator[WatchList]:
    store = JobStore(tmp_path / "jobs.db")
    yield WatchList(store)
    store.close()

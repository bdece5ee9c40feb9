"""A long list is exported on a worker thread: progress on the way, the file complete at the end."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.core.watchlist import export
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import export_list
from jobmonitor.ui.export_list import ListExporter
from jobmonitor.ui.jobs_model import JobsTableModel
from jobmonitor.ui.jobs_proxy import JobsFilterProxy


def test_a_long_export_runs_in_the_background_with_progress(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_list, "BACKGROUND_ROWS", 10)
    monkeypatch.setattr(export, "PROGRESS_ROWS", 7)
    store = JobStore(tmp_path / "jobs.db")
    watchlist = WatchList(store)
    proxy = JobsFilterProxy(JobsTableModel(watchlist))
    ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(30)]
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 30)
    parent = QWidget()
    exporter = ListExporter(parent, proxy, lambda _job_id: None)
    target = tmp_path / "all.csv"
    exporter.choose_path = lambda _suggested: target
    progress: list[tuple[int, int]] = []
    exporter.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(exporter.message, timeout=10_000) as blocker:
        assert exporter.export() is None  # under way, not done
        assert exporter.busy
    assert blocker.args == [f"Exported 30 jobs to {target}."] and not exporter.busy
    assert progress[0] == (0, 30) and (21, 30) in progress
    with target.open(encoding="utf-8-sig", newline="") as f:
        assert [r["job_id"] for r in csv.DictReader(f)] == ids
    with qtbot.waitSignal(exporter.failed, timeout=10_000) as blocker:
        exporter.choose_path = lambda _suggested: tmp_path / "gone" / "x.csv"
        exporter.export()
    assert "Nothing was written" in blocker.args[0]
    store.close()

"""Download all's small files reach the window in batches: the quick lane's outcomes arrive in
one loop callback, the panel and the batch listeners see them together, and where the files
were saved goes to SQLite in one transaction for the batch, not one per file."""

# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)
from __future__ import annotations

import threading
import time
from pathlib import Path

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.downloads_panel import DownloadsPanel

FILES = 20


def test_finished_downloads_reach_the_panel_and_the_database_in_one_batch(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    jobs = [
        world.add_job(KEY, queued_for=0, processing_for=0, file_name=f"r{n}.bin", file_size=5000)
        for n in range(FILES)
    ]
    app = make_app(add_text=" ".join(jobs))
    qtbot.waitUntil(
        lambda: all(j.state is JobState.SUCCESS for j in app.watchlist.jobs()), timeout=15000
    )
    manager = app.downloads
    assert manager is not None
    batches: list[list[DownloadProgress]] = []
    manager.add_batch_listener(batches.append)
    statements: list[str] = []
    lock = threading.Lock()

    def traced(sql: str) -> None:  # called on the database's thread
        with lock:
            statements.append(sql)

    with app.store._lock:  # not while the database thread runs a statement
        app.store._conn.set_trace_callback(traced)
    try:
        assert sorted(app.download_all_finished()) == sorted(jobs)
        lane = manager.quick
        assert lane is not None, "Download all did not use the quick lane"
        # Hold the GUI thread (the loop cannot deliver anything meanwhile) until the workers
        # have saved every file and handed over every outcome: then they come as one batch.
        folder = tmp_path / "downloads"
        for _ in range(2000):
            saved = [p for p in folder.iterdir() if p.suffix == ".bin"] if folder.exists() else []
            if len(saved) == FILES and not lane.in_flight():
                break
            time.sleep(0.005)  # noqa: TID251 - the loop is held on purpose (see above)
        assert not lane.in_flight()
        dock = app.downloads_dock
        assert dock is not None
        panel = dock.widget()
        assert isinstance(panel, DownloadsPanel)
        qtbot.waitUntil(lambda: len(batches) == 1, timeout=5000)
        qtbot.waitUntil(lambda: app.files.saved_file(jobs[-1]) is not None, timeout=5000)
        qtbot.waitUntil(lambda: _saved_inserts(statements, lock) == FILES, timeout=5000)
    finally:
        with app.store._lock:
            app.store._conn.set_trace_callback(None)
    assert [p.state for p in batches[0]] == [DownloadState.DONE] * FILES
    shown = [panel.progress(j) for j in jobs]
    assert [p.state if p is not None else None for p in shown] == [DownloadState.DONE] * FILES
    assert _transactions_with_saved_files(statements, lock) == [FILES]


def _saved_inserts(statements: list[str], lock: threading.Lock) -> int:
    with lock:
        return sum("INTO saved_files" in s for s in statements)


def _transactions_with_saved_files(statements: list[str], lock: threading.Lock) -> list[int]:
    """How many saved_files rows each transaction wrote (a row outside one counts alone)."""
    with lock:
        items = list(statements)
    out: list[int] = []
    current: int | None = None
    for sql in items:
        head = sql.strip().upper()
        if head.startswith("BEGIN"):
            current = 0
        elif head.startswith(("COMMIT", "END")):
            if current:
                out.append(current)
            current = None
        elif "INTO SAVED_FILES" in head:
            if current is None:
                out.append(1)
            else:
                current += 1
    return out

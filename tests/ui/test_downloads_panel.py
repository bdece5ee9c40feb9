"""The downloads panel on a real DownloadManager, downloading from the simulator (qasync loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.downloads_panel import DownloadsPanel, progress_text

KEY = "panel-key-0123456789"


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """qasync's loop on the test's QApplication: coroutines advance while qtbot waits."""
    loop = qasync.QEventLoop(qapp)
    asyncio.events._set_running_loop(loop)
    yield loop
    asyncio.events._set_running_loop(None)
    loop.close()


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(SimWorld()) as server:
        yield server


@pytest.fixture
def manager(qtbot: QtBot, qloop: qasync.QEventLoop, sim: SimServer) -> Iterator[DownloadManager]:
    http = httpx.AsyncClient(timeout=5.0)

    async def refresh(job_id: str) -> str | None:
        return sim.world.file_url(job_id)

    mgr = DownloadManager(lambda url: http, sim.api_url, lambda: KEY, refresh, backoff=0.01)
    yield mgr
    closing = asyncio.ensure_future(_close(mgr, http))
    qtbot.waitUntil(closing.done, timeout=5000)


async def _close(mgr: DownloadManager, http: httpx.AsyncClient) -> None:
    await mgr.aclose()
    await http.aclose()


def shown(widget: QWidget) -> bool:
    """Visible as far as the panel is concerned (a row added to a shown panel shows a bit later)."""
    return not widget.isHidden()


class Opened:
    """Stands in for the desktop (QDesktopServices) and records what it was asked to open."""

    def __init__(self) -> None:
        self.urls: list[QUrl] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url)
        return True


def _job(sim: SimServer, size: int, name: str) -> tuple[str, str]:
    job_id = sim.world.add_job(KEY, queued_for=0, processing_for=0, file_size=size, file_name=name)
    return job_id, sim.world.file_url(job_id)


def test_a_row_follows_a_download_to_done_then_opens_the_file_and_its_folder(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    opened = Opened()
    panel = DownloadsPanel(manager, open_url=opened)
    qtbot.addWidget(panel)
    panel.show()
    assert shown(panel.empty_label)
    assert panel.title.text() == "No downloads"
    sim.world.file_faults.latency = 0.3  # long enough to see the row while it saves
    job_id, url = _job(sim, 300_000, "table.csv")
    manager.start(job_id, url, tmp_path / "dl")

    row = panel.row(job_id)
    assert row is not None and not shown(panel.empty_label)
    assert shown(row.cancel_button) and not shown(row.open_button)
    assert row.state_label.text() in ("Waiting", "Saving")

    qtbot.waitUntil(lambda: row.progress.state is DownloadState.DONE, timeout=5000)
    saved = tmp_path / "dl" / "table.csv"
    assert saved.stat().st_size == 300_000
    assert row.state_label.text() == "Done"
    assert panel.title.text() == "1 done"
    # A dock opens at the panel's size hint: it leaves room for the row and its buttons.
    assert panel.sizeHint().height() > row.sizeHint().height() + panel.title.sizeHint().height()
    assert row.name_label.text() == "table.csv"
    assert row.bar.value() == row.bar.maximum() and not shown(row.bar)
    assert row.detail_label.text().startswith("300.0 KB · in ")  # "Done" is said once
    # Two lines (it was five, ~110 px): a small dock shows several downloads at once.
    assert row.sizeHint().height() < 5 * row.fontMetrics().height() + 2
    assert not shown(row.cancel_button)
    assert shown(row.open_button) and shown(row.folder_button)
    assert row.open_button.accessibleName() == "Open table.csv"
    assert row.accessibleName() == "Download of table.csv: Done"

    qtbot.mouseClick(row.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(row.folder_button, Qt.MouseButton.LeftButton)
    # No file manager on the test's bus to select it: the folder opens instead (once it answers).
    qtbot.waitUntil(lambda: len(opened.urls) == 2)
    assert [u.toLocalFile() for u in opened.urls] == [str(saved), str(saved.parent)]

    panel.clear_finished()
    assert panel.rows == [] and shown(panel.empty_label)


def test_cancel_then_retry_from_the_row(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.show()
    sim.world.file_faults.latency = 2.0  # the answer hangs: the row stays "Saving"
    job_id, url = _job(sim, 50_000, "slow.bin")
    manager.start(job_id, url, tmp_path)
    row = panel.row(job_id)
    assert row is not None
    qtbot.waitUntil(lambda: row.progress.state is DownloadState.SAVING, timeout=5000)
    assert row.bar.maximum() == 0  # size not known yet: a busy bar, not a false 0 %

    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.progress.state is DownloadState.CANCELLED, timeout=5000)
    assert shown(row.retry_button) and not shown(row.open_button)
    assert not (tmp_path / "slow.bin").exists()

    sim.world.file_faults.latency = 0.0
    qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.progress.state is DownloadState.DONE, timeout=5000)
    assert panel.rows == [row]  # the same row carried on
    assert (tmp_path / "slow.bin").stat().st_size == 50_000


def test_a_panel_made_later_shows_downloads_already_known(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    job_id, url = _job(sim, 1000, "early.bin")
    download = manager.start(job_id, url, tmp_path)
    qtbot.waitUntil(lambda: download.state is DownloadState.DONE, timeout=5000)
    panel = DownloadsPanel(manager)
    qtbot.addWidget(panel)
    row = panel.row(job_id)
    assert row is not None and row.state_label.text() == "Done"


def test_progress_text_for_each_state() -> None:
    def p(state: DownloadState, **kw: object) -> DownloadProgress:
        values: dict[str, object] = {
            "bytes_done": 2_500_000,
            "total": 10_000_000,
            "speed": 1_250_000.0,
            "eta": 6.0,
            "path": Path("/d/r.csv"),
            "message": "m",
        }
        values.update(kw)
        return DownloadProgress("j", state, **values)  # type: ignore[arg-type]

    assert progress_text(p(DownloadState.SAVING)) == "2.5 MB of 10.0 MB · 1.2 MB/s · 6 s left"
    assert progress_text(p(DownloadState.SAVING, total=None, speed=None, eta=None)) == "2.5 MB"
    assert progress_text(p(DownloadState.FAILED, message="The disk is full")) == "The disk is full"
    assert progress_text(p(DownloadState.DONE, bytes_done=10_000_000)) == "10.0 MB · in /d"


def test_a_retry_is_told_in_the_row_and_goes_once_done(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.show()
    sim.world.file_faults.cut_after = 100_000
    job_id, url = _job(sim, 300_000, "cut.csv")
    notes: list[str] = []
    manager.add_listener(lambda _p: notes.append(row.note_label.text()) if row else None)
    row = None
    manager.start(job_id, url, tmp_path / "dl")
    row = panel.row(job_id)
    assert row is not None
    qtbot.waitUntil(lambda: row.progress.state is DownloadState.DONE, timeout=5000)
    assert any("trying again in" in n for n in notes)  # the retry was shown while it waited
    assert not shown(row.note_label)  # and is gone once the file is saved

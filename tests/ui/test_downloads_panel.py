"""The downloads panel on a real DownloadManager, downloading from the simulator (qasync loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import downloads_panel
from jobmonitor.ui.downloads_list import DownloadsModel
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
    assert shown(panel.empty_label) and not shown(panel.view)
    assert panel.title.text() == "No downloads"
    sim.world.file_faults.latency = 0.3  # long enough to see the row while it saves
    job_id, url = _job(sim, 300_000, "table.csv")
    manager.start(job_id, url, tmp_path / "dl")

    assert panel.job_ids == [job_id] and not shown(panel.empty_label)
    assert panel.select(job_id)
    assert shown(panel.cancel_button) and not shown(panel.open_button)
    row = panel.progress(job_id)
    assert row is not None and row.state.label in ("Waiting", "Saving")

    qtbot.waitUntil(lambda: panel.progress(job_id).state is DownloadState.DONE, timeout=5000)
    saved = tmp_path / "dl" / "table.csv"
    assert saved.stat().st_size == 300_000
    qtbot.waitUntil(lambda: panel.title.text() == "1 done")  # counts are shown a moment later
    index = panel.model.index(0)
    assert index.data() == "table.csv"
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("Download of table.csv: Done. 300.0 KB · in ")  # "Done" said once
    # A dock opens at the panel's size hint: it leaves room for a few rows and the actions.
    row_height = panel.view.sizeHintForRow(0)
    assert panel.sizeHint().height() > 2 * row_height + panel.open_button.sizeHint().height()
    # Two lines a row (it was five, ~110 px): a small dock shows several downloads at once.
    assert row_height < 3 * panel.fontMetrics().lineSpacing() + 16
    assert not shown(panel.cancel_button)
    assert shown(panel.open_button) and shown(panel.folder_button)
    assert panel.open_button.accessibleName() == "Open table.csv"
    assert "table.csv: Done" in panel.detail_label.accessibleName()

    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.folder_button, Qt.MouseButton.LeftButton)
    # No file manager on the test's bus to select it: the folder opens instead (once it answers).
    qtbot.waitUntil(lambda: len(opened.urls) == 2)
    assert [u.toLocalFile() for u in opened.urls] == [str(saved), str(saved.parent)]

    panel.clear_finished()
    assert panel.job_ids == [] and shown(panel.empty_label)
    assert not shown(panel.open_button) and not shown(panel.cancel_button)
    # The next download's row is the selected one, and its actions follow it to done.
    second_id, second_url = _job(sim, 1000, "second.csv")
    manager.start(second_id, second_url, tmp_path / "dl")
    qtbot.waitUntil(lambda: shown(panel.open_button), timeout=5000)
    assert panel.open_button.accessibleName() == "Open second.csv"


def test_cancel_then_retry_from_the_row(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.show()
    sim.world.file_faults.latency = 2.0  # the answer hangs: the row stays "Saving"
    job_id, url = _job(sim, 50_000, "slow.bin")
    manager.start(job_id, url, tmp_path)
    assert panel.select(job_id)
    qtbot.waitUntil(lambda: panel.progress(job_id).state is DownloadState.SAVING, timeout=5000)
    assert panel.progress(job_id).fraction is None  # size not known yet: painted as a busy bar

    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress(job_id).state is DownloadState.CANCELLED, timeout=5000)
    assert shown(panel.retry_button) and not shown(panel.open_button)
    assert not (tmp_path / "slow.bin").exists()

    sim.world.file_faults.latency = 0.0
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress(job_id).state is DownloadState.DONE, timeout=5000)
    assert panel.job_ids == [job_id]  # the same row carried on
    assert (tmp_path / "slow.bin").stat().st_size == 50_000


def test_a_panel_made_later_shows_downloads_already_known(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    job_id, url = _job(sim, 1000, "early.bin")
    download = manager.start(job_id, url, tmp_path)
    qtbot.waitUntil(lambda: download.state is DownloadState.DONE, timeout=5000)
    panel = DownloadsPanel(manager)
    qtbot.addWidget(panel)
    assert panel.model.rowCount() == 1 and panel.model.index(0).data() == "early.bin"
    assert panel.title.text() == "1 done"


def test_a_thousand_downloads_are_rows_of_one_list_announced_together(
    qtbot: QtBot, manager: DownloadManager, sim: SimServer, tmp_path: Path
) -> None:
    """Download all of many files: one insertion for all of them (not one each), no widget per
    download, and the rows keep following their downloads."""
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.show()
    inserted: list[tuple[int, int]] = []
    panel.model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    widgets = len(panel.findChildren(QWidget))
    jobs = [_job(sim, 2000, f"many-{i}.txt") for i in range(50)]
    for job_id, url in jobs:
        manager.start(job_id, url, tmp_path / "many")
    qtbot.waitUntil(lambda: inserted != [], timeout=5000)
    assert inserted == [(0, 49)]
    assert len(panel.findChildren(QWidget)) == widgets
    qtbot.waitUntil(lambda: panel.title.text() == "50 done", timeout=15000)
    assert panel.job_ids == [j for j, _ in reversed(jobs)]  # newest first
    assert all(panel.progress(j).state is DownloadState.DONE for j, _ in jobs)


def test_rows_added_soon_after_an_insertion_wait_to_be_announced_together(
    qtbot: QtBot,
    manager: DownloadManager,
    sim: SimServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Download all starts its downloads over several turns: the view is told of the first
    ones at once, of the rest together once ``REPAINT_MS`` has passed (each insertion lays out
    every row again), not once per turn."""
    monkeypatch.setattr(DownloadsModel, "REPAINT_MS", 60_000)  # longer than this test
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.show()
    inserted: list[tuple[int, int]] = []
    panel.model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    jobs = [_job(sim, 2000, f"turn-{i}.txt") for i in range(12)]
    for job_id, url in jobs[:3]:
        manager.start(job_id, url, tmp_path / "turns")
    qtbot.waitUntil(lambda: inserted != [], timeout=5000)
    assert inserted == [(0, 2)]
    for job_id, url in jobs[3:]:  # one per turn, as Download all's slices come
        manager.start(job_id, url, tmp_path / "turns")
        QApplication.processEvents()
    assert inserted == [(0, 2)] and panel.model.rowCount() == 3
    assert panel.model.row_of(jobs[-1][0]) == 0  # asking for a row announces what waits
    assert inserted == [(0, 2), (0, 8)] and panel.model.rowCount() == 12


def test_a_change_among_a_thousand_rows_asks_the_model_about_the_rows_on_screen_only(
    qtbot: QtBot, manager: DownloadManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list view laid every row out again for a new row or a changed one, asking the model
    in Python about each (2,000 calls at 1,000 rows): the panel's list asks about what it shows."""
    calls = [0]

    class Counting(DownloadsModel):
        def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
            calls[0] += 1
            return super().rowCount(parent)

    monkeypatch.setattr(downloads_panel, "DownloadsModel", Counting)
    panel = DownloadsPanel(manager, open_url=Opened())
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.show()

    def progress(i: int, state: DownloadState) -> DownloadProgress:
        return DownloadProgress(f"job-{i}", state, 0, 100, None, None, None, "")

    show = panel._on_progress  # what the manager's listener calls, without 1,000 downloads

    def settle() -> None:
        for _ in range(5):
            QApplication.processEvents()
        panel.view.viewport().repaint()

    for i in range(1000):
        show(progress(i, DownloadState.QUEUED))
    panel.model.announce()
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    panel.view.viewport().repaint()
    calls[0] = 0
    with qtbot.waitSignal(panel.model.dataChanged, timeout=5000):  # at its throttled time
        show(progress(999, DownloadState.DONE))  # the top row
        show(progress(998, DownloadState.DONE))
    settle()  # the layout the change asked for (a zero timer), and the repaint
    assert 0 < calls[0] < 200, calls[0]
    calls[0] = 0
    show(progress(1000, DownloadState.QUEUED))  # a new row, at the top
    panel.model.announce()
    settle()
    assert 0 < calls[0] < 200, calls[0]
    assert panel.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole).startswith("Download of ")


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
    spoken: list[str] = []
    manager.add_listener(
        lambda _p: spoken.append(panel.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole))
    )
    manager.start(job_id, url, tmp_path / "dl")
    assert panel.select(job_id)
    qtbot.waitUntil(lambda: panel.progress(job_id).state is DownloadState.DONE, timeout=5000)
    assert any("trying again in" in (n or "") for n in spoken)  # told while it waited
    assert "trying again" not in panel.detail_label.text()  # and gone once the file is saved

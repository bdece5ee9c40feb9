"""Result files saved in an earlier session: remembered, shown in the details, not fetched again."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld


def test_a_file_saved_in_an_earlier_session_is_shown_and_not_downloaded_again(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    jobs = [
        world.add_job(KEY, queued_for=0, processing_for=0, file_name=f"r{n}.csv", file_size=4000)
        for n in range(2)
    ]
    first = make_app(add_text=" ".join(jobs))
    qtbot.waitUntil(
        lambda: all(first.watchlist.get(j).state is JobState.SUCCESS for j in jobs),  # type: ignore[union-attr]
        timeout=10000,
    )
    assert sorted(first.download_all_finished()) == sorted(jobs)
    manager = first.downloads
    assert manager is not None
    qtbot.waitUntil(
        lambda: all(d.state is DownloadState.DONE for d in manager.downloads), timeout=15000
    )
    folder = tmp_path / "downloads"
    # The record is written by the database thread: closing the app waits for it.
    close(qtbot, first)

    second = make_app()  # a new session on the same data
    w = second.window
    qtbot.waitUntil(lambda: len(second.watchlist.jobs()) == 2, timeout=5000)
    qtbot.waitUntil(
        lambda: all(second.watchlist.get(j).state is JobState.SUCCESS for j in jobs),  # type: ignore[union-attr]
        timeout=10000,
    )
    assert second.download_all_finished() == []  # both still on disk: nothing fetched again
    assert "already downloaded" in w.statusBar().currentMessage()
    assert sorted(p.name for p in folder.iterdir()) == ["r0.csv", "r1.csv"]

    w.select_job(jobs[0])
    details = w.details
    qtbot.waitUntil(lambda: details.job is not None and details.job.job_id == jobs[0])
    assert details.open_button.isVisible() and details.folder_button.isVisible()
    assert details.download_button.text().replace("&", "") == "Download again"
    opened: list[QUrl] = []
    details.open_url = lambda url: opened.append(url) or True
    details.open_button.click()
    details.folder_button.click()  # no file manager on the bus to select it: the folder
    qtbot.waitUntil(lambda: len(opened) == 2)
    assert [u.toLocalFile() for u in opened] == [str(folder / "r0.csv"), str(folder)]
    details.open_url = lambda _url: False
    details.open_button.click()
    assert w.statusBar().currentMessage() == (
        "Could not open r0.csv: no application is set to open “.csv” files. "
        "Use Show in folder and open it from there."
    )

    (folder / "r0.csv").unlink()  # deleted by the user: offered and fetched again
    details.refresh()
    assert not details.open_button.isVisible()
    assert details.download_button.text().replace("&", "") == "Download result file"
    assert second.download_all_finished() == [jobs[0]]
    again = second.downloads
    assert again is not None
    qtbot.waitUntil(lambda: again.get(jobs[0]).state is DownloadState.DONE, timeout=15000)  # type: ignore[union-attr]
    assert sorted(p.name for p in folder.iterdir()) == ["r0.csv", "r1.csv"]
    qtbot.waitUntil(details.open_button.isVisible)  # the details follow the new download

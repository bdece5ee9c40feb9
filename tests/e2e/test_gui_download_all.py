"""Download all finished over more files than one slice: started a slice per loop turn, each
file once, none started twice by a second click meanwhile."""

# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)
from __future__ import annotations

from pathlib import Path

import pytest
from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.state import JobState
from jobmonitor.desktop import downloads as desktop_downloads
from jobmonitor.sim.world import SimWorld


def test_download_all_starts_in_slices_and_fetches_each_file_once(
    qtbot: QtBot,
    make_app: AppFactory,
    world: SimWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(desktop_downloads, "START_SLICE", 2)
    jobs = [
        world.add_job(KEY, queued_for=0, processing_for=0, file_name=f"r{n}.txt", file_size=900)
        for n in range(5)
    ]
    app = make_app(add_text=" ".join(jobs))
    qtbot.waitUntil(
        lambda: all(j.state is JobState.SUCCESS for j in app.watchlist.jobs()), timeout=10000
    )
    started = app.download_all_finished()
    manager = app.downloads
    assert manager is not None
    assert sorted(started) == sorted(jobs)
    assert len(manager.downloads) == 2  # the first slice now, the rest on later turns
    assert app.download_all_finished() == []  # what is still to start is not started twice
    qtbot.waitUntil(lambda: len(manager.downloads) == 5, timeout=5000)
    qtbot.waitUntil(
        lambda: all(d.state is DownloadState.DONE for d in manager.downloads), timeout=15000
    )
    folder = tmp_path / "downloads"
    assert sorted(p.name for p in folder.iterdir()) == [f"r{n}.txt" for n in range(5)]
    assert world.stats.file_requests == 5

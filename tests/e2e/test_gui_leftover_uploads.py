"""An upload that an interrupted run left half-submitted is deleted at the next start."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.api.urls import normalize_base_url
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld


def test_an_interrupted_runs_upload_is_deleted_once_the_key_is_known(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, sim: SimServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    left = world.uploads.create(KEY, "orders.json")
    kept = world.uploads.create(KEY, "made_elsewhere.json")  # not ours: untouched
    store = JobStore(data / "jobs.db")  # what the killed run had noted
    store.open_upload(left.upload_id, normalize_base_url(sim.api_url), "orders (1).json", 1.0)
    store.close()

    app = make_app(data_dir=data)
    bar = app.window.statusBar()
    qtbot.waitUntil(lambda: "interrupted submission" in bar.currentMessage(), timeout=10000)
    assert "orders (1).json" in bar.currentMessage()
    assert [u.upload_id for u in world.uploads.all()] == [kept.upload_id]
    qtbot.waitUntil(lambda: app.store.pending_uploads(app.base_url) == [])

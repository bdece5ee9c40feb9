"""File › Export list as CSV: the jobs shown (filter applied), a clear note when it cannot write."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import csv
from pathlib import Path

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.jobs_model import Category


def test_export_writes_the_jobs_shown_and_says_where(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    done = world.add_job(KEY, queued_for=0, processing_for=0)
    failed = [
        world.add_job(KEY, queued_for=0, processing_for=0, outcome="failed") for _ in range(2)
    ]
    app = make_app(add_text=" ".join([done, *failed]))
    w, a = app.window, app.window.job_actions
    qtbot.waitUntil(
        lambda: all(app.watchlist.get(j).state.terminal for j in [done, *failed]),  # type: ignore[union-attr]
        timeout=10000,
    )
    w.filter_bar.select(Category.FAILED)
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 2, timeout=5000)  # the table caught up
    asked: list[Path] = []
    target = tmp_path / "export" / "failed.csv"
    target.parent.mkdir()

    def choose(suggested: Path) -> Path | None:
        asked.append(suggested)
        return target

    w.exporter.choose_path = choose
    a.export.trigger()
    assert asked and asked[0].suffix == ".csv"
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["job_id"] for r in rows) == sorted(failed)  # only what the filter shows
    assert {r["status"] for r in rows} == {JobState.FAILED.value}
    assert all(r["error_code"] for r in rows)
    assert w.statusBar().currentMessage() == f"Exported 2 jobs to {target}."
    assert not w.notice.isVisible()

    w.exporter.choose_path = lambda _suggested: None  # cancelled: nothing happens
    a.export.trigger()
    assert not w.notice.isVisible()

    w.exporter.choose_path = lambda _suggested: tmp_path / "gone" / "x.csv"
    a.export.trigger()  # a folder that is not there: said plainly, no traceback
    assert w.notice.isVisible()
    assert "Could not export the list to" in w.notice.text.text()
    assert "Nothing was written" in w.notice.text.text()

"""The "Next check" column against the simulator: held back by the budget, paused, rate limited."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import ApiCondition, JobState
from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import jobs_model as cols
from jobmonitor.ui import next_check as nc


def _cell(app: DesktopApp, job_id: str, role: int = Qt.ItemDataRole.DisplayRole) -> str:
    model = app.window.model
    row = model.row_of(job_id)
    assert row is not None
    return str(model.index(row, cols.NEXT_CHECK).data(role))


def _waiting(world: SimWorld) -> str:
    return world.add_job(KEY, queued_for=600, processing_for=1, retry_after=2)


def test_a_job_held_back_by_the_budget_says_so(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    ids = [_waiting(world) for _ in range(3)]
    app = make_app(start=False)
    app.settings.rate_limit = 2  # one request every 30 s: the second and third job must wait
    app.start(add_text=" ".join(ids))
    qtbot.waitExposed(app.window)
    qtbot.waitUntil(lambda: app.watchlist.get(ids[0]).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: _cell(app, ids[2]) == nc.WAITING_FOR_BUDGET, timeout=5000)
    assert world.stats.requests == 1  # it really is the budget that holds it back
    assert "of 2 allowed" in _cell(app, ids[2], Qt.ItemDataRole.ToolTipRole)
    assert app.watchlist.get(ids[2]).state is JobState.PENDING  # type: ignore[union-attr]


def test_paused_polling_reads_paused_not_now(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    job = _waiting(world)
    app = make_app(add_text=job)
    qtbot.waitUntil(lambda: app.watchlist.get(job).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    app.window.job_actions.pause.trigger()
    assert _cell(app, job) == nc.PAUSED
    assert "Ctrl+Shift+P" in _cell(app, job, Qt.ItemDataRole.ToolTipRole)
    app.window.job_actions.pause.trigger()
    qtbot.waitUntil(lambda: _cell(app, job).startswith("in ") or _cell(app, job) == "now")


def test_a_rate_limit_pause_is_named(qtbot: QtBot, make_app: AppFactory, world: SimWorld) -> None:
    world.rate_limit = 1  # the second request of the minute gets a 429 (Retry-After ~ 60 s)
    ids = [_waiting(world) for _ in range(2)]
    app = make_app(add_text=" ".join(ids))
    qtbot.waitUntil(
        lambda: app.polling.api_status.condition is ApiCondition.RATE_LIMITED, timeout=10000
    )
    for job in ids:
        assert _cell(app, job) == nc.AFTER_RATE_LIMIT
    assert "rate limit" in _cell(app, ids[1], Qt.ItemDataRole.ToolTipRole)

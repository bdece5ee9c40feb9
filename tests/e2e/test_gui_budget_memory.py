"""What one session learned of the API's request budget, the next one starts from (for a day)."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from jobmonitor.sim.world import SimWorld


def _saved(tmp_path: Path) -> dict[str, str]:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.beginGroup("limits")
    return {k: str(settings.value(k)) for k in settings.childKeys()}


def test_a_limit_a_429_taught_is_where_the_next_session_starts(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    world.rate_limit = 12  # per minute, and the server does not say so in headers
    jobs = [world.add_job(KEY, queued_for=600, retry_after=1) for _ in range(20)]
    first = make_app(add_text=" ".join(jobs))
    assert first.session is not None
    budget = first.session.scheduler.budget
    assert budget.limit is None  # nothing known: it paces at an assumption
    qtbot.waitUntil(lambda: world.stats.rate_limited >= 1, timeout=10000)
    qtbot.waitUntil(lambda: budget.learned is not None, timeout=5000)
    learned, tentative, kind = budget.learned, budget.tentative, budget.kind
    assert learned is not None and learned <= 12
    close(qtbot, first)
    saved = _saved(tmp_path)
    assert len(saved) == 1 and next(iter(saved.values())).startswith(f"{learned} ")
    assert next(iter(saved.values())).endswith(f" {int(tentative)} {kind}")

    second = make_app()  # the same settings file and data: a new session on the same API
    assert second.session is not None
    # Paced at the learned limit from the first request, before any answer could teach it.
    assert second.session.scheduler.budget.limit == learned
    # A limit taught in a first minute is provisional, and stays so: it is probed above again.
    assert second.session.scheduler.budget.memory[2:] == (tentative, kind)
    assert second.polling.budget_usage[1] == learned
    close(qtbot, second)
    assert _saved(tmp_path) == saved  # only recalled, not confirmed: its day is not extended

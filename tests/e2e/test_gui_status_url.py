"""A job submitted from the window is polled at its accepted answer's ``status_url`` (on the API's
origin), in the session that submitted it and after a restart."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from submithelpers import job_for, submit

from jobmonitor.core.settings import Settings
from jobmonitor.core.state import JobState
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld


def test_a_submitted_job_is_polled_at_its_status_url_before_and_after_a_restart(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, sim: SimServer, tmp_path: Path
) -> None:
    # The app's route for other jobs differs from the simulator's status_url (/jobs/{id}), so
    # the simulator's counts show which one was asked.
    settings = Settings(qsettings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.set_route_template(sim.api_url, "/status-api/{job_id}")
    settings.sync()
    world.tools.accepted_for = 0.0
    world.tools.queued_for = 0.05
    world.tools.processing_for = 600  # still processing at the restart
    world.tools.retry_after = 0.2
    source = tmp_path / "orders.json"
    source.write_text('{"a": 1}')
    app = make_app()
    submit(qtbot, app, [source], "json-formatter-api")
    qtbot.waitUntil(lambda: job_for(app, "orders.json") is not None, timeout=10000)
    job = job_for(app, "orders.json")
    assert job is not None
    qtbot.waitUntil(lambda: app.watchlist.get(job).state is JobState.PROCESSING, timeout=10000)  # type: ignore[union-attr]
    assert world.stats.by_route["jobs"] >= 1 and world.stats.by_route["status-api"] == 0
    assert app.inputs.inputs[job].status_url == f"{sim.api_url}/jobs/{job}"
    close(qtbot, app)

    world.reset_stats()
    again = make_app()
    qtbot.waitUntil(lambda: world.stats.by_route["jobs"] >= 1, timeout=10000)
    assert world.stats.by_route["status-api"] == 0
    assert again.inputs.inputs[job].status_url == f"{sim.api_url}/jobs/{job}"

"""Regenerate the README screenshots of the demo (not a test; run by hand):

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/e2e/screenshots.py resources/screenshots

Writes main-window-light.png (a failed job selected) and main-window-dark.png (``--dark``, a
finished job selected) at 1600x900, and main-window-small.png at 640x480 (the details under the
list), each after 10 s of the demo; and failure-in-input.png (a broken sample submitted with File ›
New job, its failure shown in its input) at 1600x1000. Uses a throw-away data folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

_GRAB = """
import sys
from PySide6.QtCore import QTimer
import jobmonitor.desktop.root as desktop
out, select, size = sys.argv[1], sys.argv[2], sys.argv[3]
width, height = (int(n) for n in size.split("x"))
start = desktop.DesktopApp.start
def patched(self, **kw):
    start(self, **kw)
    self.window.resize(width, height)
    def grab():
        model = self.window.model
        for row in range(model.rowCount()):
            if model.job_at(row).state.value == select:
                self.window.select_job(model.job_at(row).job_id)
                break
        self.window.table.setFocus()
        def save():
            self.window.statusBar().clearMessage()
            self.window.grab().save(out)
            self.quit_requested.emit()
        QTimer.singleShot(400, save)
    QTimer.singleShot(10_000, grab)
desktop.DesktopApp.start = patched
from jobmonitor.desktop.main import run_gui
sys.exit(run_gui(sys.argv[4:]))
"""


_GRAB_FAILURE = """
import sys
from PySide6.QtCore import QTimer
import jobmonitor.desktop.root as desktop
out = sys.argv[1]
start = desktop.DesktopApp.start
def patched(self, **kw):
    start(self, **kw)
    self.window.resize(1600, 1000)
    sample = self.demo.samples / "broken-trailing-comma.json"
    def fill(dialog):
        dialog.add_paths([sample])
        return dialog.picker.select("json-formatter-api")
    self.submissions.new_job.run_dialog = fill
    QTimer.singleShot(1500, self.submissions.new_job.action.trigger)
    def wait():
        job = next((j for j in self.watchlist.jobs() if j.label.startswith(sample.name)), None)
        if job is None or not job.state.terminal:
            QTimer.singleShot(300, wait)
            return
        self.window.select_job(job.job_id)
        self.submissions.dock.hide()
        self.window.notice.hide()
        def save():
            self.window.statusBar().clearMessage()
            self.window.grab().save(out)
            self.quit_requested.emit()
        QTimer.singleShot(1200, save)
    QTimer.singleShot(2500, wait)
desktop.DesktopApp.start = patched
from jobmonitor.desktop.main import run_gui
sys.exit(run_gui(sys.argv[2:]))
"""


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for out, select, size, extra in (
        ("main-window-light.png", "failed", "1600x900", []),
        ("main-window-dark.png", "success", "1600x900", ["--dark"]),
        ("main-window-small.png", "failed", "640x480", []),
    ):
        # A fresh data folder per shot: the window state one shot saves is no part of the next.
        home = Path(tempfile.mkdtemp(prefix="jobmonitor-shots-"))
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[name] = str(home / name.lower())
        argv = [sys.executable, "-c", _GRAB, str(folder / out), select, size, "--demo", *extra]
        subprocess.run(argv, env=env, check=True, timeout=120)
        print(folder / out)
    out = folder / "failure-in-input.png"
    argv = [sys.executable, "-c", _GRAB_FAILURE, str(out), "--demo"]
    subprocess.run(argv, env=env, check=True, timeout=120)
    print(out)


if __name__ == "__main__":
    main()

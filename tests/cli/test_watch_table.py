"""The live table of ``jobmonitor watch`` on a small terminal: lines fit, failures are named."""

from __future__ import annotations

import io
import os

import httpx
import pytest

from jobmonitor.api.client import StatusClient
from jobmonitor.cli import watch_views
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobState

IDS = [f"{n:08x}-e5f6-4890-abcd-ef1234567890" for n in range(12)]


def _scheduler(states: dict[str, JobState]) -> PollScheduler:
    client = StatusClient(httpx.AsyncClient(), "http://127.0.0.1:9", api_key="k" * 16)
    sched = PollScheduler(client)
    for job_id, state in states.items():
        sched.watch(job_id, state=state)  # known states, no request sent
    return sched


def test_a_small_terminal_gets_lines_that_fit_and_the_hidden_failures_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    states = {job_id: JobState.SUCCESS for job_id in IDS}
    states[IDS[3]] = JobState.FAILED
    states[IDS[9]] = JobState.NOT_FOUND
    states[IDS[10]] = JobState.QUEUED
    out = io.StringIO()
    view = watch_views.TableView(out)
    view.bind(_scheduler(states), IDS)
    lines = view._lines(view.scheduler, 30, 5)  # type: ignore[arg-type]  # room for 2 jobs
    assert all(len(line) < 30 for line in lines)  # never the last column: no wrapping
    shown = "\n".join(lines)
    assert IDS[10][:28] in shown  # the open job first, then the ones that did not succeed
    assert IDS[3][:28] in shown and "... and 10 more" in shown
    assert IDS[9][:28] not in shown

    monkeypatch.setattr(
        watch_views.shutil, "get_terminal_size", lambda fallback=(0, 0): os.terminal_size((80, 5))
    )
    view.close()
    tail = out.getvalue().rsplit("\x1b[J", 1)[-1]  # what is printed after the last drawing
    assert IDS[9] in tail and "not found" in tail.lower()  # a hidden failure is named
    assert IDS[0] not in tail  # the ones that succeeded are not listed again

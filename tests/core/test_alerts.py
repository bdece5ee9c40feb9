"""Alerts while hidden: a rejected key once per episode, long outages, stuck jobs told once."""

from __future__ import annotations

from dataclasses import dataclass

from jobmonitor.core.alerts import AlertKind, AlertTracker, is_stuck, stuck_test
from jobmonitor.core.state import ApiCondition, ApiStatus, JobState


@dataclass
class Job:
    job_id: str
    state: JobState
    added_at: float
    updated_at: float | None = None
    label: str = ""


def test_a_rejected_key_is_said_once_per_episode_and_urgently() -> None:
    t = AlertTracker()
    alert = t.on_api_status(ApiStatus(ApiCondition.KEY_REJECTED), 0)
    assert alert is not None and alert.kind is AlertKind.KEY_REJECTED and alert.urgent
    assert t.on_api_status(ApiStatus(ApiCondition.KEY_REJECTED), 10) is None
    assert t.on_api_status(ApiStatus(ApiCondition.ONLINE), 20) is None
    again = t.on_api_status(ApiStatus(ApiCondition.KEY_REJECTED), 30)
    assert again is not None  # a new episode after a working key


def test_an_outage_is_news_after_a_few_minutes_and_only_once() -> None:
    t = AlertTracker(unreachable_after=300)
    assert t.on_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=1000), 1000) is None
    assert t.tick(1200) is None
    alert = t.tick(1320)
    assert alert is not None and alert.kind is AlertKind.UNREACHABLE and not alert.urgent
    assert "5 minutes" in alert.message
    assert t.tick(2000) is None
    # A status update during the same outage does not restart its clock nor repeat it.
    assert t.on_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=1000), 2100) is None
    t.on_api_status(ApiStatus(ApiCondition.ONLINE), 2200)
    t.on_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=3000), 3000)
    assert t.tick(3100) is None and t.tick(3400) is not None


def test_stuck_jobs_are_told_once_each_and_only_while_running() -> None:
    t = AlertTracker(stuck_after=3600)
    jobs = [
        Job("a" * 8, JobState.PROCESSING, added_at=0, updated_at=100, label="Big file"),
        Job("b" * 8, JobState.QUEUED, added_at=3000),
        Job("c" * 8, JobState.SUCCESS, added_at=0),
    ]
    assert t.stuck(jobs, 3000) is None
    alert = t.stuck(jobs, 3800)
    assert alert is not None and alert.job_ids == ("a" * 8,)
    assert alert.message == "Big file has been processing for over 1 hour."
    assert t.stuck(jobs, 5000) is None  # a told, b not yet
    later = t.stuck(jobs, 6700)
    assert later is not None and later.job_ids == ("b" * 8,)
    assert not is_stuck(jobs[2], 10**9, 3600)


def test_many_newly_stuck_jobs_make_one_alert() -> None:
    t = AlertTracker(stuck_after=7200)
    jobs = [Job(f"{i:08x}", JobState.QUEUED, added_at=0) for i in range(5)]
    alert = t.stuck(jobs, 8000)
    assert alert is not None and alert.title == "5 jobs look stuck" and len(alert.job_ids) == 5
    assert "2 hours" in alert.message


def test_the_stuck_test_of_a_moment_is_is_stuck_then() -> None:
    jobs = [
        Job(f"{i:08x}", state, added_at=added, updated_at=updated)
        for i, (state, added, updated) in enumerate(
            [
                (JobState.PROCESSING, 0, 100),
                (JobState.PROCESSING, 0, None),
                (JobState.QUEUED, 3000, None),
                (JobState.UNKNOWN, 0, 5000),
                (JobState.SUCCESS, 0, 0),
                (JobState.PENDING, 0, None),
            ]
        )
    ]
    for now in (3000, 3700, 6600, 8600, 10**9):
        test = stuck_test(now, 3600)
        assert [test(j) for j in jobs] == [is_stuck(j, now, 3600) for j in jobs]
    assert [stuck_test(8600, 3600)(j) for j in jobs] == [True, True, True, True, False, False]

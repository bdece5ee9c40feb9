"""The demo world: every kind of job, transitions in the first 30 s, still moving for minutes."""

from __future__ import annotations

from collections import Counter

from jobmonitor.sim import ManualClock, SimWorld, build_demo_world
from jobmonitor.sim.demo import KINDS


def _status(key: str, world: SimWorld, job: str) -> object:
    answer = world.handle("jobs", key, job)
    return answer.body["status"] if answer.status == 200 and answer.body else answer.status


def test_every_kind_is_there_and_answers_as_named() -> None:
    clock = ManualClock()
    demo = build_demo_world(clock=clock)
    world = demo.world
    assert set(demo.jobs) == set(KINDS)
    assert all(demo.jobs[kind] for kind in KINDS)
    expected = {"unknown": "on_hold", "forbidden": 403, "not_found": 404}
    for kind, ids in demo.jobs.items():
        for job in ids:
            assert job == job.lower() and len(job) == 36
            assert _status(demo.key, world, job) == expected.get(kind, kind), (kind, job)
    failed_with_position = [
        world.handle("jobs", demo.key, job).body["error"]["details"]  # type: ignore[index]
        for job in demo.jobs["failed"]
    ]
    assert any({"line", "column"} < set(d) for d in failed_with_position)  # and more details
    assert any("line" not in d for d in failed_with_position)


def test_jobs_keep_moving_for_minutes() -> None:
    clock = ManualClock()
    demo = build_demo_world(clock=clock)
    moving = demo.jobs["queued"] + demo.jobs["processing"] + demo.jobs["unknown"]
    before = {job: demo.world.status_of(job) for job in moving}
    clock.advance(30)
    after_30s = {job: demo.world.status_of(job) for job in moving}
    changed = [job for job in moving if before[job] != after_30s[job]]
    assert len(changed) >= 3
    assert {"success", "failed"} <= set(after_30s.values())  # a newcomer sees both endings
    clock.advance(60)
    still_running = [job for job in moving if demo.world.status_of(job) in ("queued", "processing")]
    assert still_running, "nothing left moving after 90 s"
    clock.advance(9 * 60)
    final = Counter(demo.world.status_of(job) for job in moving)
    assert set(final) == {"success", "failed"}, final


def test_deterministic_for_a_seed() -> None:
    one = build_demo_world(clock=ManualClock(), seed=1).jobs
    assert one == build_demo_world(clock=ManualClock(), seed=1).jobs
    assert one != build_demo_world(clock=ManualClock(), seed=2).jobs

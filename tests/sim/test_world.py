"""The world's decisions without HTTP: lifecycles on a manual clock, ownership, limits, seeding."""

from __future__ import annotations

import pytest
from simhelpers import KEY, OTHER

from jobmonitor.sim import ManualClock, SimWorld
from jobmonitor.sim.jobs import SEED_ERRORS, error_body


def test_lifecycle_follows_the_clock(world: SimWorld, clock: ManualClock) -> None:
    start = clock()
    job = world.add_job(KEY, queued_for=5, processing_for=10, retry_after=3)
    assert job == job.lower()
    assert world.finish_time(job) == start + 15
    seen = []
    for step in (0, 4.9, 5, 14.9, 15, 1000):
        clock.set(start + step)
        answer = world.handle("jobs", KEY, job)
        assert answer.status == 200 and answer.body is not None
        seen.append((answer.body["status"], answer.body["updated_at"]))
    assert seen == [
        ("queued", int(start)),
        ("queued", int(start)),
        ("processing", int(start + 5)),
        ("processing", int(start + 5)),
        ("success", int(start + 15)),
        ("success", int(start + 15)),
    ]


def test_queued_answer_has_the_documented_fields(world: SimWorld) -> None:
    job = world.add_job(KEY, retry_after=2.5)
    body = world.handle("jobs", KEY, job).body
    assert body is not None
    assert set(body) == {"job_id", "status", "created_at", "updated_at", "message", "retry_after"}
    assert body["retry_after"] == 2.5
    assert isinstance(body["created_at"], int)
    whole = world.add_job(KEY, retry_after=2.0)
    assert world.handle("jobs", KEY, whole).body["retry_after"] == 2  # type: ignore[index]
    none = world.add_job(KEY, retry_after=None)
    assert "retry_after" not in world.handle("jobs", KEY, none).body  # type: ignore[operator]


def test_failed_and_success_payloads(world: SimWorld) -> None:
    failed = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0,
        outcome="failed",
        error_code="SCHEMA",
        error_message="bad",
        error_details={"line": 7, "column": 9, "path": "$.a"},
    )
    body = world.handle("jobs", KEY, failed).body
    assert body is not None
    assert body["error"] == {
        "code": "SCHEMA",
        "message": "bad",
        "details": {"line": 7, "column": 9, "path": "$.a"},
    }
    assert "result" not in body and "retry_after" not in body
    ok = world.add_job(KEY, queued_for=0, processing_for=0, extra_result={"rows": 3})
    result = world.handle("jobs", KEY, ok).body["result"]  # type: ignore[index]
    assert result["status"] == "success" and result["rows"] == 3
    assert result["file"].startswith("http://files.test/files/")
    assert '"John"' in result["preview"]
    assert len(result["request_id"]) == 36


def test_unknown_status_replaces_processing(world: SimWorld, clock: ManualClock) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=10, unknown_status="on_hold")
    body = world.handle("status-api", KEY, job).body
    assert body is not None and body["status"] == "on_hold" and "retry_after" in body
    clock.advance(10)
    assert world.status_of(job) == "success"


def test_ownership_deletion_and_bad_ids(world: SimWorld) -> None:
    job = world.add_job(KEY)
    assert world.handle("jobs", OTHER, job).body == error_body(403)
    assert world.handle("jobs", KEY, job.upper()).status == 200
    world.delete_job(job)
    assert world.handle("jobs", KEY, job).body == error_body(404)
    assert world.handle("jobs", KEY, None).body == error_body(400)
    bad = world.handle("jobs", KEY, "not a/uuid")
    assert bad.status == 400 and bad.body["error"] == "INVALID_JOB_ID"  # type: ignore[index]
    assert world.handle("jobs", KEY, "not-a-uuid").status == 404  # an id of the allowed kind
    assert world.handle("jobs", None, job).body == error_body(401)
    assert world.handle("jobs", "wrong", job).body == error_body(401)


def test_auth_comes_before_id_checks(world: SimWorld) -> None:
    assert world.handle("jobs", "wrong", "garbage").status == 401


def test_error_bodies_are_the_seeds() -> None:
    assert error_body(429) == {
        "status": "error",
        "error": "RATE_LIMITED",
        "details": {"message": "Too many status requests. Please slow down."},
    }
    assert set(SEED_ERRORS) == {400, 401, 403, 404, 429, 500}


def test_rate_limit_sliding_window(clock: ManualClock) -> None:
    world = SimWorld(clock=clock, rate_limit=3)
    job = world.add_job(KEY)
    world.add_key(OTHER)
    statuses = []
    for _ in range(4):
        statuses.append(world.handle("jobs", KEY, job).status)
        clock.advance(10)
    assert statuses == [200, 200, 200, 429]
    assert world.handle("jobs", OTHER, job).status == 403  # another key has its own budget
    limited = world.handle("jobs", KEY, job)
    assert limited.headers["Retry-After"] == "20"  # the first request leaves the window at +60 s
    clock.advance(20)
    assert world.handle("jobs", KEY, job).status == 200
    assert world.stats.rate_limited == 2
    assert world.stats.by_status[429] == 2


def test_faults_are_seeded() -> None:
    def run(seed: int) -> list[int]:
        world = SimWorld(seed=seed)
        job = world.add_job(KEY, queued_for=0)
        world.faults.error_rate = 0.5
        return [world.handle("jobs", KEY, job).status for _ in range(40)]

    first = run(11)
    assert first == run(11)
    assert 5 < first.count(500) < 35 and first != run(12)


def test_stats_count_requests_and_can_be_reset(world: SimWorld) -> None:
    world.handle("jobs", KEY, "x")
    world.handle("status-api", KEY, "x")
    stats = world.stats
    assert stats.requests == 2 and stats.by_route == {"jobs": 1, "status-api": 1}
    world.reset_stats()
    assert world.stats.requests == 0
    assert stats.requests == 2  # a copy, not a live view


def test_add_job_rejects_an_unknown_outcome(world: SimWorld) -> None:
    with pytest.raises(ValueError, match="outcome"):
        world.add_job(KEY, outcome="done")


def test_file_urls_expire_and_are_renewed_on_the_next_poll(
    world: SimWorld, clock: ManualClock
) -> None:
    world.file_faults.url_ttl = 30
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    first = world.handle("jobs", KEY, job).body["result"]["file"]  # type: ignore[index]
    token, name = first.split("/")[-2:]
    assert world.resolve_file(token, name).status == 200
    clock.advance(29)
    assert world.handle("jobs", KEY, job).body["result"]["file"] == first  # type: ignore[index]
    clock.advance(1)
    assert world.resolve_file(token, name).status == 410
    world.file_faults.expired_status = 403
    assert world.resolve_file(token, name).status == 403
    fresh = world.handle("jobs", KEY, job).body["result"]["file"]  # type: ignore[index]
    assert fresh != first
    assert world.resolve_file(*fresh.split("/")[-2:]).status == 200
    world.expire_file_urls()
    assert world.resolve_file(*fresh.split("/")[-2:]).status == 403
    assert world.file_url(job) != fresh
    assert world.resolve_file(token, "other-name.json").status == 404
    assert world.resolve_file("nope", name).status == 404

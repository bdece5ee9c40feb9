"""PollScheduler against the real simulator over loopback: states, hints, order, events, controls.

The world and the scheduler share a clock running 20x real time, so a 60-second rule takes 3 s.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import pytest
import virtualtime
from schedhelpers import KEY, harness, virtual_harness

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import InvalidJobId
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import ApiCondition, JobState


def new_id() -> str:
    return str(uuid.uuid4())


async def test_every_outcome_is_detected_and_terminal_jobs_are_polled_once() -> None:
    async with harness() as h:
        w = h.world
        ok = w.add_job(KEY, queued_for=1, processing_for=3)
        failed = w.add_job(KEY, queued_for=0, processing_for=2, outcome="failed")
        w.add_key("other-key")
        foreign = w.add_job("other-key")
        missing = new_id()
        deleted = w.add_job(KEY)
        w.delete_job(deleted)
        for job_id in (ok, failed, foreign, missing, deleted):
            h.scheduler.watch(job_id.upper())  # ids are normalised
        h.scheduler.watch("not.a.job.id")
        h.start()
        await h.finish()
        states = {j: h.scheduler.state_of(j) for j in (ok, failed, foreign, missing, deleted)}
        assert states == {
            ok: JobState.SUCCESS,
            failed: JobState.FAILED,
            foreign: JobState.FORBIDDEN,
            missing: JobState.NOT_FOUND,
            deleted: JobState.NOT_FOUND,
        }
        assert h.scheduler.state_of("not.a.job.id") is JobState.INVALID
        await h.sleep_world(10)  # nothing more is sent for settled jobs
        for job_id in (foreign, missing, deleted):
            assert len(w.polls_of(job_id)) == 1
        assert len(w.polls_of(ok)) >= 2
        assert all(h.job_id != "not.a.job.id" for h in w.log())  # refused before sending
        invalid = h.events_of("not.a.job.id")
        assert len(invalid) == 1 and isinstance(invalid[0].error, InvalidJobId)
        final = [e for e in h.events_of(ok) if e.new is JobState.SUCCESS]
        assert len(final) == 1
        snap = final[0].snapshot
        assert snap is not None and snap.result is not None and snap.result.file
        fail = [e for e in h.events_of(failed) if e.changed][-1].snapshot
        assert fail is not None and fail.error is not None and fail.error.line == 2
        assert h.scheduler.next_due(ok) is None
        assert h.scheduler.last_polled(ok) is not None
        assert ApiCondition.ONLINE in h.conditions()


def test_polls_follow_retry_after_from_the_previous_send() -> None:
    # On virtual time (in process): the gaps are the scheduler's own, exact under any load
    # (on a 20x real clock, a loaded machine stretched a gap past its bound).
    async def body() -> None:
        async with virtual_harness() as h:
            slow = h.world.add_job(KEY, queued_for=2, processing_for=28, retry_after=6)
            fast = h.world.add_job(KEY, queued_for=2, processing_for=28, retry_after=2)
            h.scheduler.watch_many([slow, fast])
            h.start()
            await h.finish(limit=120)
            for job_id, hint in ((slow, 6), (fast, 2)):
                sent = h.transport.sent_times(job_id)
                gaps = [b - a for a, b in itertools.pairwise(sent)]
                assert min(gaps) >= hint - 0.25  # never sooner than the hint after the last send...
                assert max(gaps) <= hint + 2.0  # ...and not much later when nothing else competes
                seen = [hit.at for hit in h.world.polls_of(job_id)]  # the server agrees, on average
                assert len(seen) == len(sent)
                assert abs((seen[-1] - seen[0]) / (len(seen) - 1) - hint) < 0.5
            detected = h.events_of(fast)[-1].observed_at - h.world.finish_time(fast)
            assert 0 <= detected <= 2 + 2.0

    virtualtime.run(body())


@pytest.mark.parametrize(("hint", "low", "high"), [(None, 5.0, 6.5), (0.01, 1.0, 2.2)])
def test_missing_or_tiny_retry_after_is_bounded(
    hint: float | None, low: float, high: float
) -> None:
    # On virtual time (in process): the gaps are the scheduler's own, exact under any load
    # (on a 20x real clock, a loaded machine stretched a gap past its bound).
    async def body() -> None:
        async with virtual_harness() as h:
            job = h.world.add_job(KEY, queued_for=0, processing_for=14, retry_after=hint)
            h.scheduler.watch(job)
            h.start()
            await h.finish(limit=120)
            times = h.transport.sent_times(job)
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert gaps and min(gaps) >= low - 0.25 and max(gaps) <= high

    virtualtime.run(body())


async def test_new_jobs_and_check_now_go_first_when_the_budget_is_the_bottleneck() -> None:
    async with harness(client_limit=60) as h:  # one request per second of world time
        old = [
            h.world.add_job(KEY, queued_for=0, processing_for=1000, retry_after=1) for _ in range(8)
        ]
        h.scheduler.watch_many(old)
        h.start()
        await h.until(lambda: len(h.world.log()) >= 12)
        newcomer = h.world.add_job(KEY, queued_for=0, processing_for=1000)
        h.scheduler.watch(newcomer)
        await h.until(lambda: len(h.world.polls_of(newcomer)) == 1)
        log = [hit.job_id for hit in h.world.log()]
        assert log.index(newcomer) <= 13  # at most the one already paced out went before it
        before = len(log)
        h.scheduler.check_now(old[3])
        await h.until(lambda: len(h.world.log()) >= before + 2)
        assert old[3] in [hit.job_id for hit in h.world.log()[before : before + 2]]


def test_longest_waiting_job_goes_first_so_polls_round_robin() -> None:
    # On virtual time: on a fast real clock a loaded machine delayed one answer past its turn.
    async def body() -> None:
        async with virtual_harness(client_limit=120) as h:
            jobs = [
                h.world.add_job(KEY, queued_for=0, processing_for=1000, retry_after=1)
                for _ in range(10)
            ]
            h.scheduler.watch_many(jobs)
            h.start()
            await h.until(lambda: len(h.world.log()) >= 60, limit=20)
            order = [hit.job_id for hit in h.world.log()[:60]]
            for job_id in jobs:
                positions = [i for i, j in enumerate(order) if j == job_id]
                gaps = [b - a for a, b in itertools.pairwise(positions)]
                assert gaps and all(g == 10 for g in gaps), (job_id, positions)  # one a round

    virtualtime.run(body())


async def test_check_now_repolls_a_settled_job_once() -> None:
    async with harness() as h:
        job = h.world.add_job(KEY, queued_for=0, processing_for=0.5)
        gone = new_id()
        h.scheduler.watch_many([job, gone])
        h.start()
        await h.finish()
        assert len(h.world.polls_of(gone)) == 1
        job_polls = len(h.world.polls_of(job))
        h.scheduler.check_now(gone)
        h.scheduler.check_now(job)
        await h.until(
            lambda: len(h.world.polls_of(gone)) == 2 and len(h.world.polls_of(job)) == job_polls + 1
        )
        count = len(h.world.log())
        await h.sleep_world(10)
        assert len(h.world.log()) == count


async def test_a_state_given_at_watch_time_is_kept_and_terminal_ones_are_not_polled() -> None:
    async with harness() as h:
        done = h.world.add_job(KEY, queued_for=0, processing_for=0)
        running = h.world.add_job(KEY, queued_for=0, processing_for=3)
        h.scheduler.watch(done, state=JobState.SUCCESS)
        h.scheduler.watch(running, state=JobState.PROCESSING)
        h.scheduler.watch(running)  # idempotent
        h.start()
        await h.finish()
        assert h.world.polls_of(done) == []
        assert h.events_of(running)[0].old is JobState.PROCESSING


def test_unknown_status_keeps_polling_slower_and_never_crashes() -> None:
    # On virtual time (in process): the gaps are the scheduler's own, exact under any load.
    async def body() -> None:
        async with virtual_harness() as h:
            odd = h.world.add_job(
                KEY, queued_for=0, processing_for=60, retry_after=1, unknown_status="paused"
            )
            h.scheduler.watch(odd)
            h.start()
            await h.finish(limit=120)
            states = [e.new for e in h.events_of(odd)]
            assert JobState.UNKNOWN in states and states[-1] is JobState.SUCCESS
            times = h.transport.sent_times(odd)
            gaps = [b - a for a, b in itertools.pairwise(times)]
            # Beyond the 1 s hint: 5 s, then doubling while the status stays unknown.
            assert gaps[:3] == pytest.approx([5.0, 10.0, 20.0], abs=1e-6)

    virtualtime.run(body())


async def test_pause_holds_everything_but_check_now_and_resume_continues() -> None:
    async with harness() as h:
        jobs = [
            h.world.add_job(KEY, queued_for=0, processing_for=40, retry_after=1) for _ in range(3)
        ]
        h.scheduler.watch_many(jobs)
        h.start()
        await h.until(lambda: len(h.world.log()) >= 3)
        h.scheduler.pause()
        assert h.scheduler.paused
        assert h.scheduler.api_status.condition is ApiCondition.PAUSED
        await h.sleep_world(1)
        count = len(h.world.log())
        await h.sleep_world(8)
        assert len(h.world.log()) == count
        h.scheduler.check_now(jobs[1])
        await h.until(lambda: len(h.world.log()) == count + 1)
        assert h.world.log()[-1].job_id == jobs[1]
        h.scheduler.resume()
        await h.finish()


async def test_unwatch_stops_polling_that_job() -> None:
    async with harness() as h:
        keep = h.world.add_job(KEY, queued_for=0, processing_for=8, retry_after=1)
        drop = h.world.add_job(KEY, queued_for=0, processing_for=1000, retry_after=1)
        h.scheduler.watch_many([keep, drop])
        h.start()
        await h.until(lambda: len(h.world.polls_of(drop)) >= 2)
        h.scheduler.unwatch(drop)
        await h.sleep_world(1)
        count = len(h.world.polls_of(drop))
        await h.finish()
        assert len(h.world.polls_of(drop)) == count
        assert h.scheduler.state_of(drop) is None


async def test_next_due_counts_down_to_the_next_poll() -> None:
    async with harness() as h:
        job = h.world.add_job(KEY, queued_for=0, processing_for=100, retry_after=10)
        h.scheduler.watch(job)
        h.start()
        await h.until(lambda: h.events_of(job) != [])
        due = h.scheduler.next_due(job)
        sent = h.transport.sent_times(job)[0]
        assert due is not None and abs(due - (sent + 10)) < 0.6
        await h.until(lambda: len(h.transport.sent_times(job)) == 2)
        assert abs(h.transport.sent_times(job)[1] - due) < 1.0


async def test_stop_cancels_requests_in_flight_promptly() -> None:
    async with harness(scale=1) as h:
        h.world.faults.latency = 30.0
        job = h.world.add_job(KEY)
        h.scheduler.watch(job)
        h.start()
        await asyncio.sleep(0.2)
        started = time.monotonic()
        h.scheduler.stop()
        assert h.run_task is not None
        await asyncio.wait_for(h.run_task, 2)
        assert time.monotonic() - started < 1.0
        assert h.scheduler.state_of(job) is JobState.PENDING  # not lost: polled on the next run


async def test_watch_many_is_fast_for_ten_thousand_jobs() -> None:
    async with harness() as h:
        ids = [str(uuid.UUID(int=i)) for i in range(10_000)]
        started = time.perf_counter()
        h.scheduler.watch_many(ids)
        assert time.perf_counter() - started < 1.0
        assert len(h.scheduler.job_ids) == 10_000
        assert h.scheduler.next_due(ids[-1]) is not None


def test_scheduler_needs_no_running_loop_to_be_set_up() -> None:
    import httpx

    client = StatusClient(httpx.AsyncClient(), "http://127.0.0.1:9")
    sched = PollScheduler(client)
    sched.watch(new_id())
    assert sched.api_status.condition is ApiCondition.KEY_MISSING
    assert sched.budget_usage == (0, None)
    sched.set_rate_limit(100)
    assert sched.budget_usage == (0, 100)


async def test_stop_before_run_started_still_ends_it_and_run_can_start_again() -> None:
    async with harness() as h:
        job = h.world.add_job(KEY, queued_for=0, processing_for=1)
        h.scheduler.watch(job)
        h.start()
        h.scheduler.stop()  # before the task had a chance to begin
        assert h.run_task is not None
        await asyncio.wait_for(h.run_task, 2)
        assert h.world.log() == []
        h.start()
        await h.finish()

"""Which finished jobs make a notification, and how many at once become one."""

from __future__ import annotations

from jobmonitor.api.errors import JobNotFound
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.notifications import NotificationCoalescer, Outcome, finished_from_event
from jobmonitor.core.state import JobEvent, JobState

Q, P, S, F = JobState.QUEUED, JobState.PROCESSING, JobState.SUCCESS, JobState.FAILED


def _id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def _event(n: int, old: JobState, new: JobState) -> JobEvent:
    snapshot = None
    if new is F:
        raw = {
            "job_id": _id(n),
            "status": "failed",
            "error": {"code": "INVALID_JSON", "message": "bad comma", "details": {"line": 2}},
        }
        snapshot = JobSnapshot.from_wire(raw, requested_id=_id(n))
    return JobEvent(_id(n), old, new, 1000.0 + n, snapshot=snapshot)


def test_only_transitions_from_running_to_terminal_are_news() -> None:
    assert finished_from_event(_event(1, P, S), None) is not None
    assert finished_from_event(_event(1, Q, F), None) is not None
    assert finished_from_event(_event(1, P, P), None) is None  # no change
    assert finished_from_event(_event(1, Q, P), None) is None  # not terminal
    assert finished_from_event(_event(1, S, S), None) is None  # re-checked terminal job
    assert finished_from_event(_event(1, JobState.PENDING, S), None) is None  # first answer


def test_single_success_and_failure() -> None:
    coalescer = NotificationCoalescer()
    assert coalescer.add(_event(1, P, S), "nightly export") is True
    note = coalescer.flush()
    assert note is not None and note.job_id == _id(1)
    assert note.title == "Job succeeded" and "nightly export" in note.message
    assert not note.failed

    coalescer.add(_event(2, P, F), None)
    note = coalescer.flush()
    assert note is not None and note.title == "Job failed" and note.failed
    assert "INVALID_JSON: bad comma" in note.message and "00000002" in note.message


def test_problem_state_says_why() -> None:
    event = JobEvent(_id(3), P, JobState.NOT_FOUND, 1.0, error=JobNotFound("job was deleted"))
    coalescer = NotificationCoalescer()
    coalescer.add(event, "x")
    note = coalescer.flush()
    assert note is not None and note.title == "Job stopped: Not found"
    assert "job was deleted" in note.message


def test_many_in_one_window_make_one_notification() -> None:
    coalescer = NotificationCoalescer()
    opened = [coalescer.add(_event(n, P, S if n < 9 else F), None) for n in range(12)]
    assert opened == [True] + [False] * 11  # one window, one flush to schedule
    note = coalescer.flush()
    assert note is not None
    assert note.title == "12 jobs finished"
    assert note.message == "9 succeeded, 3 failed"
    assert note.job_id is None and len(note.job_ids) == 12 and note.failed
    assert coalescer.flush() is None
    assert coalescer.add(_event(20, P, S), None) is True  # the next window opens afresh


def test_same_kind_titles_and_problem_counts() -> None:
    coalescer = NotificationCoalescer()
    for n in range(3):
        coalescer.add(_event(n, P, S), None)
    note = coalescer.flush()
    assert note is not None and note.title == "3 jobs succeeded" and not note.failed
    coalescer.add(_event(1, P, S), None)
    coalescer.add(JobEvent(_id(2), Q, JobState.FORBIDDEN, 1.0), None)
    note = coalescer.flush()
    assert note is not None and note.message == "1 succeeded, 1 forbidden"


def test_the_same_job_twice_counts_once() -> None:
    coalescer = NotificationCoalescer()
    coalescer.add(_event(1, P, S), None)
    coalescer.add(_event(1, P, S), "renamed")
    assert coalescer.pending == 1
    note = coalescer.flush()
    assert note is not None and "renamed" in note.message


def test_settings_choose_which_outcomes_notify() -> None:
    wanted = {Outcome.SUCCEEDED: False, Outcome.FAILED: True, Outcome.PROBLEM: True}
    coalescer = NotificationCoalescer(lambda outcome: wanted[outcome])
    assert coalescer.add(_event(1, P, S), None) is False
    assert coalescer.pending == 0
    assert coalescer.add(_event(2, P, F), None) is True
    wanted[Outcome.SUCCEEDED] = True  # read at add time
    coalescer.add(_event(3, P, S), None)
    note = coalescer.flush()
    assert note is not None and note.message == "1 succeeded, 1 failed"

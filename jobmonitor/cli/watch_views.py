"""How ``watch`` shows itself: one JSON object per change, a line per change, or a live table."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from datetime import datetime
from typing import Any, TextIO

from jobmonitor.cli.common import describe_error, error_object, job_error_object, printable
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState

REDRAW_EVERY = 0.5  # seconds between live-table redraws (countdowns), sooner after events
_SHORT = {JobState.PENDING: "waiting", JobState.NOT_FOUND: "not found"}  # table column width


def _detail(event: JobEvent) -> str:
    """One line about the job for people: message, error, or result file (terminal-safe)."""
    return printable(_raw_detail(event))


def _raw_detail(event: JobEvent) -> str:
    snap = event.snapshot
    if snap is not None and snap.error is not None:
        err = snap.error
        where = ", ".join(
            f"{name} {value}"
            for name, value in (("line", err.line), ("column", err.column))
            if value
        )
        return f"{err.code}: {err.message}" + (f" ({where})" if where else "")
    if snap is not None and snap.result is not None:
        return snap.result.file or "finished"
    if event.error is not None:  # a server's answer said as one, the client's own conclusion not
        prefix = "" if event.new.terminal else "retrying: "
        return f"{prefix}{describe_error(event.error)}"
    if snap is not None:
        status = "" if snap.status.value == snap.raw_status else f"status {snap.raw_status!r}: "
        return status + (snap.message or "")
    return ""


class View:
    """How the watch shows itself; the scheduler's listeners call in here."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.scheduler: PollScheduler | None = None
        self.job_ids: list[str] = []

    def bind(self, scheduler: PollScheduler, job_ids: list[str]) -> None:
        self.scheduler, self.job_ids = scheduler, job_ids

    def job_event(self, event: JobEvent) -> None: ...

    def api_changed(self, status: ApiStatus) -> None:
        notes = {
            ApiCondition.UNREACHABLE: "server unreachable; retrying",
            ApiCondition.RATE_LIMITED: "rate limited by the server; waiting",
        }
        if status.condition in notes:
            print(f"jobmonitor: {notes[status.condition]} ({status.detail})", file=sys.stderr)

    async def refresh_loop(self) -> None:
        await asyncio.Event().wait()  # only the table view redraws by itself

    def close(self) -> None:
        self.out.flush()


class JsonView(View):
    """One JSON object per state change, flushed at once (for pipes)."""

    def job_event(self, event: JobEvent) -> None:
        if not event.changed:
            return
        record: dict[str, Any] = {
            "job_id": event.job_id,
            "status": event.new.value,
            "observed_at": round(event.observed_at, 3),
        }
        snap = event.snapshot
        if event.new.terminal:
            if snap is not None and snap.raw.get("result") is not None:
                record["result"] = snap.raw_dict()["result"]
            # The command line's one error shape (cli/common.py), a failed job's and a refusal's
            # alike: {"code", "message", "details", "http_status", "said_by"}.
            if snap is not None and snap.error is not None:
                record["error"] = job_error_object(event.job_id, snap.error)["error"]
            elif event.error is not None:
                record["error"] = error_object(event.error, job_id=event.job_id)["error"]
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.out.flush()


class LineView(View):
    """A plain line per state change, for logs and pipes."""

    def job_event(self, event: JobEvent) -> None:
        if not event.changed:
            return
        when = datetime.fromtimestamp(event.observed_at).strftime("%H:%M:%S")
        detail = _detail(event)
        line = f"{when}  {event.job_id}  {event.new.label}" + (f"  {detail}" if detail else "")
        self.out.write(line + "\n")
        self.out.flush()


class TableView(View):
    """A table redrawn in place on a terminal: state, next check countdown, detail; a footer."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self._details: dict[str, str] = {}
        self._drawn = 0
        self._hidden: list[str] = []  # jobs the last drawing had no room for
        self._dirty = asyncio.Event()
        self._api = ApiStatus(ApiCondition.IDLE)

    def job_event(self, event: JobEvent) -> None:
        self._details[event.job_id] = _detail(event)
        self._dirty.set()

    def api_changed(self, status: ApiStatus) -> None:
        self._api = status
        self._dirty.set()

    async def refresh_loop(self) -> None:
        while True:
            self.draw()
            self._dirty.clear()
            try:
                async with asyncio.timeout(REDRAW_EVERY):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(0.05)  # coalesce bursts of events into one redraw

    def close(self) -> None:
        self.draw()
        if self.scheduler is not None and self._hidden:
            # The jobs that did not fit: the ones that did not succeed are named, once, below.
            width = shutil.get_terminal_size((100, 24)).columns
            for job_id in self._hidden:
                state = self.scheduler.state_of(job_id) or JobState.PENDING
                if state is not JobState.SUCCESS:
                    row = f"{job_id:<36}  {_SHORT.get(state, state.value):<10}  "
                    self.out.write(
                        (row + self._details.get(job_id, ""))[: max(width - 1, 1)] + "\n"
                    )
            self.out.flush()
        super().close()

    def draw(self) -> None:
        if self.scheduler is None:
            return
        width, height = shutil.get_terminal_size((100, 24))
        lines = self._lines(self.scheduler, width, max(height - 1, 3))
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        body = "".join(f"\x1b[2K{line}\n" for line in lines)
        self.out.write(f"{up}{body}\x1b[J")
        self.out.flush()
        self._drawn = len(lines)

    def _lines(self, sched: PollScheduler, width: int, height: int) -> list[str]:
        now = time.time()
        cut = max(width - 1, 1)  # never the last column: some terminals wrap the line there
        states = {j: sched.state_of(j) or JobState.PENDING for j in self.job_ids}
        room = max(height - 3, 1)
        order = self.job_ids
        if len(order) > room:  # not all fit: the open jobs first, then the ones that failed
            order = sorted(order, key=lambda j: (states[j].terminal, states[j] is JobState.SUCCESS))
        shown = order[:room]
        self._hidden = order[room:]
        lines = [f"{'JOB':<36}  {'STATE':<10}  {'NEXT':>5}  DETAIL"[:cut]]
        for job_id in shown:
            due = sched.next_due(job_id)
            countdown = "-" if due is None else f"{max(due - now, 0):.0f}s"
            state = _SHORT.get(states[job_id], states[job_id].value)
            row = f"{job_id:<36}  {state:<10}  {countdown:>5}  "
            lines.append((row + self._details.get(job_id, ""))[:cut])
        if self._hidden:
            lines.append(f"... and {len(self._hidden)} more"[:cut])
        done = sum(1 for s in states.values() if s.terminal)
        used, limit = sched.budget_usage
        budget = f"{used}/{limit}" if limit is not None else f"{used} (limit not known)"
        api = self._api.condition.value.replace("_", " ")
        footer = f"{done} of {len(states)} finished · API {api} · {budget} requests/min"
        lines.append(footer[:cut])
        return lines

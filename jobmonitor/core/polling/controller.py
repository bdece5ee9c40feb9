"""A Qt-facing handle on the poll scheduler: pause/resume, check now, countdowns, connection state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from jobmonitor.core.state import ApiCondition, ApiStatus


class PollControls(Protocol):
    """The parts of ``core.scheduler.PollScheduler`` the window drives."""

    def add_api_listener(self, cb: Callable[[ApiStatus], None]) -> None: ...
    def check_now(self, job_id: str) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    @property
    def paused(self) -> bool: ...
    def next_due(self, job_id: str) -> float | None: ...
    def next_due_many(self, job_ids: Sequence[str]) -> list[float | None]: ...
    @property
    def budget_usage(self) -> tuple[int, int | None]: ...
    @property
    def api_status(self) -> ApiStatus: ...


class PollingController(QObject):
    """Turns the scheduler's callbacks into signals and its methods into slots for the window.

    Without a scheduler (``attach`` not called yet) every action is a harmless no-op, so the
    window can be built and tested on its own.
    """

    paused_changed = Signal(bool)
    api_status_changed = Signal(object)  # ApiStatus

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scheduler: PollControls | None = None

    def attach(self, scheduler: PollControls) -> None:
        self._scheduler = scheduler
        scheduler.add_api_listener(self.api_status_changed.emit)
        self.paused_changed.emit(scheduler.paused)
        self.api_status_changed.emit(scheduler.api_status)

    @property
    def attached(self) -> bool:
        return self._scheduler is not None

    @property
    def paused(self) -> bool:
        return self._scheduler.paused if self._scheduler is not None else False

    @property
    def api_status(self) -> ApiStatus:
        if self._scheduler is None:
            return ApiStatus(ApiCondition.IDLE)
        return self._scheduler.api_status

    @property
    def budget_usage(self) -> tuple[int, int | None]:
        return self._scheduler.budget_usage if self._scheduler is not None else (0, None)

    def set_paused(self, paused: bool) -> None:
        if self._scheduler is None or self._scheduler.paused == paused:
            return
        if paused:
            self._scheduler.pause()
        else:
            self._scheduler.resume()
        self.paused_changed.emit(self._scheduler.paused)

    def toggle_paused(self) -> None:
        self.set_paused(not self.paused)

    def check_now(self, job_ids: Iterable[str]) -> None:
        if self._scheduler is None:
            return
        for job_id in job_ids:
            self._scheduler.check_now(job_id)

    def next_due(self, job_id: str) -> float | None:
        return self._scheduler.next_due(job_id) if self._scheduler is not None else None

    def next_due_many(self, job_ids: Sequence[str]) -> list[float | None]:
        if self._scheduler is None:
            return [None] * len(job_ids)
        return self._scheduler.next_due_many(job_ids)

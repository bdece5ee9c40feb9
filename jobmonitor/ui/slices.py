"""Long passes over the whole list (filter, sort) run a few milliseconds per event-loop turn.

At 100,000 rows a Python pass over every job takes 30-200 ms: done at once, it would freeze the
window for several frames. A ``SlicedPass`` drives a generator that yields after each bounded
piece of work, giving the loop back whenever its budget for this turn is spent, so input,
painting and polling keep going while it runs. Small lists finish within the first turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer

TURN_BUDGET = 0.006  # seconds of work per event-loop turn: well inside a 16 ms frame


class SlicedPass(QObject):
    """One pass at a time: starting another abandons the one running (its result is stale)."""

    def __init__(self, parent: QObject | None = None, *, budget: float = TURN_BUDGET) -> None:
        super().__init__(parent)
        self.budget = budget  # seconds of work per turn (a test sets 0: one step a turn)
        self._steps: Iterator[None] | None = None
        self._done: Callable[[], None] | None = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._turn)

    @property
    def running(self) -> bool:
        return self._steps is not None

    def start(self, steps: Iterator[None], done: Callable[[], None]) -> None:
        """Run ``steps`` to its end, then call ``done``; the first turn runs now."""
        self._steps, self._done = steps, done
        self._turn()

    def cancel(self) -> None:
        self._timer.stop()
        self._steps = self._done = None

    def finish_now(self) -> None:
        """Run what is left of the pass at once (tests, and a view that needs the answer)."""
        if self._steps is not None:
            self._run(float("inf"))

    def _turn(self) -> None:
        self._run(self.budget)

    def _run(self, budget: float) -> None:
        steps, done = self._steps, self._done
        if steps is None or done is None:
            return
        deadline = time.perf_counter() + budget
        for _ in steps:
            if steps is not self._steps:  # restarted from inside a step
                return
            if time.perf_counter() >= deadline:
                self._timer.start()
                return
        if steps is self._steps:
            self._steps = self._done = None
            done()

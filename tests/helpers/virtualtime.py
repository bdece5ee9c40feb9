"""An asyncio event loop on simulated time: whenever nothing is ready to run, its clock jumps to
the next timer instead of waiting for it.

Code under test runs unchanged (``asyncio.sleep``, ``asyncio.timeout``, ``call_later`` all read
``loop.time()``), so a test of a minute's polling takes milliseconds of CPU, and its timings are
exact whatever the machine's load: the answer to "was the request sent 2 s after the last?" no
longer depends on the scheduler of the operating system. Real I/O still works (the selector is
asked first, without waiting), but a test meant for this loop talks to the simulator in process
(``httpx.ASGITransport``), so nothing waits on a socket. Blocking on nothing at all (no timer, no
ready callback) would be a real hang: the loop then waits for real I/O as a normal loop does,
and the test's own timeout ends it.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
EPOCH = 1_700_000_040.0  # a wall-clock calendar-minute boundary, for clocks built on this loop


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """Polls real I/O without waiting; a wait for a timer moves the loop's clock instead."""

    loop: VirtualTimeLoop

    def select(self, timeout: float | None = None) -> list[Any]:
        events = super().select(0)
        if events or timeout == 0:
            return events  # type: ignore[no-any-return]
        if timeout is None:
            return super().select(None)  # type: ignore[no-any-return]
        self.loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is simulated; see the module doc."""

    def __init__(self, start: float = 1000.0) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)

    def wall(self) -> float:
        """Epoch seconds on this loop's clock (a calendar minute starts at 1000 - 40 s)."""
        return EPOCH - 1000.0 + self._now


def run(main: Coroutine[Any, Any, T], start: float = 1000.0) -> T:
    """``asyncio.run`` on a fresh ``VirtualTimeLoop``."""
    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(start)) as runner:
        return runner.run(main)


def loop() -> VirtualTimeLoop:
    """The running loop (inside ``run``)."""
    running = asyncio.get_running_loop()
    assert isinstance(running, VirtualTimeLoop), "not on a virtual-time loop"
    return running

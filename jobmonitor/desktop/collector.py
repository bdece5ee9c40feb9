"""Python's cyclic garbage collector, run on the GUI thread only, and kept short.

Left automatic, the collector runs in whichever thread allocates when a threshold is crossed:
the database writer, a download's disk thread, a paste being parsed. Qt objects (models, views,
timers) often sit in reference cycles, and one collected there is destroyed off its own thread:
its timers cannot be stopped from there and fire later on freed memory, a crash in some
unrelated place. So, while the app runs, automatic collection is off and this collects on the
GUI thread: the young generations every second (cheap: only objects made since), and every 20 s
what survived them is frozen out of the collector's sight (``gc.freeze()``, O(1)): thousands of
long-lived job records would otherwise be walked by every full collection. No full collection
runs on a timer: one over 20 s of answers at 10,000 jobs held the loop 70-80 ms
(``bench_gui.py``); what it would find is rare, a reference cycle that lived past a young
collection and died later, and is left (as frozen objects are).
At the same moments, memory the C allocator holds free is given back to the system
(``malloc_trim``, glibc only): a 100,000-id paste's lists, dicts and SQLite statements leave
10-15 MB of free heap that the process would otherwise keep (the app's memory per job).
Part of the composition root.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

YOUNG_MS = 1_000  # generations 0 and 1: what was made since the last one
FREEZE_MS = 20_000  # what survived the young collections goes out of the collector's sight


def _malloc_trim() -> Callable[[], object] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc; elsewhere there is none (or no CDLL(None))
    except (AttributeError, OSError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_TRIM = _malloc_trim()


def release_free_memory(trim: Callable[[], object] | None = _TRIM) -> bool:
    """Give the heap's free memory back to the system, where the C library can (1-2 ms)."""
    if trim is None:
        return False
    trim()
    return True


class GuiThreadCollector(QObject):
    """``start`` turns automatic collection off and collects on timers; ``stop`` undoes it
    (the tests start many apps in one process)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        give_back: Callable[[], object] = release_free_memory,
    ) -> None:
        super().__init__(parent)
        self._young = QTimer(self, interval=YOUNG_MS)
        self._young.timeout.connect(lambda: gc.collect(1))
        self._give_back = give_back
        self._freeze = QTimer(self, interval=FREEZE_MS)
        self._freeze.timeout.connect(self.settle)
        self._was_enabled: bool | None = None

    def settle(self) -> None:
        """What survived so far out of the collector's sight, and free memory given back."""
        gc.freeze()
        self._give_back()

    def start(self) -> None:
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
        gc.disable()
        gc.freeze()  # the caller collected before the saved list was read: that list is not walked
        self._young.start()
        self._freeze.start()

    def pause(self) -> None:
        """No young collections until ``resume``: while a saved list of 100,000 is read on a
        worker, each would walk every record made so far (40-60 ms each)."""
        self._young.stop()

    def resume(self) -> None:
        if self._was_enabled is not None and not self._young.isActive():
            self._young.start()

    def stop(self) -> None:
        self._young.stop()
        self._freeze.stop()
        if self._was_enabled:
            gc.enable()
        self._was_enabled = None

"""A big paste, drop or file of ids added without freezing the window.

The text is parsed on a worker thread, and the GUI thread hands the parsed ids to the watch list
a few milliseconds' worth per event-loop turn. The watch list saves them in as few transactions as the disk allows,
and the table shows them as they are saved: 100,000 pasted ids never hold the loop for a frame.
Runs are served in the order they were started; the report of each comes when it is all added.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from jobmonitor.api.ids import JobId, ParsedIds, RejectedId, parse_job_ids
from jobmonitor.core.watchlist.watchlist import WatchList

ADD_BATCH = 500  # ids per watch-list add: about a millisecond
TURN_BUDGET = 0.006  # seconds of adding per event-loop turn

Done = Callable[[ParsedIds, tuple[str, ...]], None]  # what was parsed, what was added


@dataclass(eq=False)
class _Run:
    text: str
    known: frozenset[str]
    done: Done
    pieces: deque[ParsedIds] = field(default_factory=deque)  # worker appends, GUI takes
    parsed: bool = False  # the worker has appended its last piece
    waiting: list[str] = field(default_factory=list)  # parsed ids not yet handed over
    at: int = 0
    ids: list[JobId] = field(default_factory=list)
    rejected: list[RejectedId] = field(default_factory=list)
    duplicates: int = 0
    added: list[str] = field(default_factory=list)


class AddStream(QObject):
    """Parses off the GUI thread and adds a bounded amount per turn; see the module doc."""

    _piece_ready = Signal()  # emitted on the worker thread: delivered queued, on the GUI thread

    def __init__(self, watchlist: WatchList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watchlist = watchlist
        self._runs: deque[_Run] = deque()
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._drain)
        self._piece_ready.connect(self._wake)
        self.last_parse_seconds = 0.0  # how long the worker took on the last text (benchmarks)

    @property
    def busy(self) -> bool:
        return bool(self._runs)

    def start(self, text: str, done: Done) -> None:
        """Parse and add ``text``; ``done(parsed, added)`` is called on the GUI thread."""
        run = _Run(text, self._watchlist.known_ids(), done)
        self._runs.append(run)
        threading.Thread(
            target=self._parse, args=(run,), name="jobmonitor-parse", daemon=True
        ).start()

    def _parse(self, run: _Run) -> None:
        """On the worker thread: the whole text at once (a header row, a JSON document, the
        duplicates: what an id is depends on all of it), then handed over in batches."""
        started = time.perf_counter()
        try:
            run.pieces.append(parse_job_ids(run.text, known=run.known))
        finally:
            run.text = ""  # the pasted text is not kept longer than the parse
            self.last_parse_seconds = time.perf_counter() - started
            run.parsed = True
            self._piece_ready.emit()

    def _wake(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _drain(self) -> None:
        deadline = time.perf_counter() + TURN_BUDGET
        while self._runs:
            run = self._runs[0]
            while run.at < len(run.waiting):
                batch = run.waiting[run.at : run.at + ADD_BATCH]
                run.at += len(batch)
                run.added.extend(self._watchlist.add(batch))
                if time.perf_counter() >= deadline:
                    self._timer.start()
                    return
            parsed_all = run.parsed  # read before the pieces: set after the last was put there
            if run.pieces:
                piece = run.pieces.popleft()
                run.waiting, run.at = list(piece.ids), 0
                run.ids.extend(piece.ids)
                run.rejected.extend(piece.rejected)
                run.duplicates += piece.duplicates
                continue
            if not parsed_all:
                return  # the worker wakes us with the next piece
            self._runs.popleft()
            parsed = ParsedIds(tuple(run.ids), tuple(run.rejected), run.duplicates)
            run.done(parsed, tuple(run.added))

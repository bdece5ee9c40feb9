"""A big paste, drop or file of ids added without freezing the window.

The text is parsed on a worker thread, and the GUI thread hands the parsed ids to the watch list
a few milliseconds' worth per event-loop turn. The watch list saves them in as few transactions as the disk allows,
and the table shows them as they are saved: 100,000 pasted ids never hold the loop for a frame.
Runs are served in the order they were started; the report of each comes when it is all added.
Everything that depends on the text's length (reading files, telling a list from prose, the
parse itself) runs on the worker: the GUI thread only ever hands over a batch of parsed ids.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from jobmonitor.api.ids import ParsedIds, RejectedId
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.paste_text import Pasted

_log = logging.getLogger(__name__)

ADD_BATCH = 500  # ids per watch-list add: about a millisecond
TURN_BUDGET = 0.006  # seconds of adding per event-loop turn

Parse = Callable[[frozenset[str]], Pasted]  # run on the worker with the ids already known
Done = Callable[[Pasted, tuple[str, ...]], None]  # what was parsed, what was added


@dataclass(eq=False)
class _Run:
    parse: Parse | None  # dropped once run: it may hold the pasted text
    known: frozenset[str]
    done: Done
    result: Pasted | None = None  # set by the worker
    parsed: bool = False  # the worker is done (result set, or it failed)
    at: int = 0  # how many of the result's ids were handed over
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

    def start(self, parse: Parse, done: Done) -> None:
        """Run ``parse`` on a worker and add its ids; ``done(pasted, added)`` is called on the
        GUI thread."""
        run = _Run(parse, self._watchlist.known_ids(), done)
        self._runs.append(run)
        threading.Thread(
            target=self._parse, args=(run,), name="jobmonitor-parse", daemon=True
        ).start()

    def _parse(self, run: _Run) -> None:
        """On the worker thread: the whole text at once (a header row, a JSON document, the
        duplicates: what an id is depends on all of it), then handed over in batches."""
        started = time.perf_counter()
        parse, run.parse = run.parse, None  # the pasted text is not kept longer than the parse
        try:
            assert parse is not None
            run.result = parse(run.known)
        except Exception as exc:  # noqa: BLE001 - a report must come: the field waits for it
            _log.exception("parsing pasted ids failed")
            why = RejectedId("", f"the text could not be read ({type(exc).__name__})")
            run.result = Pasted(ParsedIds((), (why,), 0), False, "")
        finally:
            del parse
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
            if not run.parsed:
                return  # the worker wakes us when it is done
            ids = run.result.parsed.ids if run.result is not None else ()
            while run.at < len(ids):
                batch = ids[run.at : run.at + ADD_BATCH]
                run.at += len(batch)
                run.added.extend(self._watchlist.add(batch))
                if time.perf_counter() >= deadline:
                    self._timer.start()
                    return
            self._runs.popleft()
            assert run.result is not None  # set before parsed, even when the parse failed
            run.done(run.result, tuple(run.added))

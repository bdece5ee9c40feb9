"""What a person does with a long list, timed on the running app (for bench_gui.py).

Each measure returns seconds (or ms) for the operation as the user sees it, from the action to
the table showing its outcome, and the longest event-loop stall meanwhile (``meter``: the
benchmark's StallMeter, restarted for each). Polling goes on throughout, as it would.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

SEARCH_KEYSTROKES = ("f", "ff", "fff", "8000-00000000f", "")  # typed, narrowed, cleared


async def until(predicate: Any, limit: float, step: float = 0.001) -> None:
    deadline = time.perf_counter() + limit
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step)


async def _stall(meter: Any) -> float:
    await asyncio.sleep(0.05)  # the heartbeat after the last step sees how long it waited
    return max(meter.qt_max, meter.loop_max) * 1000


async def search(app: Any, meter: Any) -> tuple[float, float]:
    """The slowest keystroke's re-filter, and the longest stall over all of them."""
    proxy, field = app.window.proxy, app.window.filter_bar.search
    worst = 0.0
    meter.start()
    for text in SEARCH_KEYSTROKES:
        started = time.perf_counter()
        field.setText(text)
        await until(lambda: not proxy.busy, 30)
        worst = max(worst, time.perf_counter() - started)
    return worst, await _stall(meter)


async def sort(app: Any, meter: Any) -> tuple[float, float]:
    """The slowest of sorting by id, status, last check and next check (each way)."""
    from PySide6.QtCore import Qt

    from jobmonitor.ui import jobs_model as cols

    table, proxy = app.window.table, app.window.proxy
    worst = 0.0
    meter.start()
    for column in (cols.ID, cols.STATUS, cols.LAST_CHECKED, cols.NEXT_CHECK):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            started = time.perf_counter()
            table.sortByColumn(column, order)
            await until(lambda: not proxy.busy, 30)
            worst = max(worst, time.perf_counter() - started)
    stall = await _stall(meter)
    table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    return worst, stall


async def delete_and_undo(app: Any, meter: Any) -> tuple[float, float, float]:
    """Delete every other row (half the list, one run each: the worst case), then Ctrl+Z."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    window, model = app.window, app.window.model
    n = model.rowCount()
    selection = QItemSelection()
    last = window.proxy.columnCount() - 1
    for row in range(0, n, 2):
        selection.select(window.proxy.index(row, 0), window.proxy.index(row, last))
    window.table.selectionModel().select(
        selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    del selection  # it holds two persistent indexes per row, as no click of a person leaves
    gone = len(range(0, n, 2))
    meter.start()
    started = time.perf_counter()
    window.job_actions.remove.trigger()
    await until(lambda: model.rowCount() == n - gone and app.watchlist.idle, 600)
    deleted = time.perf_counter() - started
    started = time.perf_counter()
    window.job_actions.undo.trigger()
    await until(lambda: model.rowCount() == n and app.watchlist.idle, 600)
    undone = time.perf_counter() - started
    return deleted, undone, await _stall(meter)


async def export(app: Any, meter: Any, path: Path) -> tuple[float, float]:
    """File › Export list as CSV of every job, to ``path``."""
    exporter = app.window.exporter
    exporter.choose_path = lambda _suggested: path
    meter.start()
    started = time.perf_counter()
    exporter.export()
    await until(lambda: not getattr(exporter, "busy", False), 120, 0.005)
    return time.perf_counter() - started, await _stall(meter)

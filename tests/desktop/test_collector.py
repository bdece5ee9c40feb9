"""The app's garbage collection runs on the GUI thread only: a Qt object in a reference cycle
is never destroyed on a worker thread that happened to cross the collector's threshold."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from jobmonitor.desktop.collector import GuiThreadCollector


class Cyclic(QObject):
    """A QObject with a running timer, kept alive only by a cycle through itself."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self
        self.timer = QTimer(self, interval=60_000)
        self.timer.start()


@pytest.fixture
def automatic_gc() -> Iterator[None]:
    """As in a normal process (the suite's own fixture turns it off during tests)."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class PlainCycle:
    def __init__(self) -> None:
        self.me = self


def _garbage(destroyed_on: list[int], kind: type = Cyclic) -> None:
    obj = kind()
    weakref.finalize(obj, lambda: destroyed_on.append(threading.get_ident()))


def _allocate_on_a_worker() -> None:
    # Enough new containers to cross generation 0's threshold many times over.
    worker = threading.Thread(target=lambda: [[] for _ in range(200_000)])
    worker.start()
    worker.join()


def test_without_the_collector_a_worker_thread_collects_qt_objects(
    qtbot: QtBot, automatic_gc: None
) -> None:
    # (A plain object: a QObject destroyed there is the very crash this guards against.)
    destroyed_on: list[int] = []
    _garbage(destroyed_on, PlainCycle)
    _allocate_on_a_worker()
    assert destroyed_on and destroyed_on[0] != threading.get_ident()  # the danger it guards


def test_with_the_collector_only_the_gui_thread_collects(qtbot: QtBot, automatic_gc: None) -> None:
    collector = GuiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        destroyed_on: list[int] = []
        _garbage(destroyed_on)
        _allocate_on_a_worker()
        assert destroyed_on == []  # the worker did not collect it
        qtbot.waitUntil(lambda: bool(destroyed_on), timeout=5000)  # the young timer did
        assert destroyed_on == [threading.get_ident()]
    finally:
        collector.stop()
    assert gc.isenabled()  # as it was before start


def test_each_settling_gives_free_memory_back(qtbot: QtBot) -> None:
    from jobmonitor.desktop import collector

    given_back: list[bool] = []
    parent = QObject()
    gc_collector = GuiThreadCollector(parent, give_back=lambda: given_back.append(True))
    gc_collector._freeze.setInterval(1)  # the 20 s timer, at once
    gc_collector.start()
    try:
        qtbot.waitUntil(lambda: len(given_back) >= 2)  # at each settling, not once
    finally:
        gc_collector.stop()
    assert collector.release_free_memory(None) is False  # no malloc_trim: nothing to do
    assert collector.release_free_memory() in (True, False)  # and never an error

"""Offline laptops: when the system says the network is gone, polling pauses and the status bar
says "Offline" instead of a storm of backoffs; when it is back, every open job is checked at once.

The system's word comes from ``QNetworkInformation`` (NetworkManager, glib, Windows' Network List
Manager, macOS' SCNetworkReachability). Where no backend loads, nothing changes: the scheduler's
own backoff copes as before. The user's own pause is theirs: going offline does not undo it, and
coming back resumes only a pause this watcher made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QNetworkInformation

from jobmonitor.core.polling.controller import PollingController

log = logging.getLogger(__name__)
Reachability = QNetworkInformation.Reachability
# Disconnected is the one verdict worth pausing for: "Local" or "Site" may still reach an API
# on the intranet or loopback (the demo), and "Unknown" says nothing.
_OFFLINE = (Reachability.Disconnected,)


class OfflineWatcher(QObject):
    """Pauses polling while the system reports no network; ``offline_changed(bool)``."""

    offline_changed = Signal(bool)

    def __init__(
        self,
        polling: PollingController,
        open_jobs: Callable[[], Iterable[str]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._polling = polling
        self._open_jobs = open_jobs
        self._offline = False
        self._paused_by_us = False
        self.backend = ""

    @property
    def offline(self) -> bool:
        return self._offline

    def start(self) -> bool:
        """Listen to the system's reachability; False where no backend can tell."""
        loaded = QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability)
        info = QNetworkInformation.instance() if loaded else None
        if info is None:
            log.info("no network-reachability backend: offline detection is off")
            return False
        self.backend = info.backendName()
        info.reachabilityChanged.connect(self.on_reachability)
        self.on_reachability(info.reachability())
        return True

    def on_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        offline = reachability in _OFFLINE
        if offline == self._offline:
            return
        self._offline = offline
        if offline:
            log.info("the system reports no network: polling paused")
            if not self._polling.paused:
                self._paused_by_us = True
                self._polling.set_paused(True)
        else:
            log.info("the network is back: checking every open job now")
            if self._paused_by_us:
                self._paused_by_us = False
                self._polling.set_paused(False)
            if not self._polling.paused:
                self._polling.check_now(list(self._open_jobs()))
        self.offline_changed.emit(offline)

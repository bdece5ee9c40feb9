"""The settings dialog: API key (keyring), base URL, request budget, download folder, notifications."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.api.errors import InsecureUrl
from jobmonitor.api.urls import normalize_base_url, origin_of
from jobmonitor.core.autostart import Autostart
from jobmonitor.core.credentials.keycheck import KeyCheck, check_key
from jobmonitor.core.credentials.store import CredentialStore, KeySource
from jobmonitor.core.redact import register_secret
from jobmonitor.core.settings import Settings
from jobmonitor.ui.settings_desktop import DesktopSettings
from jobmonitor.ui.settings_form import SettingsForm, key_status_text, verdict

# origin -> the app's shared httpx.AsyncClient for it (typed loosely: ui/ never imports httpx).
HttpFactory = Callable[[str], Any]
KeyChecker = Callable[[str, str], Awaitable[KeyCheck]]  # (base URL, key) -> verdict
FolderChooser = Callable[[QWidget, Path], Path | None]


def choose_folder(parent: QWidget, start: Path) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Choose the download folder", str(start))
    return Path(chosen) if chosen else None


class SettingsDialog(QDialog):
    """Edits ``Settings`` and the key in the ``CredentialStore``; OK applies, Cancel discards.

    Signals after OK, for the app to react: ``key_changed(origin)`` (a key was saved or kept for
    the session), ``base_url_changed(url)``, ``rate_limit_changed(limit or None)``,
    ``download_dir_changed(path)``. Keyring calls and the key test run as tasks on the asyncio
    loop (qasync in the app); the dialog owns them and cancels them when it closes.
    """

    key_changed = Signal(str)
    base_url_changed = Signal(str)
    rate_limit_changed = Signal(object)  # int | None
    download_dir_changed = Signal(str)
    desktop_changed = Signal()  # appearance, start-up or stuck settings may have changed
    trust_changed = Signal()  # the CA bundle changed: HTTPS clients must be made again
    system_refused = Signal(str)  # e.g. the login item could not be written

    def __init__(
        self,
        settings: Settings,
        credential_store: CredentialStore,
        http_factory: HttpFactory,
        parent: QWidget | None = None,
        *,
        key_checker: KeyChecker | None = None,
        folder_chooser: FolderChooser = choose_folder,
        active_base_url: str | None = None,
        demo: bool = False,
        autostart: Autostart | None = None,
        tray: bool = False,
    ) -> None:
        super().__init__(parent)
        self._demo = demo  # the key in memory is the demo simulator's own: no warning about it
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        # The API the window polls now (it differs from the saved one after --base-url or in
        # demo mode): the key is tested and saved for it, and only a change from it is applied.
        self._active_url = active_base_url or settings.base_url
        self._store = credential_store
        self._http_factory = http_factory
        self._check = key_checker or self._check_with_app_client
        self._choose = folder_chooser
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._pending_key: tuple[str, str] | None = None  # (origin, key) awaiting "session only"

        self.form = form = SettingsForm(self)
        self.desktop = DesktopSettings(autostart, tray=tray, parent=self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(form)
        layout.addWidget(self.desktop)
        layout.addStretch(1)  # spare height goes here, not into the wrapped labels
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        form.test_button.clicked.connect(self._on_test)
        form.choose_button.clicked.connect(self._on_choose)
        form.session_button.clicked.connect(self._on_keep_for_session)
        form.base_url.editingFinished.connect(self._on_base_url_edited)
        form.base_url.textEdited.connect(lambda _text: form.show_url_error(""))
        form.key.textEdited.connect(lambda _text: form.show_key_error(""))
        form.key.textEdited.connect(self._on_key_edited)
        form.folder.textChanged.connect(lambda _text: form.show_folder_error(""))

        form.base_url.setText(self._active_url)
        form.rate.setValue(settings.rate_limit or 0)
        form.folder.setText(str(settings.download_dir))
        form.notify_success.setChecked(settings.notify_success)
        form.notify_failure.setChecked(settings.notify_failure)
        self.desktop.load(settings)
        self._origin_shown = ""
        self._on_base_url_edited()

    # -- widgets the tests and the app reach ------------------------------------------------
    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def key_field(self) -> QLineEdit:
        return self.form.key

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._closed = False  # shown again after done()
        self.form.fit_window()

    # -- task ownership -------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            # Closing moves the focus, which fires editingFinished after done() cancelled
            # everything: work started now would outlive the widgets it updates.
            coro.close()
            return
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)  # the app's error dialog

    def done(self, result: int) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        self.form.key.clear()  # the typed key does not outlive the dialog
        self._pending_key = None
        super().done(result)

    # -- key status -----------------------------------------------------------------------
    def _on_base_url_edited(self) -> None:
        url = self._validated_url(show=True)
        if url is None or origin_of(url) == self._origin_shown:
            return
        self._origin_shown = origin_of(url)
        self._spawn(self._load_key_status(self._origin_shown))

    async def _load_key_status(self, origin: str) -> None:
        self.form.set_key_status("Looking up the stored key…")
        lookup = await self._store.get(origin)
        if origin == self._origin_shown:
            status, placeholder = key_status_text(lookup, self._store.env_key_in_use())
            if self._demo and lookup.source is KeySource.SESSION:
                status = "The demo's own key for its built-in simulator, kept in memory only."
                placeholder = f"the demo's key ({lookup.masked})"
            self.form.set_key_status(status)
            self.form.key.setPlaceholderText(placeholder)

    def _on_key_edited(self, text: str) -> None:
        """The demo's key hint is about the key in memory: once another is typed, it goes."""
        if self._demo and self.form.key_status.text().startswith("The demo's own key"):
            if text.strip():
                self.form.set_key_status("The typed key replaces the demo's key when saved.")
        elif self._demo and not text.strip():
            self._spawn(self._load_key_status(self._origin_shown))

    # -- test key -------------------------------------------------------------------------
    def _on_test(self) -> None:
        self._on_base_url_edited()  # the key status follows the URL being tested
        url = self._validated_url(show=True)
        if url is not None:
            self._spawn(self._test_key(url, self.form.key.text().strip()))

    async def _test_key(self, url: str, typed: str) -> None:
        form = self.form
        form.test_button.setEnabled(False)
        form.set_busy("Testing the key…")
        form.show_verdict("", None)
        try:
            key = typed
            if key:
                register_secret(key)  # typed but not saved: still never in a log
            else:
                lookup = await self._store.get(origin_of(url))
                if lookup.key is None:
                    form.show_key_error("Type a key to test (or save one first).")
                    return
                key = lookup.key
            text, icon = verdict(await self._check(url, key))
            form.show_verdict(text, icon)
        finally:
            form.test_button.setEnabled(True)
            form.set_busy(None)

    async def _check_with_app_client(self, url: str, key: str) -> KeyCheck:
        settings = self._settings
        return await check_key(
            self._http_factory(origin_of(url)),
            url,
            key,
            route_template=settings.route_template(url),
            on_route_learned=lambda route: settings.set_route_template(url, route),
        )

    # -- OK -------------------------------------------------------------------------------
    def _on_ok(self) -> None:
        url = self._validated_url(show=True)
        folder = self.form.validated_folder()
        if url is None or folder is None or not self.desktop.validate():
            return
        key = self.form.key.text().strip()
        if not key:
            self._apply(url, folder, key_origin=None)
            return
        self._spawn(self._save_key_then_apply(url, folder, key))

    async def _save_key_then_apply(self, url: str, folder: Path, key: str) -> None:
        form = self.form
        origin = origin_of(url)
        self.ok_button.setEnabled(False)
        form.key.setEnabled(False)
        form.set_busy("Saving the key in the OS keyring…")
        try:
            try:
                lookup = await self._store.set(origin, key)
            except ValueError as exc:  # not something an HTTP header can carry
                form.show_key_error(f"This is not a usable key: {exc}.")
                return
            if lookup.usable:
                self._apply(url, folder, key_origin=origin)
            elif lookup.can_keep_for_session:
                self._pending_key = (origin, key)
                form.show_session_offer(lookup.message)
            else:
                form.show_key_error(lookup.message)
        finally:
            self.ok_button.setEnabled(True)
            form.key.setEnabled(True)
            form.set_busy(None)

    def _on_keep_for_session(self) -> None:
        url = self._validated_url(show=True)
        folder = self.form.validated_folder()
        if self._pending_key is None or url is None or folder is None:
            return
        origin, key = self._pending_key
        self._store.keep_for_session(origin, key)
        self._apply(url, folder, key_origin=origin)

    def _apply(self, url: str, folder: Path, *, key_origin: str | None) -> None:
        s, form = self._settings, self.form
        url_changed = url != self._active_url
        rate = form.rate.value() or None
        rate_changed = rate != s.rate_limit
        folder_changed = folder != s.download_dir
        if url_changed:
            s.base_url = url
        s.rate_limit = rate
        s.download_dir = folder
        s.notify_success = form.notify_success.isChecked()
        s.notify_failure = form.notify_failure.isChecked()
        trust_before = s.ca_bundle
        refused = self.desktop.apply(s)
        s.sync()
        self.accept()
        if refused:
            self.system_refused.emit(refused)
        self.desktop_changed.emit()
        if s.ca_bundle != trust_before:
            self.trust_changed.emit()
        if url_changed:
            self.base_url_changed.emit(url)
        if rate_changed:
            self.rate_limit_changed.emit(rate)
        if folder_changed:
            self.download_dir_changed.emit(str(folder))
        if key_origin is not None:
            self.key_changed.emit(key_origin)

    # -- helpers --------------------------------------------------------------------------
    def _validated_url(self, *, show: bool) -> str | None:
        try:
            url = normalize_base_url(self.form.base_url.text())
        except InsecureUrl as exc:
            if show:
                self.form.show_url_error(exc.message)
            return None
        self.form.show_url_error("")
        return url

    def _on_choose(self) -> None:
        start = Path(self.form.folder.text() or str(self._settings.download_dir))
        chosen = self._choose(self, start)
        if chosen is not None:
            self.form.folder.setText(str(chosen))

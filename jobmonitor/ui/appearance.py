"""Light or dark: the system's scheme, followed live, unless the user chose one (or ``--dark``).

Qt reports the desktop's scheme through ``QStyleHints.colorScheme`` and says when it changes.
Where the platform theme gives no dark palette of its own (Fusion, xcb without a theme), the
app's dark palette stands in. A forced choice is also told to Qt (``setColorScheme``, Qt 6.8+),
so title bars and native dialogs match.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QStyleFactory

from jobmonitor.ui.palette import dark_palette


def wants_dark(choice: str, system: Qt.ColorScheme, *, forced_dark: bool = False) -> bool:
    """``choice`` is the setting: "system", "light" or "dark"; ``--dark`` beats it."""
    if forced_dark or choice == "dark":
        return True
    if choice == "light":
        return False
    return system == Qt.ColorScheme.Dark


class Appearance(QObject):
    """Applies the palette now and whenever the system's scheme or the setting changes."""

    def __init__(
        self,
        app: QApplication,
        choice: Callable[[], str],
        *,
        forced_dark: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._choice = choice
        self._forced = forced_dark
        # What the platform gave (its theme's palette may be better than any style's standard
        # one): restored when leaving dark, never replaced while light.
        self._style_name = app.style().name()
        self._palette = app.palette()
        self._dark = False
        self._applying = False
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    @property
    def dark(self) -> bool:
        return self._dark

    def apply(self) -> None:
        """Read the setting again (after Settings › OK) and follow it."""
        choice = "dark" if self._forced else self._choice()
        hints = QGuiApplication.styleHints()
        self._applying = True
        try:
            if hasattr(hints, "setColorScheme"):  # Qt 6.8+: decorations and dialogs follow
                if choice == "system":
                    hints.unsetColorScheme()
                else:
                    scheme = Qt.ColorScheme.Dark if choice == "dark" else Qt.ColorScheme.Light
                    hints.setColorScheme(scheme)
        finally:
            self._applying = False
        self._follow(hints.colorScheme())

    def _scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if not self._applying:
            self._follow(scheme)

    def _follow(self, scheme: Qt.ColorScheme) -> None:
        dark = wants_dark(self._choice(), scheme, forced_dark=self._forced)
        if dark == self._dark:
            return
        self._dark = dark
        if dark:
            self._app.setStyle(QStyleFactory.create("Fusion"))
            self._app.setPalette(dark_palette())
        else:
            self._app.setStyle(QStyleFactory.create(self._style_name))
            self._app.setPalette(self._palette)

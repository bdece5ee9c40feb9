"""Settings for living on the desktop: start at login, start in the tray, appearance, stuck jobs,
saving results at once, and the CA bundle for networks that inspect HTTPS.

"Start at login" shows the platform's real state (an autostart entry the user removed elsewhere
reads as off) and writes it there on OK; "Start minimised" is greyed out where there is no tray
to bring the window back from.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.autostart import Autostart
from jobmonitor.core.settings import APPEARANCES, Settings
from jobmonitor.core.tls import TrustConfigError, trust_context

_APPEARANCE_NAMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


class DesktopSettings(QWidget):
    """Two groups, "Desktop" and "Network"; ``load`` fills them, ``apply`` saves them."""

    def __init__(
        self, autostart: Autostart | None, *, tray: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._autostart = autostart
        desktop = QGroupBox("Desktop", self)
        col = QVBoxLayout(desktop)
        self.start_at_login = QCheckBox("Start Job Monitor when I &log in", desktop)
        self.start_minimized = QCheckBox("Start &minimised to the tray", desktop)
        if autostart is None or not autostart.supported:
            self.start_at_login.setEnabled(False)
            self.start_at_login.setToolTip("Not available on this system")
        else:
            self.start_at_login.setToolTip(f"Kept by the system in {autostart.location}")
        if not tray:
            self.start_minimized.setEnabled(False)
            self.start_minimized.setToolTip("This desktop has no system tray to start in")
        self.auto_download = QCheckBox(
            "Download each &result as soon as its job succeeds (links expire)", desktop
        )
        for box in (self.start_at_login, self.start_minimized, self.auto_download):
            col.addWidget(box)
        rows = QFormLayout()
        self.stuck_hours = QDoubleSpinBox(desktop)
        self.stuck_hours.setRange(0.25, 24 * 7)
        self.stuck_hours.setDecimals(2)
        self.stuck_hours.setSingleStep(0.5)
        self.stuck_hours.setSuffix(" h")
        self.stuck_hours.setAccessibleName("Hours unchanged before a job counts as stuck")
        self.stuck_hours.setToolTip(
            "A queued or processing job unchanged this long is shown under Stuck, and "
            "notified once while the window is hidden"
        )
        rows.addRow("Job looks s&tuck after:", self.stuck_hours)
        self.appearance = QComboBox(desktop)
        for value in APPEARANCES:
            self.appearance.addItem(_APPEARANCE_NAMES[value], value)
        self.appearance.setAccessibleName("Appearance")
        rows.addRow("&Appearance:", self.appearance)
        col.addLayout(rows)

        network = QGroupBox("Network", self)
        net = QFormLayout(network)
        self.ca_bundle = QLineEdit(network)
        self.ca_bundle.setPlaceholderText("The system's certificates")
        self.ca_bundle.setAccessibleName("CA bundle")
        self.ca_bundle.setToolTip(
            "A PEM file (or OpenSSL hashed folder) of CA certificates to trust instead of the "
            "system's, e.g. your company's TLS-inspection CA. SSL_CERT_FILE and SSL_CERT_DIR, "
            "when set, take precedence."
        )
        self.ca_browse = QPushButton("&Browse…", network)
        self.ca_browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.ca_bundle, 1)
        row.addWidget(self.ca_browse)
        label = QLabel("&CA bundle:", network)
        label.setBuddy(self.ca_bundle)  # a row of a layout gets no buddy by itself: Alt+C
        net.addRow(label, row)
        self.ca_error = QLabel(network)
        self.ca_error.setWordWrap(True)
        self.ca_error.setAccessibleName("CA bundle problem")
        self.ca_error.hide()
        net.addRow("", self.ca_error)
        self.ca_bundle.textEdited.connect(lambda _t: self.ca_error.hide())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(desktop)
        layout.addWidget(network)

    def load(self, settings: Settings) -> None:
        auto = self._autostart
        self.start_at_login.setChecked(bool(auto and auto.supported and auto.enabled()))
        self.start_minimized.setChecked(settings.start_minimized)
        self.auto_download.setChecked(settings.auto_download)
        self.stuck_hours.setValue(settings.stuck_after_hours)
        index = self.appearance.findData(settings.appearance)
        self.appearance.setCurrentIndex(max(index, 0))
        self.ca_bundle.setText(settings.ca_bundle)

    def validate(self) -> bool:
        """False (and the reason shown) when the CA bundle cannot be used."""
        path = self.ca_bundle.text().strip()
        if path:
            try:
                trust_context(path, environ={})
            except TrustConfigError as exc:
                text = str(exc)
                self.ca_error.setText(f"⚠ {text[:1].upper()}{text[1:]}")
                self.ca_error.show()
                return False
        self.ca_error.hide()
        return True

    def apply(self, settings: Settings) -> str | None:
        """Save; a sentence when the system refused the login item (the rest is saved)."""
        settings.start_minimized = self.start_minimized.isChecked()
        settings.auto_download = self.auto_download.isChecked()
        settings.stuck_after_hours = self.stuck_hours.value()
        settings.appearance = str(self.appearance.currentData())
        settings.ca_bundle = self.ca_bundle.text()
        auto = self._autostart
        wanted = self.start_at_login.isChecked()
        if auto is not None and auto.supported and wanted != auto.enabled():
            try:
                auto.set_enabled(wanted)
            except OSError as exc:
                return f"Start at login could not be changed: {exc.strerror or exc}"
        return None

    def _browse(self) -> None:
        start = self.ca_bundle.text().strip() or str(Path.home())
        path, _filter = QFileDialog.getOpenFileName(
            self, "CA bundle", start, "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_bundle.setText(path)
            self.ca_error.hide()

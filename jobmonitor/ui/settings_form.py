"""The widgets, layout and texts of the settings dialog (no behaviour beyond showing state)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.credentials.keycheck import KeyCheck, KeyCheckOutcome
from jobmonitor.core.credentials.store import KeyLookup, KeyProblem, KeySource
from jobmonitor.core.state import ApiCondition, JobState
from jobmonitor.ui.a11y import ValueLabel
from jobmonitor.ui.icons import connection_icon, status_icon

MAX_RATE = 100_000


def _note(parent: QWidget, name: str) -> QLabel:
    label = ValueLabel(name, parent=parent)  # a screen reader hears the text, not just the name
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def key_status_text(lookup: KeyLookup, env_in_use: bool) -> tuple[str, str]:
    """(status line, placeholder for the key field) for what the store holds; never the key."""
    masked = lookup.masked
    if lookup.problem is KeyProblem.NOT_STORED:  # the store's text sends people to Settings
        note = " $JOBMONITOR_API_KEY is set and would be used instead." if env_in_use else ""
        return f"No API key is stored for {lookup.origin} yet: paste it above." + note, (
            "paste your API key"
        )
    if lookup.problem is not None:
        return lookup.message, "paste your API key"
    if lookup.source is KeySource.ENVIRONMENT:
        return (
            f"Using $JOBMONITOR_API_KEY ({masked}); it overrides the keyring while it is set.",
            f"from $JOBMONITOR_API_KEY ({masked})",
        )
    if lookup.source is KeySource.SESSION:
        return (
            f"⚠ Kept for this session only ({masked}): it is forgotten when the app quits.",
            f"kept for this session only ({masked})",
        )
    if lookup.source is KeySource.KEYRING:
        where = f"the OS keyring ({lookup.backend})" if lookup.backend else "the OS keyring"
        return f"Stored in {where}.", f"stored in the OS keyring ({masked})"
    note = " $JOBMONITOR_API_KEY is set and would be used instead." if env_in_use else ""
    return "No key stored." + note, "paste your API key"


_VERDICT_ICON: dict[KeyCheckOutcome, JobState | ApiCondition] = {
    KeyCheckOutcome.WORKS: JobState.SUCCESS,
    KeyCheckOutcome.REJECTED: ApiCondition.KEY_REJECTED,
    KeyCheckOutcome.UNREACHABLE: ApiCondition.UNREACHABLE,
    KeyCheckOutcome.RATE_LIMITED: ApiCondition.RATE_LIMITED,
    KeyCheckOutcome.BAD_URL: ApiCondition.UNREACHABLE,
    KeyCheckOutcome.UNCONFIRMED: JobState.UNKNOWN,
}


def verdict(check: KeyCheck) -> tuple[str, QIcon]:
    """The outcome as a sentence (it names the outcome itself: never the icon alone)."""
    kind = _VERDICT_ICON[check.outcome]
    icon = status_icon(kind) if isinstance(kind, JobState) else connection_icon(kind)
    return check.detail, icon


class _Rows:
    """Label/field rows on a QGridLayout.

    Not QFormLayout: its height-for-width overestimates rows with wrapped labels, which left
    big gaps around the error texts. A grid skips the rows whose widgets are all hidden.
    """

    def __init__(self, parent: QWidget) -> None:
        self.grid = QGridLayout(parent)
        self.grid.setColumnStretch(1, 1)
        self._parent = parent

    def add(self, text: str, field: QWidget | QLayout, buddy: QWidget | None = None) -> None:
        row = self.grid.rowCount()
        if text:
            label = QLabel(text, self._parent)
            target = buddy if buddy is not None else field
            if isinstance(target, QWidget):
                label.setBuddy(target)
            self.grid.addWidget(label, row, 0)
        if isinstance(field, QLayout):
            self.grid.addLayout(field, row, 1)
        else:
            self.grid.addWidget(field, row, 1)


def _error(parent: QWidget, name: str) -> QLabel:
    """An inline error: words with a warning sign, never colour alone."""
    label = _note(parent, name)
    label.setStyleSheet("color: white; background: #b3261e; border-radius: 3px; padding: 3px 6px;")
    return label


class SettingsForm(QWidget):
    """Every field of the settings dialog; ``SettingsDialog`` wires the behaviour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fit_pending = False
        self._build_api_group()
        self._build_session_offer()
        self._build_other_groups()

        self.set_busy(None)
        for label in (self.url_error, self.key_error, self.folder_error):
            self._show(label, "")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.api_group)
        layout.addWidget(self.session_frame)
        layout.addWidget(self.downloads_group)
        layout.addWidget(self.notify_group)

    def _build_api_group(self) -> None:
        self.api_group = group = QGroupBox("Status API", self)
        form = _Rows(group)

        self.base_url = QLineEdit(group)
        self.base_url.setAccessibleName("API base URL")
        self.base_url.setPlaceholderText("https://api.apidatatools.com")
        self.url_error = _error(group, "Base URL problem")
        form.add("&Base URL:", self.base_url)
        form.add("", self.url_error)

        self.key = QLineEdit(group)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName("API key")
        self.key.setToolTip("Leave empty to keep the stored key. Saved in the OS keyring only.")
        self.show_key = QToolButton(group)
        self.show_key.setText("Show")
        self.show_key.setCheckable(True)  # off by default: the key stays masked
        self.show_key.setAccessibleName("Show the typed key")
        self.show_key.toggled.connect(self._on_show_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.show_key)
        form.add("API &key:", key_row, self.key)
        self.key_status = _note(group, "Stored key")
        form.add("", self.key_status)
        self.key_error = _error(group, "Key problem")
        form.add("", self.key_error)

        self.test_button = QPushButton("&Test key", group)
        self.test_button.setAccessibleName("Test the key against the API")
        self.verdict_icon = QLabel(group)
        self.verdict_text = _note(group, "Key test result")
        # Testing or saving the key shows its spinner here, beside the button, not as a row of
        # its own (an empty one left a gap between the groups; a shown one moved them).
        self.busy_bar = QProgressBar(group)
        self.busy_bar.setRange(0, 0)  # indeterminate: a spinner
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setAccessibleName("Working")
        self.busy_text = QLabel(group)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.busy_bar)
        test_row.addWidget(self.busy_text)
        test_row.addWidget(self.verdict_icon)
        test_row.addWidget(self.verdict_text, 1)
        form.add("", test_row)

        self.rate = QSpinBox(group)
        self.rate.setRange(0, MAX_RATE)
        self.rate.setSpecialValueText("Unknown: learn from the server")
        self.rate.setSuffix(" per minute")
        self.rate.setAccessibleName("Requests per minute")
        self.rate.setToolTip("The API's limit for your key. 0 means unknown: the app adapts.")
        form.add("&Requests:", self.rate)

    def _build_session_offer(self) -> None:
        self.session_frame = frame = QFrame(self)
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel(frame)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_LargeIconSize)
        icon.setPixmap(connection_icon(ApiCondition.KEY_MISSING).pixmap(size, size))
        self.session_text = _note(frame, "Keyring problem")
        self.session_button = QPushButton("&Keep for this session only", frame)
        self.session_button.setAccessibleName("Keep the key in memory for this session only")
        text_col = QVBoxLayout()
        text_col.addWidget(self.session_text)
        text_col.addWidget(self.session_button, 0, Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout(frame)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text_col, 1)
        frame.hide()

    def _build_other_groups(self) -> None:
        self.downloads_group = group = QGroupBox("Downloads", self)
        form = _Rows(group)
        self.folder = QLineEdit(group)
        self.folder.setAccessibleName("Download folder")
        self.choose_button = QPushButton("C&hoose…", group)
        self.choose_button.setAccessibleName("Choose the download folder")
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.choose_button)
        form.add("&Folder:", row, self.folder)
        self.folder_error = _error(group, "Folder problem")
        form.add("", self.folder_error)

        self.notify_group = QGroupBox("Desktop notifications", self)
        col = QVBoxLayout(self.notify_group)
        self.notify_success = QCheckBox("When a job &succeeds", self.notify_group)
        self.notify_failure = QCheckBox("When a job &fails or cannot be found", self.notify_group)
        col.addWidget(self.notify_success)
        col.addWidget(self.notify_failure)

    # -- showing state ----------------------------------------------------------------------
    def _on_show_key(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key.setEchoMode(mode)
        self.show_key.setText("Hide" if shown else "Show")

    def show_url_error(self, text: str) -> None:
        self._show(self.url_error, text)

    def show_key_error(self, text: str) -> None:
        self._show(self.key_error, text)

    def show_session_offer(self, message: str) -> None:
        self.session_text.setText(
            f"{message}\nYou can keep the key in memory for this session only: it works until "
            "the app quits and is never written anywhere."
        )
        self.session_frame.show()
        self.session_button.setFocus()
        self.fit_window()

    def show_verdict(self, text: str, icon: QIcon | None) -> None:
        self.verdict_text.setText(text)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.verdict_icon.setPixmap(
            icon.pixmap(size, size) if icon is not None else QIcon().pixmap(1)
        )
        self.verdict_icon.setVisible(icon is not None)
        self.fit_window()

    def set_busy(self, text: str | None) -> None:
        self.busy_bar.setVisible(text is not None)
        self.busy_text.setVisible(text is not None)
        self.busy_text.setText(text or "")

    def show_folder_error(self, text: str) -> None:
        self._show(self.folder_error, text)

    def validated_folder(self) -> Path | None:
        text = self.folder.text().strip()
        if not text:
            self._show(self.folder_error, "⚠ Choose a folder for downloaded results.")
            return None
        path = Path(text).expanduser()
        if path.exists() and not path.is_dir():
            self._show(self.folder_error, "⚠ This is a file, not a folder.")
            return None
        self._show(self.folder_error, "")
        return path

    def set_key_status(self, text: str) -> None:
        self.key_status.setText(text)
        self.fit_window()

    def _show(self, label: QLabel, text: str) -> None:
        if text and not text.startswith("⚠"):
            text = "⚠ " + text
        label.setText(text)
        label.setVisible(bool(text))
        self.fit_window()

    def fit_window(self) -> None:
        """Grow the window to the height wrapped texts need at its width.

        Qt does not apply height-for-width to a top-level window's size, so a message that
        wraps onto more lines after the dialog is shown would otherwise be cut off. The fit
        waits for the event loop: until Qt has laid out the change (a text, a row shown), the
        layout has no height-for-width to give.
        """
        if not self._fit_pending:
            self._fit_pending = True
            QTimer.singleShot(0, self, self._fit_now)

    def _fit_now(self) -> None:
        self._fit_pending = False
        window = self.window()
        layout = window.layout()
        if layout is None or not window.isVisible():
            return  # before it is shown the width is not final; showEvent fits again
        # The window's layout keeps the height it was last told for this form at a width; a
        # text that wrapped inside a group has not reached it yet. updateGeometry() drops it.
        self.updateGeometry()
        layout.activate()
        needed = layout.totalHeightForWidth(window.width())
        if needed > 0:
            window.setMinimumHeight(needed)
            if window.height() < needed:
                window.resize(window.width(), needed)

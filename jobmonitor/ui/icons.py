"""The app's icons: found in the installed package or the source tree, light or dark, cached."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette

from jobmonitor import APP_ID
from jobmonitor.core.state import ApiCondition, JobState

# Rendered once so availableSizes() is not empty: some tray hosts and window managers only
# look at those sizes, and an SVG-backed QIcon reports none.
APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TRAY_ICON_SIZES = (16, 22, 24, 32, 48, 64)


@cache
def resources_dir() -> Path:
    """The folder holding the icons.

    A wheel and the PyInstaller bundle carry it as ``jobmonitor/_resources`` (pyproject's
    force-include, the spec's datas); a source checkout or an editable install has it at the top
    of the repository, two levels above this package.
    """
    packaged = files("jobmonitor").joinpath("_resources")
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "resources"
    if (source / f"{APP_ID}.svg").is_file():
        return source
    raise FileNotFoundError(f"the icons are missing: neither {packaged} nor {source} exists")


def palette_is_dark() -> bool:
    """Whether the application's palette has a dark window background (the user's theme)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def status_icon_name(state: JobState) -> str:
    """The file stem of a state's icon: the three kinds of problem share the warning triangle."""
    return "status-problem" if state.is_problem else f"status-{state.value}"


def connection_icon_name(condition: ApiCondition) -> str:
    return "connection-" + condition.value.replace("_", "-")


def status_icon(state: JobState, dark: bool | None = None) -> QIcon:
    """The icon for a job's state; ``dark`` None follows the application palette."""
    return _themed(status_icon_name(state), palette_is_dark() if dark is None else dark)


def connection_icon(condition: ApiCondition, dark: bool | None = None) -> QIcon:
    """The icon for the connection to the API, as the status bar shows it."""
    return _themed(connection_icon_name(condition), palette_is_dark() if dark is None else dark)


# Toolbar commands the desktop's icon theme may have no icon for (Qt's style has none either):
# drawn here, so the toolbar never mixes icon buttons with text-only ones.
ACTION_ICONS = (
    "action-download-all",
    "action-copy-report",
    "action-settings",
    "action-downloads",
    "action-submissions",
    "action-uploads",
)


def action_icon(name: str, dark: bool | None = None) -> QIcon:
    return _themed(name, palette_is_dark() if dark is None else dark)


def icon_path(name: str, *, dark: bool) -> Path:
    path = resources_dir() / "icons" / ("dark" if dark else "light") / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {path}")
    return path


@cache
def _themed(name: str, dark: bool) -> QIcon:
    return QIcon(str(icon_path(name, dark=dark)))


@cache
def app_icon() -> QIcon:
    """The application icon, rendered at every common size (needs a QGuiApplication)."""
    scalable = QIcon(str(resources_dir() / f"{APP_ID}.svg"))
    icon = QIcon()
    for size in APP_ICON_SIZES:
        icon.addPixmap(scalable.pixmap(QSize(size, size), 1.0))
    return icon


@cache
def tray_icon(worst: JobState | ApiCondition | None = None) -> QIcon:
    """The app icon with a badge in its lower right corner: the watch list's worst state, or a
    connection problem; None gives the plain app icon.

    The badge always uses the light set on a white disc: it sits on the icon's blue tile, not on
    the panel, so the panel's colour does not matter.
    """
    if worst is None:
        return app_icon()
    if isinstance(worst, ApiCondition):
        badge = connection_icon(worst, dark=False)
    else:
        badge = status_icon(worst, dark=False)
    icon = QIcon()
    for size in TRAY_ICON_SIZES:
        pixmap = app_icon().pixmap(QSize(size, size), 1.0)  # device pixels, not scaled
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = size * 0.62
        disc = QRectF(size - side, size - side, side, side)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(disc)
        inset = side * 0.06
        badge.paint(painter, disc.adjusted(inset, inset, -inset, -inset).toRect())
        painter.end()
        icon.addPixmap(pixmap)
    return icon

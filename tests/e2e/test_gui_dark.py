"""The dark palette: toolbar and status-bar separators visible and not glaring, every toolbar
button with an icon, and a toolbar that does not shift when Undo names what it undoes."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QStyleFactory, QWidget
from pytestqt.qtbot import QtBot

from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.palette import dark_palette


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[QPalette]:
    style, palette = qapp.style().name(), qapp.palette()
    qapp.setStyle(QStyleFactory.create("Fusion"))
    qapp.setPalette(dark_palette())
    yield qapp.palette()
    qapp.setStyle(QStyleFactory.create(style))
    qapp.setPalette(palette)


def _lightness(widget: QWidget) -> list[int]:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return [
        QColor(image.pixel(x, y)).lightness()
        for x in range(image.width())
        for y in range(image.height())
    ]


def test_separators_show_on_the_dark_palette_without_glaring(
    qtbot: QtBot, make_app: AppFactory, dark: QPalette
) -> None:
    app = make_app()
    window_lightness = dark.color(QPalette.ColorRole.Window).lightness()
    separators = [
        w
        for w in app.window.toolbar.findChildren(QWidget)
        if w.metaObject().className() == "QToolBarSeparator" and w.isVisible()
    ]
    assert separators
    for separator in separators:
        assert max(abs(v - window_lightness) for v in _lightness(separator)) > 25
    lines = [f for f in app.status.findChildren(QFrame) if f.frameShape() is QFrame.Shape.VLine]
    assert lines
    for line in lines:
        values = _lightness(line)
        assert max(values) < 140  # no bright white bar
        assert max(abs(v - window_lightness) for v in values) > 10  # but still a line


def test_every_toolbar_button_has_an_icon_and_undo_keeps_its_width(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, dark: QPalette
) -> None:
    job = world.add_job(KEY, queued_for=600)
    app = make_app(add_text=job)
    toolbar, actions = app.window.toolbar, app.window.job_actions
    shown = [a for a in toolbar.actions() if not a.isSeparator() and toolbar.widgetForAction(a)]
    assert [a.iconText() for a in shown if a.icon().isNull()] == []
    undo = toolbar.widgetForAction(actions.undo)
    assert undo is not None
    width = undo.sizeHint().width()
    qtbot.waitUntil(lambda: app.window.selected_ids() == [job])
    actions.remove.trigger()
    assert actions.undo.isEnabled() and actions.undo.text().startswith("&Undo Remove")
    assert undo.sizeHint().width() == width and undo.text() == "Undo"
    assert actions.undo.toolTip() == "Undo remove 1 job (Ctrl+Z)"

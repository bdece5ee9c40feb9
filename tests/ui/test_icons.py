"""The icons: every state and connection condition has one in both sets, found and rendered by Qt."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication

import jobmonitor
from jobmonitor import APP_ID
from jobmonitor.core.state import ApiCondition, JobState
from jobmonitor.ui import icons

SIZE = 48
BACKGROUND = {False: QColor("#ffffff"), True: QColor("#1e1e1e")}  # a light and a dark window


def ink_mask(icon: QIcon, dark: bool) -> list[bool]:
    """Which pixels stand out from the background: the icon's shape as a colour-blind eye sees it."""
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(BACKGROUND[dark])
    painter = QPainter(image)
    icon.paint(painter, 0, 0, SIZE, SIZE)
    painter.end()
    ground = BACKGROUND[dark].lightness()
    contrast = [
        abs(image.pixelColor(x, y).lightness() - ground) for y in range(SIZE) for x in range(SIZE)
    ]
    # Half the icon's own strongest contrast: antialiased edges fall the same way in both sets.
    cut = max(contrast) / 2
    return [c > cut for c in contrast]


def differing(a: list[bool], b: list[bool]) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def test_resources_are_found_with_the_app_icon() -> None:
    folder = icons.resources_dir()
    assert (folder / f"{APP_ID}.svg").is_file()
    assert (folder / "icons" / "light").is_dir()
    assert (folder / "icons" / "dark").is_dir()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("state", list(JobState))
def test_every_state_has_a_drawn_icon(qapp: QApplication, state: JobState, dark: bool) -> None:
    icon = icons.status_icon(state, dark=dark)
    assert not icon.isNull()
    assert sum(ink_mask(icon, dark)) > SIZE * SIZE // 10  # the SVG really rendered


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("condition", list(ApiCondition))
def test_every_connection_condition_has_a_drawn_icon(
    qapp: QApplication, condition: ApiCondition, dark: bool
) -> None:
    icon = icons.connection_icon(condition, dark=dark)
    assert not icon.isNull()
    assert sum(ink_mask(icon, dark)) > SIZE * SIZE // 10


def test_icons_are_cached(qapp: QApplication) -> None:
    first = icons.status_icon(JobState.FAILED, dark=False)
    assert icons.status_icon(JobState.FAILED, dark=False).cacheKey() == first.cacheKey()
    assert icons.status_icon(JobState.FAILED, dark=True).cacheKey() != first.cacheKey()


def test_problems_share_one_icon_and_other_states_have_their_own() -> None:
    names = {state: icons.status_icon_name(state) for state in JobState}
    problems = {names[s] for s in JobState if s.is_problem}
    assert problems == {"status-problem"}
    others = [names[s] for s in JobState if not s.is_problem]
    assert len(set(others)) == len(others)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_shapes_differ_without_colour(qapp: QApplication, dark: bool) -> None:
    """Status is never colour alone: any two icons differ in shape, not just in hue."""
    names = {icons.status_icon_name(s) for s in JobState}
    names |= {icons.connection_icon_name(c) for c in ApiCondition}
    masks = {n: ink_mask(QIcon(str(icons.icon_path(n, dark=dark))), dark) for n in names}
    for a, b in combinations(sorted(masks), 2):
        assert differing(masks[a], masks[b]) > 80, f"{a} and {b} look alike without colour"


def test_light_and_dark_sets_draw_the_same_shapes(qapp: QApplication) -> None:
    light = icons.resources_dir() / "icons" / "light"
    dark = icons.resources_dir() / "icons" / "dark"
    assert sorted(p.name for p in light.glob("*.svg")) == sorted(p.name for p in dark.glob("*.svg"))
    for path in light.glob("*.svg"):
        a = ink_mask(QIcon(str(path)), dark=False)
        b = ink_mask(QIcon(str(dark / path.name)), dark=True)
        assert differing(a, b) < SIZE * SIZE // 100, path.name


def test_every_icon_file_is_used() -> None:
    used = {icons.status_icon_name(s) for s in JobState}
    used |= {icons.connection_icon_name(c) for c in ApiCondition}
    used |= set(icons.ACTION_ICONS)
    on_disk = {p.stem for p in (icons.resources_dir() / "icons" / "light").glob("*.svg")}
    assert on_disk == used


def test_dark_none_follows_the_application_palette(qapp: QApplication) -> None:
    saved = qapp.palette()
    try:
        dark = QPalette(saved)
        dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
        qapp.setPalette(dark)
        assert icons.palette_is_dark()
        chosen = icons.status_icon(JobState.SUCCESS).cacheKey()
        assert chosen == icons.status_icon(JobState.SUCCESS, dark=True).cacheKey()
        light = QPalette(saved)
        light.setColor(QPalette.ColorRole.Window, QColor("#f6f6f6"))
        qapp.setPalette(light)
        assert not icons.palette_is_dark()
        chosen = icons.connection_icon(ApiCondition.ONLINE).cacheKey()
        assert chosen == icons.connection_icon(ApiCondition.ONLINE, dark=False).cacheKey()
    finally:
        qapp.setPalette(saved)


def test_app_icon_has_every_size(qapp: QApplication) -> None:
    icon = icons.app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    assert set(icons.APP_ICON_SIZES) <= sizes
    big = icon.pixmap(QSize(512, 512), 1.0)
    assert big.width() == 512
    assert big.toImage().pixelColor(256, 256).alpha() == 255  # drawn, not blank


def test_tray_icon_badges_the_worst_state(qapp: QApplication) -> None:
    assert icons.tray_icon(None).cacheKey() == icons.app_icon().cacheKey()
    plain = icons.app_icon().pixmap(QSize(32, 32), 1.0).toImage()
    failed = icons.tray_icon(JobState.FAILED)
    assert {s.width() for s in failed.availableSizes()} == set(icons.TRAY_ICON_SIZES)
    badged = failed.pixmap(QSize(32, 32), 1.0).toImage()
    assert badged.pixelColor(4, 4) == plain.pixelColor(4, 4)  # the tile shows through
    assert badged.pixelColor(24, 24) != plain.pixelColor(24, 24)  # the badge sits bottom right
    offline = icons.tray_icon(ApiCondition.UNREACHABLE).pixmap(QSize(32, 32), 1.0).toImage()
    assert offline.pixelColor(4, 4) == plain.pixelColor(4, 4)
    assert offline != badged


def test_a_missing_icon_is_an_error_not_a_blank() -> None:
    with pytest.raises(FileNotFoundError):
        icons.icon_path("status-nonexistent", dark=False)


def test_source_tree_fallback_points_at_the_repository() -> None:
    # Run from a checkout (editable install): the wheel's _resources folder is absent here.
    repo = Path(__file__).resolve().parents[2]
    if Path(jobmonitor.__file__).resolve().parent != repo / "jobmonitor":
        pytest.skip("the tests run against an installed copy, not this checkout")
    assert icons.resources_dir() == repo / "resources"

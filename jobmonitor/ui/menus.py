"""The menu bar and the toolbar: the window's ``JobActions`` arranged, plus the View and Help items.

One QAction per command: the menus, the toolbar and the table's context menu share the same
objects, so a shortcut, an enabled state or a checked state is the same wherever it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QToolBar, QWidget

from jobmonitor import APP_NAME
from jobmonitor.ui.a11y import name_toolbar_overflow
from jobmonitor.ui.actions import SP, JobActions, Theme, themed_icon
from jobmonitor.ui.filter_bar import FilterBar
from jobmonitor.ui.help_dialogs import ShortcutsDialog, show_about
from jobmonitor.ui.job_text import Category
from jobmonitor.ui.jobs_view import JobsTableView


@dataclass(slots=True)
class WindowMenus:
    """What the window keeps of its menus: the View menu takes panels added later."""

    bar: QMenuBar
    view: QMenu
    panels_at: QAction  # panel toggles are inserted before this separator
    show_details: QAction
    details_below: QAction
    columns: QMenu
    filters: dict[Category | None, QAction]
    extra_filters: dict[str, QAction]  # chips added later (Stuck), by name
    about: QAction
    shortcuts: QAction


def build_toolbar(window: QMainWindow, a: JobActions) -> QToolBar:
    """The most used commands, icon and text side by side."""
    toolbar = QToolBar("Main toolbar", window)
    toolbar.setObjectName("main_toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    # Fusion draws a separator a shade off the window colour: gone on a dark palette. A line in
    # the palette's mid colour shows on both.
    toolbar.setStyleSheet(
        "QToolBar::separator { background: palette(mid); width: 1px; margin: 6px 5px; }"
    )
    for action in (
        a.import_file,
        None,
        a.check_now,
        a.pause,
        None,
        a.remove,
        a.undo,
        None,
        a.download,
        a.download_all,
        a.copy_report,
        None,
        a.settings,
    ):
        if action is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(action)
    window.addToolBar(toolbar)
    name_toolbar_overflow(toolbar)
    return toolbar


def _action(parent: QWidget, text: str, shortcut: str, tip: str) -> QAction:
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})")
    else:
        action.setToolTip(tip)
    action.setStatusTip(tip)
    action.setObjectName(text.replace("&", "").rstrip(".…").lower().replace(" ", "_"))
    parent.addAction(action)  # the shortcut works while the menu bar is hidden, too
    return action


def build_menus(
    window: QMainWindow,
    a: JobActions,
    filter_bar: FilterBar,
    details: QWidget,
    toolbar: QToolBar,
    table: JobsTableView,
) -> WindowMenus:
    bar = window.menuBar()

    file = bar.addMenu("&File")
    file.addActions([a.add, a.import_file])
    file.addSeparator()
    file.addActions([a.download, a.download_all, a.export])
    file.addSeparator()
    file.addAction(a.settings)
    file.addSeparator()
    file.addAction(a.quit)

    edit = bar.addMenu("&Edit")
    edit.addActions([a.copy_ids, a.copy_report])
    edit.addSeparator()
    edit.addActions([a.remove, a.undo, a.redo])
    edit.addSeparator()
    edit.addActions([a.select_all, a.find])

    view = bar.addMenu("&View")
    filters, extra_filters = _filter_actions(window, view, filter_bar)
    view.addSeparator()
    show_details = _action(window, "&Details panel", "Ctrl+I", "Show or hide the job details")
    show_details.setCheckable(True)
    show_details.setChecked(True)
    show_details.toggled.connect(details.setVisible)
    view.addAction(show_details)
    details_below = _action(
        window, "Details &below the list", "", "Put the details under the list (narrow windows)"
    )
    details_below.setCheckable(True)
    view.addAction(details_below)
    columns = table.fill_column_menu(view.addMenu("&Columns"))
    panels_at = view.addSeparator()
    toolbar_toggle = toolbar.toggleViewAction()
    toolbar_toggle.setText("&Toolbar")
    view.addAction(toolbar_toggle)

    jobs = bar.addMenu("&Jobs")
    jobs.addActions([a.check_now, a.pause])

    help_menu = bar.addMenu("&Help")
    shortcuts = _action(window, "&Keyboard shortcuts", "F1", "Every shortcut of the window")
    shortcuts.triggered.connect(lambda: ShortcutsDialog(bar, window).open())
    about = _action(window, f"&About {APP_NAME}", "", "Version, Qt and Python versions, links")
    about.setIcon(themed_icon(window, Theme.HelpAbout, SP.SP_MessageBoxInformation))
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window))
    help_menu.addActions([shortcuts, about])
    return WindowMenus(
        bar,
        view,
        panels_at,
        show_details,
        details_below,
        columns,
        filters,
        extra_filters,
        about,
        shortcuts,
    )


def _filter_actions(
    window: QMainWindow, view: QMenu, filter_bar: FilterBar
) -> tuple[dict[Category | None, QAction], dict[str, QAction]]:
    """View › Show: one checkable item per chip (Ctrl+1…), checked with its chip, with counts;
    a chip added later (Stuck) gets its item then, after the others."""
    group = QActionGroup(window)
    group.setExclusive(True)
    actions: dict[Category | None, QAction] = {}
    extra: dict[str, QAction] = {}
    view.addSection("Show")
    for n, (category, chip) in enumerate(filter_bar.chips.items(), start=1):
        name = "All" if category is None else category.label
        tip = "Show every job" if category is None else f"Show {name.lower()} jobs only"
        action = _action(window, f"&{name}", f"Ctrl+{n}", tip)
        action.setObjectName(f"show_{name.lower()}")
        action.setCheckable(True)
        action.setChecked(chip.isChecked())  # no icon: it would hide the radio mark
        group.addAction(action)
        view.addAction(action)
        action.triggered.connect(lambda _on=False, c=category: filter_bar.select(c))
        chip.toggled.connect(action.setChecked)
        actions[category] = action

    def add_extra(name: str) -> None:
        chip = filter_bar.extra[name][0]
        n = len(actions) + len(extra) + 1
        action = _action(window, name, f"Ctrl+{n}" if n <= 9 else "", chip.toolTip())
        action.setObjectName(f"show_{name.lower()}")
        action.setCheckable(True)
        action.setChecked(chip.isChecked())
        group.addAction(action)
        items = view.actions()
        last = extra[next(reversed(extra))] if extra else actions[next(reversed(actions))]
        after = items.index(last) + 1
        if after < len(items):
            view.insertAction(items[after], action)
        else:
            view.addAction(action)
        action.triggered.connect(lambda _on=False: chip.setChecked(True))
        chip.toggled.connect(action.setChecked)
        extra[name] = action
        counts()

    def counts() -> None:
        # The chip says "Failed (2)"; the item keeps a letter no item before it has ("Problem"
        # would share P with "Processing"), so each letter reaches one item. Items outside Show
        # keep theirs; the filters are given theirs afresh, in order, each time.
        ours = set(actions.values()) | set(extra.values())
        taken = {c for a in view.actions() if a not in ours and (c := mnemonic_of(a.text()))}
        texts = [(a, filter_bar.texts[c]) for c, a in actions.items()]
        texts += [(a, filter_bar.extra[name][0].text()) for name, a in extra.items()]
        for action, text in texts:
            at = free_letter(text, taken)
            taken.add(text[at].lower())
            action.setText(text[:at] + "&" + text[at:])

    counts()
    filter_bar.counts_updated.connect(counts)
    filter_bar.chip_added.connect(add_extra)
    for name in filter_bar.extra:  # chips added before the menus were built
        add_extra(name)
    return actions, extra


def mnemonic_of(text: str) -> str:
    """The lower-cased mnemonic letter of an item's text ("" when it has none)."""
    text = text.replace("&&", "")
    at = text.find("&")
    return text[at + 1].lower() if 0 <= at < len(text) - 1 else ""


def free_letter(text: str, taken: set[str]) -> int:
    """The index of ``text``'s first letter not in ``taken``; 0 when every letter is."""
    return next((i for i, c in enumerate(text) if c.isalpha() and c.lower() not in taken), 0)


def with_free_mnemonic(text: str, menu: QMenu, own: QAction) -> str:
    """``text`` with a mnemonic on its first letter no other item of ``menu`` has."""
    taken = {mnemonic_of(a.text()) for a in menu.actions() if a is not own} - {""}
    at = free_letter(text, taken)
    return text[:at] + "&" + text[at:]

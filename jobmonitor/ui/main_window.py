"""The main window: layout and wiring only (state lives in the watch list, actions in JobActions)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor import APP_NAME
from jobmonitor.core.polling.controller import PollingController
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as cols
from jobmonitor.ui.a11y import Announcer, order_focus_chain
from jobmonitor.ui.actions import JobActions
from jobmonitor.ui.add_jobs import AddJobsBar, JobAdder
from jobmonitor.ui.empty_state import TableEmptyState
from jobmonitor.ui.export_list import ListExporter
from jobmonitor.ui.filter_bar import FilterBar
from jobmonitor.ui.job_details import JobDetails
from jobmonitor.ui.job_text import Category, status_text
from jobmonitor.ui.jobs_model import JobsTableModel
from jobmonitor.ui.jobs_proxy import JobsFilterProxy
from jobmonitor.ui.jobs_view import JobsTableView
from jobmonitor.ui.menus import build_menus, build_toolbar, with_free_mnemonic


class NoticeBanner(QFrame):
    """A message that stays until dismissed (e.g. "the saved list could not be read")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName("Notice")
        close = QToolButton(self)
        close.setText("Dismiss")
        close.setAccessibleName("Dismiss notice")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(QLabel("⚠", self))
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.text.setText(text)
        self.show()


NARROW = 1000  # below this width the details go under the list (unless placed by hand)


class MainWindow(QMainWindow):
    """Toolbar, add bar, filter bar, table | details, status bar; panels go in docks."""

    shown_first_time = Signal()
    closed = Signal()  # closed for good: the app quits
    hidden_to_tray = Signal()  # closed while a tray icon keeps the app running

    def __init__(
        self,
        watchlist: WatchList,
        polling: PollingController,
        *,
        base_url: Callable[[], str],
        icon_for: Callable[[JobState], QIcon] | None = None,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._watchlist = watchlist
        self._shown = False
        # Whether closing the window only hides it (the composition root says: when a tray
        # icon can bring it back). Ctrl+Q quits either way.
        self.hide_on_close: Callable[[], bool] = lambda: False
        self._select_first_pending = True  # until a row has been current once
        self._place_chosen = False  # the details go below the list in a narrow window until
        # the user puts them somewhere (View › Details below the list)
        self._was_narrow: bool | None = None  # they move when the width crosses the line
        self._hold_place = False  # a restored splitter holds until the window is shown
        # Qt adds " — Job Monitor" (the display name) to a title that does not end with it.
        self.setWindowTitle(f"Demo — {APP_NAME}" if demo else APP_NAME)
        self.setAcceptDrops(True)
        self.model = JobsTableModel(watchlist, polling=polling, icon_for=icon_for, parent=self)
        self.proxy = JobsFilterProxy(self.model, self)
        self.adder = JobAdder(watchlist, self)

        self.table = JobsTableView(self)
        self.table.setModel(self.proxy)
        self.empty_state = TableEmptyState(self.table, self.proxy)

        self.announcer = Announcer(self.table)
        self.details = JobDetails(base_url=base_url, icon_for=icon_for, parent=self)
        self.job_actions = JobActions(watchlist, polling, self.adder, self.selected_ids, self)
        self.job_actions.removing.connect(self.table.let_go_of_selection)
        self.add_bar = AddJobsBar(self.adder, self)
        self.filter_bar = FilterBar(self.model, self.proxy, icon_for=icon_for, parent=self)
        self.notice = NoticeBanner(self)
        self.exporter = ListExporter(self, self.proxy, self._saved_path)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([1000, 420])
        self.splitter.setChildrenCollapsible(True)  # drag the details away; Ctrl+I brings them
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.addWidget(self.notice)
        layout.addWidget(self.add_bar)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self._build_bars()
        self._wire()
        self.resize(1280, 760)

    def _build_bars(self) -> None:
        a = self.job_actions
        self.toolbar = build_toolbar(self, a)
        pause = self.toolbar.widgetForAction(a.pause)
        if pause is not None:  # as wide as "Resume polling": the toolbar does not shift on a click
            text = a.pause.text()
            a.pause.setText("&Resume polling")
            widest = pause.sizeHint().width()
            a.pause.setText(text)
            pause.setMinimumWidth(max(widest, pause.sizeHint().width()))
        self.menus = build_menus(self, a, self.filter_bar, self.details, self.toolbar, self.table)
        self.menus.details_below.toggled.connect(self.set_details_below)
        self.menus.details_below.triggered.connect(self._details_place_chosen)
        for action in (a.check_now, a.copy_ids, a.copy_report, a.download, a.remove):
            self.table.addAction(action)

    def _wire(self) -> None:
        a = self.job_actions
        a.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        a.find_requested.connect(self._focus_search)
        a.add_requested.connect(self.add_bar.edit.setFocus)
        self.empty_state.add_requested.connect(self.add_bar.edit.setFocus)
        self.empty_state.settings_requested.connect(a.settings.trigger)
        self.empty_state.clear_requested.connect(self.clear_filters)
        a.report_requested.connect(self.details.copy_report)
        a.download_requested.connect(self.details.request_download)
        a.select_all_requested.connect(self.table.selectAll)
        self.details.report_copied.connect(
            lambda job_id: self.statusBar().showMessage(
                f"Support report for {job_id} copied.", 6000
            )
        )
        self.details.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        a.export_requested.connect(self.exporter.export)
        self.exporter.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.exporter.progress.connect(
            lambda done, total: self.statusBar().showMessage(
                f"Exporting the list: {done:,} of {total:,} jobs written…"
            )
        )
        self.exporter.failed.connect(self.notice.show_message)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._current_changed)
        selection.selectionChanged.connect(self._update_action_states)
        self._watchlist.jobs_changed.connect(self._jobs_changed)
        self._watchlist.history_loaded.connect(
            lambda: self._current_changed(self.table.currentIndex())
        )
        self._watchlist.jobs_removed.connect(
            lambda _ids: self._current_changed(self.table.currentIndex())
        )
        self._watchlist.write_failed.connect(self.notice.show_message)
        self.proxy.rowsInserted.connect(self._select_first_row)
        self.model.counts_changed.connect(self._counts_changed)
        self._counts_changed()

    # -- selection and details -------------------------------------------------------------

    def _saved_path(self, job_id: str) -> Path | None:
        saved = self.details.saved_file(job_id)
        return saved.path if saved is not None else None

    def selected_ids(self) -> list[str]:
        return self.proxy.job_ids_at(self.table.selected_rows())

    def current_job(self) -> WatchedJob | None:
        index = self.table.currentIndex()
        return index.data(cols.JobRole) if index.isValid() else None

    def select_job(self, job_id: str) -> bool:
        """Show and select one job (e.g. from a notification); clears a filter that hides it."""
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.filter_bar.select(None)
            self.filter_bar.search.clear()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _select_first_row(self) -> None:
        """The details panel is not left empty at first sight of a list (restored or added)."""
        if not self._select_first_pending or self.table.currentIndex().isValid():
            self._select_first_pending = False
            return
        if self.proxy.rowCount() > 0:
            self._select_first_pending = False
            self.table.selectRow(0)

    def _counts_changed(self) -> None:
        empty = self.model.rowCount() == 0
        self.details.set_empty_list(empty)
        self.job_actions.download_all.setEnabled(self.model.counts[Category.SUCCESS] > 0)
        self.job_actions.select_all.setEnabled(not empty)
        self.job_actions.check_now.setEnabled(not empty)
        self._update_action_states()

    def _current_changed(self, index: QModelIndex) -> None:
        if index.isValid():
            self._select_first_pending = False
        job = index.data(cols.JobRole) if index.isValid() else None
        self.details.show_job(job, self._watchlist.history(job.job_id) if job else [])
        self._update_action_states()

    def _jobs_changed(self, jobs: list[WatchedJob]) -> None:
        shown = self.details.job
        if shown is None:
            return
        for job in jobs:
            if job.job_id == shown.job_id and job != shown:
                if job.state is not shown.state:  # heard, not only seen
                    name = job.label or job.job_id[:8]
                    self.announcer.say(f"{name}: {status_text(job)}")
                self.details.show_job(job, self._watchlist.history(job.job_id))
                self._update_action_states()
                return

    def _update_action_states(self) -> None:
        has_selection = self.table.selectionModel().hasSelection()
        job = self.current_job()
        for action in (self.job_actions.remove, self.job_actions.copy_ids):
            action.setEnabled(has_selection)
        self.job_actions.copy_report.setEnabled(job is not None)
        self.job_actions.download.setEnabled(
            self.details.download_button.isEnabled()
            and job is not None
            and job.state is JobState.SUCCESS
        )

    def set_details_below(self, below: bool) -> None:
        """The details beside the list (wide windows) or under it (narrow ones)."""
        orientation = Qt.Orientation.Vertical if below else Qt.Orientation.Horizontal
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            total = max(sum(self.splitter.sizes()), 400)
            side = total * 2 // 5 if below else min(420, total // 2)
            self.splitter.setSizes([total - side, side])
        if self.menus.details_below.isChecked() != below:
            self.menus.details_below.setChecked(below)

    def _details_place_chosen(self) -> None:
        self._place_chosen = True

    def keep_details_placement(self) -> None:
        """The splitter came back as it was left: the details stay there, whatever width the
        screen gives the restored window; only a resize across the line moves them later."""
        self._hold_place = True
        below = self.splitter.orientation() == Qt.Orientation.Vertical
        if self.menus.details_below.isChecked() != below:
            self.menus.details_below.blockSignals(True)  # the splitter is already so
            self.menus.details_below.setChecked(below)
            self.menus.details_below.blockSignals(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = self.width() < NARROW
        if self._hold_place or narrow == self._was_narrow:
            return
        self._was_narrow = narrow
        if not self._place_chosen:
            self.set_details_below(narrow)

    def set_key_missing(self, missing: bool) -> None:
        """An empty list then also says how to set the key (the composition root knows)."""
        self.empty_state.set_key_missing(missing)

    def clear_filters(self) -> None:
        self.filter_bar.search.clear()
        self.filter_bar.select(None)
        self.table.setFocus()

    def _focus_search(self) -> None:
        self.filter_bar.search.setFocus()
        self.filter_bar.search.selectAll()

    # -- panels the composition root adds --------------------------------------------------

    def add_status_widget(self, widget: QWidget) -> None:
        self.statusBar().addPermanentWidget(widget)
        self.order_tabs()

    def order_tabs(self) -> None:
        """Tab goes as the eye reads: notice, add field, filters and search, table, details,
        panels, and the status bar last (by creation order, the details came first)."""
        order_focus_chain(
            self,
            [self.notice, self.add_bar, self.filter_bar, self.table, self.details],
            last=[self.statusBar()],
        )

    def add_panel(
        self, widget: QWidget, title: str, shortcut: str, icon: QIcon | None = None
    ) -> QDockWidget:
        """A dock under the table, hidden until asked for; its toggle goes on the toolbar and
        in View."""
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_"))
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        toggle = dock.toggleViewAction()
        # A letter no View item has yet ("Downloads" would share D with "Details panel").
        toggle.setText(with_free_mnemonic(f"{title} panel", self.menus.view, toggle))
        toggle.setIconText(title)
        toggle.setShortcut(QKeySequence(shortcut))
        toggle.setToolTip(f"Show or hide {title.lower()} ({shortcut})")
        if icon is not None:
            toggle.setIcon(icon)
        self.toolbar.addSeparator()
        self.toolbar.addAction(toggle)
        self.menus.view.insertAction(self.menus.panels_at, toggle)
        self.addAction(toggle)
        self.order_tabs()
        return dock

    # -- drops and lifecycle ---------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.adder.add_mime_in_background(event.mimeData()):
            event.acceptProposedAction()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._hold_place:  # shown as restored: from now on a crossing of the line counts
            self._hold_place = False
            self._was_narrow = self.width() < NARROW
        if not self._shown:
            self._shown = True
            self.shown_first_time.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close():
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        super().closeEvent(event)
        self.closed.emit()

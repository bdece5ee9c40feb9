"""File › New job: the action in menu and toolbar, and files dropped that are not lists of ids."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot
from test_new_job_dialog import TOOLS

from jobmonitor.ui.new_job import NewJobController, is_id_list
from jobmonitor.ui.new_job_dialog import NewJobDialog, NewJobRequest

ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


_KEEP: list[QMimeData] = []  # a QDropEvent does not own its data: keep it alive for the test


def drop_of(paths: list[Path]) -> QDropEvent:
    data = QMimeData()
    _KEEP.append(data)
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        QEvent.Type.Drop,
    )
    event.setAccepted(False)
    return event


class Adder:
    def __init__(self) -> None:
        self.files: list[list[Path]] = []

    def add_files_in_background(self, paths: list[Path]) -> None:
        self.files.append(list(paths))


def window_with_controller(qtbot: QtBot) -> tuple[QMainWindow, NewJobController]:
    window = QMainWindow()
    qtbot.addWidget(window)
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction("Add ids from file…")
    toolbar = window.addToolBar("main")
    toolbar.addAction("Check now")
    window.adder = Adder()  # type: ignore[attr-defined]
    controller = NewJobController(window, lambda: TOOLS, file_menu=file_menu, toolbar=toolbar)
    return window, controller


def test_is_id_list(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"job_id\n{ID}\n")
    answers = tmp_path / "answers.json"
    answers.write_text(f'[{{"status": "accepted", "job_id": "{ID}"}}]')
    data = tmp_path / "orders.json"
    data.write_text('{"orders": [{"id": 7, "sku": "A-1"}]}')
    assert is_id_list(ids) and is_id_list(answers)
    assert not is_id_list(data)
    assert is_id_list(tmp_path / "missing.txt")  # unreadable: the import reports it


def test_the_action_is_first_in_file_and_toolbar_and_submits(qtbot: QtBot, tmp_path: Path) -> None:
    window, controller = window_with_controller(qtbot)
    action = controller.action
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert window.menuBar().actions()[0].menu().actions()[0] is action  # type: ignore[union-attr]
    assert window.findChildren(type(window.addToolBar("x")))[0].actions()[0] is action

    def fill(dialog: NewJobDialog) -> bool:
        dialog.add_paths([tmp_path / "orders.json"])
        assert dialog.picker.select("json-formatter-api")
        return True

    controller.run_dialog = fill
    with qtbot.waitSignal(controller.submit_requested) as submitted:
        action.trigger()
    assert submitted.args == [
        NewJobRequest((tmp_path / "orders.json",), (), "json-formatter-api", {})
    ]
    controller.run_dialog = lambda _dialog: False  # cancelled
    with qtbot.assertNotEmitted(controller.submit_requested):
        action.trigger()


def test_dropped_inputs_open_new_job_and_id_lists_are_imported(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window, controller = window_with_controller(qtbot)
    ids = tmp_path / "ids.csv"
    ids.write_text(f"{ID}\n")
    data = tmp_path / "orders.json"
    data.write_text('{"a": 1}')
    seen: list[list[str]] = []

    def look(dialog: NewJobDialog) -> bool:
        seen.append([dialog.inputs.item(i).text() for i in range(dialog.inputs.count())])
        return False

    controller.run_dialog = look
    only_ids = drop_of([ids])
    assert not controller.eventFilter(window, only_ids)  # the window imports it, as before
    assert seen == []
    mixed = drop_of([ids, data])
    assert controller.eventFilter(window, mixed) and mixed.isAccepted()
    assert window.adder.files == [[ids]]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: len(seen) == 1)  # opened once the drop has returned
    assert seen[0][0].startswith("orders.json")

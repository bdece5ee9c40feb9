"""The failure shown in its input: the caret drawn under the named character, and the actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication, QTextCursor
from pytestqt.qtbot import QtBot

from jobmonitor.core.watchlist.excerpt import excerpt_from_bytes, reading_for
from jobmonitor.core.watchlist.input_check import InputLook, fingerprint
from jobmonitor.ui.excerpt_view import ExcerptView
from jobmonitor.ui.input_excerpt import CHANGED, InputExcerpt, InputLoader


def caret_x_and_char_x(view: ExcerptView) -> tuple[int, int, str]:
    """Where the ``^`` is drawn, where the named character is drawn, and that character."""
    spot = view.caret_cursor()
    assert spot is not None and view.caret_block is not None
    caret_block = view.document().findBlockByNumber(view.caret_block)
    assert caret_block.text().endswith("^")
    caret = QTextCursor(caret_block)
    caret.setPosition(caret_block.position() + len(caret_block.text()) - 1)
    named = view.document().characterAt(spot.position())
    return view.cursorRect(caret).x(), view.cursorRect(spot).x(), named


@pytest.mark.parametrize(
    "data",
    [
        b'{\n\t"a": 1,\n\t\t"b":\tx\n}',
        b'{\r\n  "a": 1,\r\n  "b": x\r\n}\r\n',
        '\ufeff{\n\t"é": 1,\n\t"ü": x}'.encode("utf-16-le"),
        b'\xef\xbb\xbf{"a": x}',
        b'{"k": "' + b"v" * 10_000 + b'", "z": x}',
    ],
    ids=["tabs", "crlf", "utf16-bom", "utf8-bom", "long"],
)
def test_caret_is_drawn_under_the_character_json_named(qtbot: QtBot, data: bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(data)
    err = caught.value
    view = ExcerptView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    view.show_excerpt(
        excerpt_from_bytes(data, err.lineno, err.colno, reading=reading_for("INVALID_JSON"))
    )
    caret_x, char_x, named = caret_x_and_char_x(view)
    assert named == "x" == err.doc[err.pos]
    assert caret_x == char_x
    assert 0 <= char_x < view.viewport().width()  # scrolled into view, even on the long line


def test_gutter_numbers_accessible_text_and_selection(qtbot: QtBot) -> None:
    view = ExcerptView()
    qtbot.addWidget(view)
    view.show_excerpt(excerpt_from_bytes(b"a\nb\nc\n\tbad x\ne\n", 4, 6))
    assert view.numbers == ["1", "2", "3", "4", "", "5"]  # no number beside the caret line
    assert view.failing_block == 3 and view.caret_block == 4
    assert view.accessibleName() == "line 4, column 6: \tbad x"
    assert "lines 1 to 5" in view.accessibleDescription()
    flags = view.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard
    assert view.isReadOnly()
    view.selectAll()
    view.copy()
    assert QGuiApplication.clipboard().text().splitlines()[3:5] == ["    bad x", "        ^"]
    assert view.gutter_width() > view.fontMetrics().horizontalAdvance("5")


def test_section_shows_change_notice_and_copies_location(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "in put.json"
    path.write_bytes(b'{\n  "a": x\n}\n')
    section = InputExcerpt()
    qtbot.addWidget(section)
    excerpt = excerpt_from_bytes(path.read_bytes(), 2, 8)
    section.show_look(InputLook(path, excerpt, changed=False))
    assert section.notice.isHidden() and section.problem.isHidden()
    assert "UTF-8" in section.where.text()
    with qtbot.waitSignal(section.message) as said:
        section.copy_button.click()
    assert QGuiApplication.clipboard().text() == f"{path}:2:8"
    assert said.args == [f"Copied {path}:2:8"]

    section.show_look(InputLook(path, excerpt, changed=True))
    assert not section.notice.isHidden() and section.notice.text() == CHANGED

    opened: list[QUrl] = []
    section.open_url = lambda url: opened.append(url) or True
    section.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(path))]


def test_section_without_input_offers_to_attach(qtbot: QtBot, tmp_path: Path) -> None:
    section = InputExcerpt()
    qtbot.addWidget(section)
    section.show_missing()
    assert section.view.isHidden() and section.copy_button.isHidden()
    assert "Attach" in section.problem.text()
    section.choose_file = lambda: str(tmp_path / "data.yaml")
    with qtbot.waitSignal(section.attach_requested) as attached:
        section.attach_button.click()
    assert attached.args == [tmp_path / "data.yaml"]
    section.choose_file = lambda: ""  # cancelled: nothing attached
    with qtbot.assertNotEmitted(section.attach_requested):
        section.attach_button.click()


def test_section_says_when_the_file_is_gone(qtbot: QtBot, tmp_path: Path) -> None:
    section = InputExcerpt()
    qtbot.addWidget(section)
    section.show_look(
        InputLook(tmp_path / "gone.csv", error=f"{tmp_path / 'gone.csv'} is no longer there")
    )
    assert section.view.isHidden() and not section.problem.isHidden()
    assert section.problem.text().endswith("is no longer there.")
    assert section.open_button.isHidden()


def test_loader_reads_on_a_worker_and_remembers_until_the_file_changes(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b'{"a": x}')
    recorded = fingerprint(path)
    loader = InputLoader()
    try:
        with qtbot.waitSignal(loader.loaded) as got:
            key, now = loader.request(path, 1, 7, "INVALID_JSON", recorded)
        assert now is None and got.args[0] == key
        look = got.args[1]
        assert look.changed is False and look.excerpt.failing.text == '{"a": x}'
        again_key, again = loader.request(path, 1, 7, "INVALID_JSON", recorded)
        assert again_key == key and again is look  # from memory: the file did not change

        path.write_bytes(b'{"a":  x}')  # edited after it was submitted
        with qtbot.waitSignal(loader.loaded) as got:
            _key, now = loader.request(path, 1, 7, "INVALID_JSON", recorded)
        assert now is None and got.args[1].changed is True

        path.unlink()
        with qtbot.waitSignal(loader.loaded) as got:
            loader.request(path, 1, 7, "INVALID_JSON", recorded)
        assert got.args[1].error == f"{path} is no longer there"
    finally:
        loader.close()

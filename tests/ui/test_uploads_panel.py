"""The Uploads panel: the account's uploads with size and a countdown to expiry, and Delete."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pytestqt.qtbot import QtBot

from jobmonitor.ui.uploads_panel import UploadsPanel, expiry_text


@dataclass(frozen=True)
class Up:
    upload_id: str
    filename: str
    status: str
    file_size: int | None
    expires_at: float | None


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (None, "—"),
        (-1, "expired"),
        (0, "expired"),
        (245, "in 4:05"),
        (7800, "in 2 h 10 min"),
        (3 * 86400 + 5, "in 3 d"),
    ],
)
def test_expiry_text(left: float | None, text: str) -> None:
    assert expiry_text(None if left is None else 1000 + left, 1000) == text


def test_rows_countdown_and_delete(qtbot: QtBot) -> None:
    now = [1000.0]
    panel = UploadsPanel(clock=lambda: now[0])
    qtbot.addWidget(panel)
    panel.show()
    panel.show_uploads(
        [
            Up("upl_1", "orders.json", "pending", 2048, 1300.0),
            Up("upl_2", "people.csv", "completed", None, None),
        ]
    )
    table = panel.table
    assert [table.item(0, c).text() for c in range(5)] == [
        "orders.json",
        "pending",
        "2.0 KiB",
        "in 5:00",
        "upl_1",
    ]
    assert table.item(1, 2).text() == "—" and panel.note.text() == "2 uploads."
    now[0] = 1299.0
    qtbot.waitUntil(lambda: table.item(0, 3).text() == "in 0:01", timeout=3000)
    table.selectRow(1)
    with qtbot.waitSignal(panel.delete_requested) as deleted:
        panel.delete_button.click()
    assert deleted.args == [["upl_2"]]
    with qtbot.waitSignal(panel.refresh_requested):
        panel.refresh_button.click()
    panel.show_uploads([])
    assert panel.note.text() == "No uploads." and table.rowCount() == 0

"""The request budget remembered per base URL in the settings file: round trip, age, bad values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from jobmonitor.core.settings import BudgetMemory, Settings

URL = "https://api.example.test"
DAY = 24 * 3600.0


def _settings(path: Path) -> Settings:
    return Settings(qsettings=QSettings(str(path), QSettings.Format.IniFormat))


def test_remembered_per_base_url_for_a_day(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    first = _settings(path)
    assert first.budget_memory(URL, 1000.0, DAY) == BudgetMemory()
    first.set_budget_memory(URL, BudgetMemory(120, 480), 1000.0)
    first.set_budget_memory("http://127.0.0.1:9", BudgetMemory(None, 1080), 1000.0)
    provisional = BudgetMemory(300, 480, tentative=True, kind="bucket")
    first.set_budget_memory("http://127.0.0.2:9", provisional, 1000.0)
    first.sync()
    again = _settings(path)
    assert again.budget_memory(URL, 1000.0 + 3600, DAY) == BudgetMemory(120, 480)
    assert again.budget_memory(URL + "/", 1000.0, DAY) == (120, 480, False, "sliding")
    assert again.budget_memory("http://127.0.0.1:9", 1000.0, DAY) == BudgetMemory(None, 1080)
    assert again.budget_memory("http://127.0.0.2:9", 1000.0, DAY) == provisional
    assert again.budget_memory(URL, 1000.0 + DAY, DAY) == BudgetMemory()  # too old
    assert again.budget_memory(URL, 900.0, DAY) == BudgetMemory()  # a clock jump
    text = path.read_text(encoding="utf-8")
    assert "[limits]" in text and "120 480 1000 0 sliding" in text  # never a key


def test_a_hand_edited_value_is_ignored(tmp_path: Path) -> None:
    first = _settings(tmp_path / "s.ini")
    first.set_budget_memory(URL, BudgetMemory(120, 480), 1000.0)
    first.sync()
    text = (tmp_path / "s.ini").read_text(encoding="utf-8")
    # A file each: Qt caches what it read of a file by its size and modification time.
    values = (
        "120 480 1000",  # as saved before provisional limits and kinds were kept
        "120 480 1000 0 sliding",
        "lots",
        "120 480",
        "120 480 1000 7",
        "1e3 480 1000",
        "120 480 1000 2 sliding",
        "120 480 1000 1 leaky",
    )
    for n, value in enumerate(values):
        path = tmp_path / f"edited-{n}.ini"
        path.write_text(text.replace("120 480 1000 0 sliding", value), encoding="utf-8")
        expected = BudgetMemory(120, 480) if n < 2 else BudgetMemory()
        assert _settings(path).budget_memory(URL, 1000.0, DAY) == expected, value

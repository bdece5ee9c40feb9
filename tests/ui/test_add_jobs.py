"""Adding ids: what is added, what is rejected and why, files (good, unreadable, too big)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from pytestqt.qtbot import QtBot
from uihelpers import IDS, collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import add_jobs, paste_text
from jobmonitor.ui.add_jobs import AddJobsBar, JobAdder


@pytest.fixture
def adder(tmp_path: Path) -> Iterator[JobAdder]:
    store = JobStore(tmp_path / "jobs.db")
    yield JobAdder(WatchList(store))
    store.close()


def test_report_says_what_was_added_skipped_and_rejected(adder: JobAdder) -> None:
    adder.add_text(IDS[0])
    broken = IDS[1][:-1]  # a UUID a digit short
    report = adder.add_text(
        f"{IDS[0]}, {{{IDS[1].upper()}}}\n{IDS[1]} nope {broken}\nab\u0663d\n{{job-12\njob-12345"
    )
    # Lines of their own are explicit ids (PROVIDER.md): job-12345 is one, {job-12 and ab٣d are
    # refused with a reason; among other tokens a plain word ("nope") is no id either.
    assert report.added == (IDS[1], "job-12345")
    assert report.parsed.duplicates == 2
    assert [r.text for r in report.parsed.rejected] == ["nope", broken, "ab\u0663d", "{job-12"]
    text = report.summary()
    assert text.startswith("Added 2 jobs, 2 duplicates skipped, 4 rejected.")
    assert f"Rejected '{broken}': job id must be 32 hex digits" in text
    assert "non-ASCII" in text


def test_long_rejection_lists_are_cut(adder: JobAdder) -> None:
    report = adder.add_text("\n".join(f"bad\u00e9{i}" for i in range(9)))
    assert "\n… and 4 more rejected\n" in report.summary()
    assert not report.added and "No new jobs added" in report.summary()


def test_files_unreadable_and_too_big_are_rejected_with_reasons(
    adder: JobAdder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "ids.txt"
    good.write_text("\ufeff" + "\n".join(IDS[:3]), encoding="utf-8")
    big = tmp_path / "big.csv"
    big.write_text(IDS[3] * 10, encoding="utf-8")
    monkeypatch.setattr(paste_text, "MAX_IMPORT_BYTES", 150)
    report = adder.add_files([good, tmp_path / "missing.txt", big])
    assert report.added == tuple(IDS[:3])
    reasons = {r.text: r.reason for r in report.parsed.rejected}
    assert reasons["missing.txt"].startswith("cannot read")
    assert reasons["big.csv"].startswith("file larger than")
    assert report.source == "ids.txt"


def test_bar_adds_on_enter_and_keeps_rejected_text(qtbot: QtBot, adder: JobAdder) -> None:
    bar = AddJobsBar(adder)
    qtbot.addWidget(bar)
    bar.show()
    bar.edit.setPlainText(f"{IDS[4]}\nwr\u00f6ng-id")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert bar.edit.toPlainText() == "wr\u00f6ng-id"
    assert bar.feedback.isVisible() and bar.feedback.text().startswith("⚠ Added 1 job")
    assert "wr\u00f6ng-id" in bar.feedback.toolTip()
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.edit.toPlainText().count("\n") == 1  # Shift+Enter starts a new line


def test_success_goes_away_by_itself_and_rejections_stay_until_fixed(
    qtbot: QtBot, adder: JobAdder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(add_jobs, "SUCCESS_SHOWN_MS", 50)
    bar = AddJobsBar(adder)
    qtbot.addWidget(bar)
    bar.show()
    bar.edit.setPlainText(IDS[6])
    bar.submit()
    assert bar.feedback.isVisible() and bar.feedback.text() == "✔ Added 1 job."
    qtbot.waitUntil(lambda: not bar.feedback.isVisible(), timeout=2000)

    bar.edit.setPlainText("12345!")
    bar.submit()
    assert "Job ids look like 123e4567-" in bar.feedback.text()  # what a good one looks like
    assert bar.feedback.isVisible()
    assert not bar.fade_timer.isActive()  # a rejection does not go away by itself
    bar.edit.clear()  # given up on (or fixed and added): the complaint goes
    assert not bar.feedback.isVisible()


def test_dropped_urls_read_the_files(adder: JobAdder, tmp_path: Path) -> None:
    path = tmp_path / "list.log"
    path.write_text(f"2024-01-01 job {IDS[5]} done\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    report = adder.add_mime(mime)
    assert report is not None and report.added == (IDS[5],)
    assert adder.add_mime(QMimeData()) is None

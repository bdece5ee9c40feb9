"""Pasting a log excerpt or a message yields the ids in it; a list of tokens reports each bad one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from uihelpers import IDS, collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.api.ids import find_job_ids
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.add_jobs import AddJobsBar, JobAdder, is_free_text

LOG = f"""\
2026-12-01 20:42:09 INFO  submit: accepted job_id={IDS[0]} tool=json-formatter
2026-12-01 20:42:10 INFO  poll: job {IDS[1].upper()} is processing (attempt 2)
2026-12-01 20:42:11 WARN  retry request_id=req-77 upload_id=upl_9 for "job-id": "{IDS[2]}"
2026-12-01 20:42:12 INFO  again job_id={IDS[0]}
"""


@pytest.fixture
def adder(tmp_path: Path) -> Iterator[JobAdder]:
    store = JobStore(tmp_path / "jobs.db")
    yield JobAdder(WatchList(store))
    store.close()


def test_ids_are_found_in_free_text_in_order_each_once() -> None:
    assert find_job_ids(LOG) == [IDS[0], IDS[1].upper(), IDS[2]]
    assert find_job_ids('{"job_id": "job-12345-abcde", "id": "x_1"}') == ["job-12345-abcde", "x_1"]
    # a UUID inside a longer word is not one; request_id and upload_id are no job ids
    assert find_job_ids(f"x{IDS[3]} {IDS[3]}y") == []
    assert find_job_ids(f"upload_id={IDS[4]}") == [IDS[4]]  # the UUID itself is still an id
    assert find_job_ids("upload_id=upl_9 request_id=req-1") == []


def test_prose_and_lists_are_told_apart() -> None:
    assert is_free_text(LOG)
    assert is_free_text(f"submitted job {IDS[0]} for alice")
    assert is_free_text("Error: nothing to see here.")
    assert not is_free_text(f"{IDS[0]}, {IDS[1]}\n{IDS[2]} nope 1234")  # a list with typos
    assert not is_free_text("bad1 bad2 bad3")


def test_a_log_excerpt_adds_the_ids_in_it_and_rejects_no_words(adder: JobAdder) -> None:
    report = adder.add_text(LOG)
    assert report.added == (IDS[0], IDS[1], IDS[2])
    # a log names a job again and again: that is no duplicate the user pasted
    assert report.parsed.rejected == () and report.parsed.duplicates == 0
    assert report.ok and report.summary() == "Added 3 jobs."
    again = adder.add_text(LOG)
    assert again.added == () and again.parsed.duplicates == 3 and again.ok


def test_a_named_id_that_is_malformed_is_reported(adder: JobAdder) -> None:
    broken = IDS[6][:-1]  # a UUID a digit short (12-34 is an id of the provider's other kind)
    report = adder.add_text(f"ok job_id={IDS[5]}; bad job_id={broken} done.")
    assert report.added == (IDS[5],)
    assert [r.text for r in report.parsed.rejected] == [broken]


def test_prose_without_ids_says_so_and_stays_in_the_field(qtbot: QtBot, adder: JobAdder) -> None:
    bar = AddJobsBar(adder)
    qtbot.addWidget(bar)
    bar.show()
    bar.edit.setPlainText("The job failed again: see the log.")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert bar.edit.toPlainText() == "The job failed again: see the log."
    assert bar.feedback.text().startswith("⚠ No job ids found in the text.")
    bar.edit.setPlainText(LOG)
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert bar.edit.toPlainText() == ""  # every id taken: nothing left to fix
    assert bar.feedback.text() == "✔ Added 3 jobs."


def test_a_long_paste_is_looked_through_in_blocks_of_whole_lines() -> None:
    from jobmonitor.ui import paste_text

    ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(6_000)]
    column = "\n".join(ids)
    blocks = list(paste_text._line_blocks(column))
    assert len(blocks) > 2 and "".join(blocks) == column
    assert all(b.endswith("\n") for b in blocks[:-1])  # no id cut in two
    assert not is_free_text(column)
    late = column + "\nsubmitted job_id=" + ids[0] + " for alice"  # prose past the first blocks
    assert is_free_text(late)

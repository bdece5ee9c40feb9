"""A huge paste, drop or stdin (issue 12, item 7): read up to a cap with a message, lines split a
slice at a time, tokens checked without an exception each, rejections kept to a bound (the rest
counted), and the window's parse on a worker while its event loop keeps turning."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QTimer, QUrl
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.api import ids
from jobmonitor.api.ids import ParsedIds, RejectedId, parse_job_ids
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import add_jobs, paste_text
from jobmonitor.ui.add_jobs import FIELD_PASTE_CHARS, AddJobsBar, AddReport, JobAdder


def uuids(n: int, start: int = 1) -> list[str]:
    return [str(uuid.UUID(int=i)) for i in range(start, start + n)]


def test_text_past_the_cap_is_counted_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "MAX_TEXT_CHARS", 100_000)
    good = uuids(4000)
    text = "\n".join(good)  # 147,999 characters, 37 a line
    read = 100_000 // 37 * 37  # cut after the last whole line within the cap
    for parsed in (parse_job_ids(text), paste_text.parse_pasted(text, frozenset())[0]):
        assert parsed.unread == len(text) - read
        assert parsed.ids == tuple(good[: read // 37])  # every id read is whole
        assert not parsed.rejected


def test_rejections_are_kept_to_a_bound_and_counted_past_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ids, "MAX_REJECTED", 10)
    bad = "\n".join(f"bad\u00e9{n}" for n in range(5_000))  # explicit ids (a line each), refused
    parsed = parse_job_ids(bad + "\n" + uuids(1, 7)[0])
    assert len(parsed.rejected) == 10 and parsed.rejected_count == 5_000
    assert parsed.rejected[0] == RejectedId("bad\u00e90", "job id contains non-ASCII characters")
    assert parsed.ids == tuple(uuids(1, 7))


def test_no_exception_is_raised_per_refused_token(monkeypatch: pytest.MonkeyPatch) -> None:
    class Raised(Exception):
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("an InvalidJobId was made for a pasted token")

    monkeypatch.setattr(ids, "InvalidJobId", Raised)
    text = "\n".join([*(f"no/{n}" for n in range(2_000)), *uuids(3)])
    parsed = parse_job_ids(text)
    assert parsed.rejected_count == 2_000 and parsed.ids == tuple(uuids(3))
    assert "has other characters" in parsed.rejected[0].reason


def test_lines_are_split_a_slice_at_a_time_and_mean_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A header row's id column and a line's several cells still count in later slices."""
    monkeypatch.setattr(ids, "SLICE_CHARS", 100)
    rows = [f"{job},job-{n}x,{n}" for n, job in enumerate(uuids(50))]
    parsed = parse_job_ids("name,job_id,count\n" + "\n".join(rows))
    # the id column's cells, and a UUID in another column (still an id), row by row
    assert parsed.ids == tuple(i for n, job in enumerate(uuids(50)) for i in (job, f"job-{n}x"))
    assert not parsed.rejected
    pieces = list(ids._slices("a\n" * 200 + "b" * 300 + "\nc"))
    assert "".join(pieces) == "a\n" * 200 + "b" * 300 + "\nc"
    assert all(p.endswith("\n") for p in pieces[:-1]) and len(pieces) > 4
    assert max(len(p) for p in pieces) == 301  # the one long line is one piece, not cut


def test_a_long_line_is_walked_one_cell_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "SLICE_CHARS", 1_000)
    job = uuids(1, 42)[0]
    line = "x " * 20_000 + job + " y" * 20_000  # one 80 KB line, no line break
    parsed = parse_job_ids(line)
    assert parsed.ids == (job,) and parsed.rejected_count == 40_000
    assert len(parsed.rejected) == ids.MAX_REJECTED


def test_the_report_says_what_was_not_read_and_counts_every_rejection() -> None:
    parsed = ParsedIds((), (RejectedId("bad", "why"),), 0, more_rejected=1_041, unread=5_000)
    report = AddReport(("x",), parsed, "pasted text")
    text = report.summary()
    assert "1,042 rejected" in text and "… and 1,037 more rejected" in text
    assert "Only the first 8 M characters were read; the 5,000 after them were not" in text
    assert not report.ok


@pytest.fixture
def watchlist(tmp_path: Path) -> Iterator[WatchList]:
    store = JobStore(tmp_path / "jobs.db")
    pool = ThreadPoolExecutor(max_workers=1)
    yield WatchList(store, executor=pool)
    pool.shutdown(wait=True)
    store.close()


def hold_parse(monkeypatch: pytest.MonkeyPatch, module: object) -> tuple[threading.Event, list]:
    """``parse_pasted`` made to wait until the test's loop has turned: if the parse ran on the
    GUI thread, the loop could not turn and the wait would time out."""
    release = threading.Event()
    threads: list[threading.Thread] = []
    real = paste_text.parse_pasted

    def held(text: str, known: frozenset[str]) -> tuple[ParsedIds, bool]:
        threads.append(threading.current_thread())
        assert release.wait(20), "the event loop did not turn while the text was parsed"
        return real(text, known)

    monkeypatch.setattr(module, "parse_pasted", held)
    return release, threads


def test_a_huge_paste_skips_the_field_and_is_parsed_while_the_loop_turns(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, threads = hold_parse(monkeypatch, add_jobs)
    adder = JobAdder(watchlist)
    bar = AddJobsBar(adder)
    qtbot.addWidget(bar)
    jobs = uuids(FIELD_PASTE_CHARS // 37 + 100)
    mime = QMimeData()
    mime.setText("\n".join(jobs))
    with qtbot.waitSignal(adder.reported, timeout=30_000) as blocker:
        bar.edit.insertFromMimeData(mime)  # what Ctrl+V does
        QTimer.singleShot(0, release.set)  # runs only if the loop turns during the parse
    report = blocker.args[0]
    assert threads and threads[0] is not threading.main_thread()
    assert bar.edit.toPlainText() == ""  # never laid out in the two-line field
    assert report.added == tuple(jobs) and report.source == "pasted text"
    qtbot.waitUntil(lambda: watchlist.idle)


def test_a_drop_of_a_file_is_read_and_parsed_off_the_loop(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    release, threads = hold_parse(monkeypatch, paste_text)
    adder = JobAdder(watchlist)
    listed = tmp_path / "ids.txt"
    listed.write_text("\n".join(uuids(3)) + "\nbad\u00e9\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(listed))])
    with qtbot.waitSignal(adder.reported, timeout=30_000) as blocker:
        assert adder.add_mime_in_background(mime)
        QTimer.singleShot(0, release.set)
    report = blocker.args[0]
    assert threads and threads[0] is not threading.main_thread()
    assert report.added == tuple(uuids(3)) and report.source == "ids.txt"
    assert [r.text for r in report.parsed.rejected] == ["bad\u00e9"]
    qtbot.waitUntil(lambda: watchlist.idle)


def test_watch_refuses_more_stdin_than_the_cap_with_a_message() -> None:
    line = uuids(1)[0] + "\n"
    data = line * (ids.MAX_TEXT_CHARS // len(line) + 1000)
    run = subprocess.run(
        [sys.executable, "-m", "jobmonitor", "watch", "--base-url", "http://127.0.0.1:9", "-"],
        input=data,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JOBMONITOR_API_KEY": "k"},
        check=False,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert "more than 8 M characters of job ids on stdin" in run.stderr
    assert "Traceback" not in run.stderr


def test_watch_counts_every_bad_id_it_refuses() -> None:
    data = "".join(f"bad\u00e9{n}\n" for n in range(3_000))
    run = subprocess.run(
        [sys.executable, "-m", "jobmonitor", "watch", "--base-url", "http://127.0.0.1:9", "-"],
        input=data,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JOBMONITOR_API_KEY": "k"},
        check=False,
    )
    assert run.returncode == 2
    assert "invalid job id 'badé0': job id contains non-ASCII characters (and 2,999 more)" in (
        run.stderr
    )

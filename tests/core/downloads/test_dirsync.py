"""A folder's fsync after a rename is shared by the renames made while one runs (a group
commit), and never covers a rename made after it began."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jobmonitor.core.downloads import dirsync, partfile


def test_renames_waiting_for_a_running_folder_sync_share_the_next_one(tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[int] = []  # for each fsync: how many renames had asked when it began
    group = dirsync._GroupSync()

    def slow_fsync(_folder: Path) -> None:
        calls.append(group._asked)
        if len(calls) == 1:
            assert release.wait(10)

    threads = [threading.Thread(target=group.sync, args=(tmp_path, slow_fsync)) for _ in range(8)]
    threads[0].start()
    for _ in range(2000):  # until the first sync runs
        if calls:
            break
        threading.Event().wait(0.005)
    for thread in threads[1:]:
        thread.start()
    for _ in range(2000):  # until the seven others have asked (and wait)
        if group._asked == 8:
            break
        threading.Event().wait(0.005)
    assert [t.is_alive() for t in threads] == [True] * 8  # none returned on the running sync
    release.set()
    for thread in threads:
        thread.join(10)
    assert calls == [1, 8]  # one for the first rename, one shared by the seven after it


def test_a_published_file_syncs_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(partfile, "fsync_dir", synced.append)
    _name, path = partfile.save_whole(tmp_path, "r.bin", b"data", partfile.open_part_file)
    assert path.read_bytes() == b"data" and synced == [tmp_path.resolve()]

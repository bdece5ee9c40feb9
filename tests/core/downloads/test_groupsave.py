"""The quick lane's saver (groupsave.py): a group of written files synced at once, each renamed
only after its sync, one fsync per folder after the renames; a refused or cancelled file never
appears under its final name."""

from __future__ import annotations

import errno
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobmonitor.core.downloads import groupsave, partfile
from jobmonitor.core.downloads.groupsave import GroupSaver, Written, save_group
from jobmonitor.core.downloads.partfile import OsPartFile, PartFile


@dataclass
class Owner:
    cancelled: bool = False


class Journal:
    """What happened, in order: syncs of the filesystem, of each file, of the folder, with the
    folder's names at that moment."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.events: list[tuple[str, str, frozenset[str]]] = []

    def note(self, what: str, name: str = "") -> None:
        self.events.append((what, name, frozenset(os.listdir(self.folder))))

    def syncfs(self, fd: int) -> None:
        assert stat.S_ISDIR(os.fstat(fd).st_mode)  # the folder's descriptor: its filesystem
        self.note("syncfs")

    def kinds(self) -> list[str]:
        return [what for what, _, _ in self.events]


class RecordingPart(OsPartFile):
    def __init__(self, fd: int, journal: Journal, name: str, fail: bool) -> None:
        super().__init__(fd)
        self._journal, self._name, self._fail = journal, name, fail

    def sync(self) -> None:
        self._journal.note("fsync", self._name)
        if self._fail:
            raise OSError(errno.EIO, "Input/output error")
        super().sync()


def written(journal: Journal, name: str, data: bytes, *, fail: bool = False, **owner: bool):
    def opener(path: Path, *, create: bool, offset: int) -> PartFile:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        return RecordingPart(fd, journal, path.name[: -len(".part")], fail)

    name, part = partfile.write_whole(journal.folder, name, data, opener)
    return Written(Owner(**owner), journal.folder, name, part, len(data))


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Journal:
    folder = tmp_path / "files"
    folder.mkdir()
    journal = Journal(folder)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            journal.note("folder fsync")
        real_fsync(fd)

    monkeypatch.setattr(groupsave.os, "fsync", fsync)
    return journal


def test_a_group_is_synced_once_and_renamed_only_after_its_sync(journal: Journal) -> None:
    group = [written(journal, f"r{i}.bin", bytes([i]) * 1000) for i in range(5)]
    assert sorted(os.listdir(journal.folder)) == [f"r{i}.bin.part" for i in range(5)]
    filed = save_group(group, journal.syncfs)
    assert journal.kinds() == ["syncfs"] + ["fsync"] * 5 + ["folder fsync"]
    for what, name, present in journal.events[:-1]:  # no final name before every sync is done
        assert not any(not n.endswith(".part") for n in present), (what, name, present)
    assert journal.events[-1][2] == {f"r{i}.bin" for i in range(5)}  # the folder, after renames
    for i, outcome in enumerate(filed):
        assert outcome.error is None and outcome.path == journal.folder / f"r{i}.bin"
        assert outcome.path.read_bytes() == bytes([i]) * 1000


def test_without_syncfs_each_file_is_fsynced_and_the_folder_once(journal: Journal) -> None:
    group = [written(journal, f"r{i}.bin", b"x" * 10) for i in range(3)]
    save_group(group, None)
    assert journal.kinds() == ["fsync"] * 3 + ["folder fsync"]
    assert sorted(os.listdir(journal.folder)) == ["r0.bin", "r1.bin", "r2.bin"]


def test_a_file_the_disk_refuses_is_never_under_its_final_name(journal: Journal) -> None:
    group = [
        written(journal, "good.bin", b"g" * 10),
        written(journal, "bad.bin", b"b" * 10, fail=True),
    ]
    filed = {f.written.name: f for f in save_group(group, journal.syncfs)}
    assert filed["bad.bin"].path is None and filed["bad.bin"].error is not None
    assert filed["bad.bin"].error.errno == errno.EIO
    assert filed["good.bin"].path is not None
    assert sorted(os.listdir(journal.folder)) == ["good.bin"]  # and no .part left


def test_a_cancelled_file_is_discarded_without_a_sync(journal: Journal) -> None:
    group = [written(journal, "kept.bin", b"k"), written(journal, "gone.bin", b"g", cancelled=True)]
    filed = {f.written.name: f for f in save_group(group, journal.syncfs)}
    assert filed["gone.bin"].path is None and filed["gone.bin"].error is None
    assert [name for what, name, _ in journal.events if what == "fsync"] == ["kept.bin"]
    assert os.listdir(journal.folder) == ["kept.bin"]


def test_files_written_while_a_group_syncs_are_the_next_group(journal: Journal) -> None:
    """The saver takes every file waiting: five files added while the first group's sync runs
    are saved by one more sync, not five."""
    first_sync = threading.Event()
    go_on = threading.Event()
    groups: list[list[str]] = []
    done = threading.Event()

    def syncfs(fd: int) -> None:
        first_sync.set()
        assert go_on.wait(10)

    def finished(filed: list[groupsave.Filed]) -> None:
        groups.append(sorted(f.written.name for f in filed))
        if sum(map(len, groups)) == 6:
            done.set()

    saver = GroupSaver(finished, syncfs=syncfs)
    saver.add(written(journal, "first.bin", b"1"))
    assert first_sync.wait(10)
    for i in range(5):
        saver.add(written(journal, f"r{i}.bin", b"x"))
    assert saver.waiting == 5
    go_on.set()
    assert done.wait(10)
    assert groups == [["first.bin"], [f"r{i}.bin" for i in range(5)]]
    assert saver.groups == 2


def test_a_worker_waits_while_the_saver_is_full(journal: Journal) -> None:
    go_on = threading.Event()
    saver = GroupSaver(lambda filed: None, syncfs=lambda fd: go_on.wait(10), max_waiting=1)
    saver.add(written(journal, "a.bin", b"a"))  # taken by the saver, which blocks in its sync
    saver.add(written(journal, "b.bin", b"b"))  # waiting: the one place
    late = written(journal, "c.bin", b"c")
    added = threading.Event()
    worker = threading.Thread(target=lambda: (saver.add(late), added.set()))
    worker.start()
    assert not added.wait(0.2)  # held back while the saver is full (no timing asserted)
    go_on.set()
    assert added.wait(10)
    worker.join(10)

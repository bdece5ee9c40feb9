"""The files a download keeps on disk: ``NAME.part`` (the bytes so far), ``NAME.part.json``
(what is needed to resume it later), and the final no-overwrite rename.

The functions are blocking file I/O: downloads call them in their lane (``writer.py``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from jobmonitor.core.downloads.filenames import PART_SUFFIX, candidates, inside, taken, within

META_SUFFIX = ".json"
WRITEBACK_STEP = 32 * 1024 * 1024
WRITE_SLICE = 1024 * 1024  # the most one os.write hands the kernel (see OsPartFile)
_FADVISE = hasattr(os, "posix_fadvise")  # Linux and BSDs; elsewhere the final fsync does it all
_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", 4)  # 4 on Linux; used only where _FADVISE
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # never write through a symlink planted in the folder
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class PartFile(Protocol):
    """An open ``.part`` file. Implementations raise OSError (ENOSPC, EACCES...) as the OS does."""

    def write(self, data: bytes | memoryview) -> None:
        """Write all of ``data`` (or raise)."""
        ...

    def sync(self) -> None: ...
    def close(self) -> None: ...


class OsPartFile:
    """A ``.part`` file written with plain ``os.write`` (no Python-level buffer to lose).

    Every ``WRITEBACK_STEP`` bytes it asks the kernel to start writing the new pages out, and
    drops the pages of the steps before, which are written back by then
    (``posix_fadvise(DONTNEED)`` does both). The disk works while the network does, so the final
    fsync has little left to wait for (on a 1 GiB file it went from a quarter of a second to a
    few milliseconds), and the page cache reuses a few recently freed pages instead of taking
    fresh memory for every step. On a VM that matters most: memory that has sat free for a few
    seconds has most likely been handed back to the host and is slow to get again, and big
    writes want it in big pieces (Linux sizes page-cache folios after the write). On the 2-vCPU
    test VM, writing 1 GiB in 256 KiB pieces took 1.0-1.8 s when only the newest step was
    dropped, 0.30-0.37 s with the older steps dropped too, and 1 MiB pieces 0.25-0.31 s
    (tests/benchmarks/bench_download.py measures the whole download).

    Each ``os.write`` gets at most ``WRITE_SLICE`` bytes: every call has to take the GIL back
    from the event loop's thread afterwards, so fewer calls leave the network side more time
    (32 KiB pieces: 0.69 s of writer wall time for 0.36 s of CPU on a 1 GiB download; 1 MiB
    pieces: 0.41-0.48 s for 0.30 s).
    """

    def __init__(self, fd: int, offset: int = 0) -> None:
        self._fd = fd
        self._position = offset
        self._flushed = offset  # writeback requested up to here

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view[:WRITE_SLICE])
            self._position += written
            view = view[written:]
        if _FADVISE and self._position - self._flushed >= WRITEBACK_STEP:
            with contextlib.suppress(OSError):  # only advice: never a reason to fail
                # The new step: start its writeback. The steps before: written back by now,
                # so their pages leave the cache and are reused for the next writes.
                os.posix_fadvise(self._fd, self._flushed, self._position - self._flushed, _DONTNEED)
                os.posix_fadvise(self._fd, 0, self._flushed, _DONTNEED)
            self._flushed = self._position

    def sync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def open_part_file(path: Path, *, create: bool, offset: int) -> PartFile:
    """Open ``path`` for writing at ``offset``.

    ``create``: make a new file, failing if the name exists (this is what reserves the name).
    Otherwise open the existing file and cut it to ``offset`` bytes (0 = start over).
    """
    flags = os.O_WRONLY | _NOFOLLOW | _BINARY
    if create:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
    else:
        fd = os.open(path, flags)
        try:
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
        except OSError:
            os.close(fd)
            raise
    return OsPartFile(fd, offset)


class PartOpener(Protocol):
    """``open_part_file``'s signature; tests pass one that fails like a full disk."""

    def __call__(self, path: Path, *, create: bool, offset: int) -> PartFile: ...


@dataclass(slots=True)
class PartMeta:
    """What a later run needs to resume ``name + ".part"``: whose it is and the server's validators."""

    job_id: str
    name: str
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None

    @classmethod
    def from_json(cls, text: str) -> PartMeta | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        job_id, name = data.get("job_id"), data.get("name")
        if not isinstance(job_id, str) or not isinstance(name, str):
            return None
        total = data.get("total")
        etag, modified = data.get("etag"), data.get("last_modified")
        return cls(
            job_id=job_id,
            name=name,
            etag=etag if isinstance(etag, str) else None,
            last_modified=modified if isinstance(modified, str) else None,
            total=total if isinstance(total, int) and total >= 0 else None,
        )


def part_path(folder: Path, name: str) -> Path:
    return inside(folder, name + PART_SUFFIX)


def meta_path(folder: Path, name: str) -> Path:
    return inside(folder, name + PART_SUFFIX + META_SUFFIX)


def save_meta(folder: Path, meta: PartMeta) -> None:
    meta_path(folder, meta.name).write_text(json.dumps(asdict(meta)), encoding="utf-8")


def find_meta(folder: Path, job_id: str) -> PartMeta | None:
    """The resume record of ``job_id``'s unfinished download in ``folder``, if its .part is there."""
    # scandir and endswith, not glob: Download all of 1,000 files into one folder looks here
    # once per file, over a folder that grows to 1,000 entries (glob's pattern match per entry
    # cost about a fifth more, on the disk threads that share the GIL with the event loop).
    suffix = PART_SUFFIX + META_SUFFIX
    try:
        with os.scandir(folder) as listing:
            entries = [folder / e.name for e in listing if e.name.endswith(suffix)]
    except OSError:
        return None
    for entry in sorted(entries):
        try:
            meta = PartMeta.from_json(entry.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if meta is None or meta.job_id != job_id:
            continue
        try:
            if meta_path(folder, meta.name) == entry and part_path(folder, meta.name).is_file():
                return meta
        except ValueError:  # a hand-edited record pointing outside the folder
            continue
    return None


def record_owners(folder: Path) -> frozenset[str]:
    """The job ids of every resume record in ``folder`` (one scan, for a whole batch)."""
    suffix = PART_SUFFIX + META_SUFFIX
    try:
        with os.scandir(folder) as listing:
            entries = [e.path for e in listing if e.name.endswith(suffix)]
    except OSError:
        return frozenset()
    owners = set()
    for entry in entries:
        try:
            with open(entry, encoding="utf-8") as record:
                meta = PartMeta.from_json(record.read())
        except (OSError, UnicodeDecodeError):
            continue
        if meta is not None:
            owners.add(meta.job_id)
    return frozenset(owners)


def part_size(folder: Path, name: str) -> int:
    try:
        return part_path(folder, name).stat().st_size
    except FileNotFoundError:
        return 0


def discard(folder: Path, name: str) -> None:
    """Remove a download's .part and its resume record (after a cancel)."""
    for path in (part_path(folder, name), meta_path(folder, name)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def reserve_part(
    folder: Path, name: str, opener: PartOpener, *, resolved: Path | None = None
) -> tuple[str, PartFile]:
    """Create ``NAME.part`` for the first free ``NAME``, ``NAME (1)``... (exclusive create).

    ``resolved``: the folder, made and resolved by the caller already (the quick lane does it
    once per folder, not per file: a resolve is a system call per path component)."""
    if resolved is None:
        folder.mkdir(parents=True, exist_ok=True)
        resolved = folder.resolve()
    for candidate in candidates(name):
        if taken(resolved, candidate):
            continue
        try:
            path = within(resolved, candidate + PART_SUFFIX)
            return candidate, opener(path, create=True, offset=0)
        except FileExistsError:  # another download took it between the check and the create
            continue
    raise FileExistsError(errno.EEXIST, f"no free name like {name!r}", str(folder))


def publish(folder: Path, name: str, *, sync_folder: bool = True, resolved: bool = False) -> Path:
    """Rename ``NAME.part`` to ``NAME`` (or ``NAME (1)``... if taken meanwhile); never overwrite.

    POSIX ``rename`` replaces an existing target, so a hard link (which fails on an existing
    name) plus an unlink is used; Windows ``rename`` already refuses an existing target.
    ``sync_folder`` false: the caller fsyncs the folder once for a group of renames.
    ``resolved``: ``folder`` is resolved already. A taken name fails the link (or the rename)
    itself, so it is not looked up first.
    """
    folder = folder if resolved else folder.resolve()
    source = within(folder, name + PART_SUFFIX)
    for candidate in candidates(name):
        target = within(folder, candidate)
        try:
            if os.name == "nt":
                os.rename(source, target)
            else:
                _link_then_unlink(source, target)
        except FileExistsError:
            continue
        if sync_folder:  # a group's saver (groupsave.py) has no record, and syncs once
            with contextlib.suppress(FileNotFoundError):
                within(folder, name + PART_SUFFIX + META_SUFFIX).unlink()
            fsync_dir(folder)
        return target
    raise FileExistsError(errno.EEXIST, f"no free name like {name!r}", str(folder))


def _link_then_unlink(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        # Filesystems without hard links (FAT, some network shares): check, then rename.
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(source, target)
        return
    os.unlink(source)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def open_for_download(
    folder: Path,
    meta: PartMeta,
    *,
    owns_part: bool,
    create: bool,
    offset: int,
    opener: PartOpener,
) -> PartFile:
    """Open a download's ``.part`` and record ``meta`` beside it, as one step for the disk.

    A fresh download (``owns_part`` false, or its own .part deleted meanwhile) reserves a name
    no file or .part has (exclusive create): never another download's .part, nor a file of the
    user's that ends in .part; ``meta.name`` is then the name it got.
    """
    path = part_path(folder, meta.name)
    if owns_part and create and not path.exists():
        owns_part = False  # its own .part was deleted meanwhile: reserve a name again
    if owns_part:
        part = opener(path, create=False, offset=0 if create else offset)
    else:
        meta.name, part = reserve_part(folder, meta.name, opener)
    try:
        save_meta(folder, meta)
    except BaseException:
        part.close()
        raise
    return part


def save_whole(
    folder: Path, name: str, data: bytes | memoryview, opener: PartOpener
) -> tuple[str, Path]:
    """Save a whole small file at once: ``NAME.part`` reserved, written, fsynced, renamed.

    No resume record: a .part this short-lived holds nothing worth resuming, and one that
    cannot be written whole is removed. Returns the name reserved and the final path.
    """
    name, part = reserve_part(folder, name, opener)
    try:
        try:
            part.write(data)
            part.sync()
        finally:
            part.close()
    except BaseException:
        with contextlib.suppress(OSError):
            part_path(folder, name).unlink()
        raise
    return name, publish(folder, name)


def write_whole(
    folder: Path,
    name: str,
    data: bytes | memoryview,
    opener: PartOpener,
    *,
    resolved: Path | None = None,
) -> tuple[str, PartFile]:
    """``NAME.part`` reserved and written whole, still open and not yet synced: the quick lane's
    saver (``groupsave.py``) syncs a group of them at once, then renames each. Returns the name
    reserved (the first free one of ``candidates``) and the open file; ``resolved`` as for
    ``reserve_part``."""
    name, part = reserve_part(folder, name, opener, resolved=resolved)
    try:
        part.write(data)
    except BaseException:
        part.close()
        with contextlib.suppress(OSError):
            part_path(folder, name).unlink()
        raise
    return name, part

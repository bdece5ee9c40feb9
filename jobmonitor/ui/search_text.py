"""What a search looks in, per row of the jobs table: the id, the label and the error code.

Kept beside the model's rows so that a keystroke's filter is a few passes in C over 100,000
strings (``str.__contains__`` mapped over them) instead of a Python call per job. A job with no
label and no error code (most of a long list) is searched in its id itself: no string of its
own, 8 bytes a row for the list. Built on the first search, then kept in step with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, repeat
from operator import contains

from jobmonitor.core.watchlist.records import WatchedJob


def haystack(job: WatchedJob) -> str:
    """The id (ids are lower-case already), label and error code, case-folded; a search word
    holds no white space, so one never matches across two of them."""
    if not job.label and not job.error_code:
        return job.job_id
    return f"{job.job_id}\n{job.label.casefold()}\n{(job.error_code or '').casefold()}"


def rows_with(words: Sequence[str], hays: Sequence[str], rows: Sequence[int]) -> list[int]:
    """The ``rows`` (in their order) whose haystack contains every one of ``words``."""
    kept = list(rows)
    for word in words:
        found = map(contains, map(hays.__getitem__, kept), repeat(word))
        kept = list(compress(kept, found))
    return kept


def narrows(new: Sequence[str], old: Sequence[str]) -> bool:
    """Whether every row matching ``new`` matches ``old`` too (each old word is inside a new
    one: "f" then "ff"), so the new result can be picked out of the old one."""
    return bool(old) and all(any(o in n for n in new) for o in old)


class Haystacks:
    """The model's per-row haystacks, or None until a search asks for them."""

    def __init__(self) -> None:
        self._hays: list[str] | None = None

    def of(self, jobs: Sequence[WatchedJob]) -> list[str]:
        """The live list for ``jobs`` (the model's rows), built now if it is not there."""
        if self._hays is None or len(self._hays) != len(jobs):
            self._hays = list(map(haystack, jobs))
        return self._hays

    def inserted(self, at: int, jobs: Sequence[WatchedJob]) -> None:
        if self._hays is not None:
            self._hays[at:at] = map(haystack, jobs)

    def removed(self, first: int, last: int) -> None:
        if self._hays is not None:
            del self._hays[first : last + 1]

    def changed(self, row: int, job: WatchedJob) -> None:
        if self._hays is not None:
            self._hays[row] = haystack(job)

    def reset(self) -> None:
        self._hays = None  # built again at the next search (a Delete of 50,000 need not)

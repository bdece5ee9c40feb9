"""What a paste, a drop or an imported file holds: a list of ids or free text, parsed with
bounds (no Qt here, so the window's worker thread and the benchmarks run it as is).

Only the first ``MAX_TEXT_CHARS`` of a text are read (``ParsedIds.unread`` counts the rest)
and a file larger than ``MAX_IMPORT_BYTES`` is refused by its size, never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from jobmonitor.api.errors import InvalidJobId
from jobmonitor.api.ids import (
    MAX_REJECTED,
    JobId,
    ParsedIds,
    RejectedId,
    capped,
    find_job_ids,
    has_id_pairs,
    normalize_job_id,
    parse_job_ids,
)

MAX_IMPORT_BYTES = 32 * 1024 * 1024  # far beyond any real list of ids

# Signs of prose rather than a list of ids: punctuation no id or list separator uses, and words.
_PROSE_MARK = re.compile(r"[:=()\[\]<>/\\.!?#@$%^&*+~]")
_TOKEN = re.compile(r"[^\s,;|\"'`]+")
# A token of two or more ASCII letters and nothing else (braces aside): a word, not an id.
_WORD = re.compile(r"(?<![^\s,;|\"'`{}])[A-Za-z]{2,}(?![^\s,;|\"'`{}])")


def _line_blocks(text: str, size: int = 65_536) -> Iterator[str]:
    """Whole lines, about ``size`` characters at a time (a token never spans two lines)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def is_free_text(text: str) -> bool:
    """A log excerpt or a message, as opposed to a list of ids (one per line or cell, or
    separated by spaces or commas, where every token is meant as an id). Whole-text scans
    that count without listing: a paste of 100,000 ids is asked this, on the parsing thread,
    a block of lines at a time: a scan that finds nothing is one C call over all the text,
    and it held the GIL, so the window, 0.1 s."""
    blocks = list(_line_blocks(text))
    if any(has_id_pairs(b) or _PROSE_MARK.search(b) for b in blocks):
        return True
    words = sum(1 for b in blocks for _ in _WORD.finditer(b))
    if words < 2:
        return False
    tokens = sum(1 for b in blocks for _ in _TOKEN.finditer(b))
    # "submitted job <id> for alice" is prose; "<id> <id> nope" is a list with a typo in it.
    return words >= tokens - words


def parse_pasted(text: str, known: frozenset[str] | set[str]) -> tuple[ParsedIds, bool]:
    """The ids in pasted text, and whether it was free text: there only the ids found are taken
    (UUIDs and ``job_id=…`` pairs) and other words are not reported as rejected ids."""
    text, unread = capped(text)
    if not is_free_text(text):
        return replace(parse_job_ids(text, known=known), unread=unread), False
    ids: list[JobId] = []
    seen: set[str] = set()
    rejected: list[RejectedId] = []
    more = duplicates = 0
    for raw in find_job_ids(text):
        try:
            job_id = normalize_job_id(raw)
        except InvalidJobId as exc:  # named as an id (job_id=…), so worth saying why not
            if len(rejected) < MAX_REJECTED:
                rejected.append(RejectedId(raw[:200], exc.reason))
            else:
                more += 1
            continue
        if job_id in known or job_id in seen:
            duplicates += 1
        else:
            seen.add(job_id)
            ids.append(job_id)
    return ParsedIds(tuple(ids), tuple(rejected), duplicates, more, unread), True


@dataclass(frozen=True, slots=True)
class Pasted:
    """One text parsed: its ids, whether it was free text, and where it came from."""

    parsed: ParsedIds
    free_text: bool
    source: str


def read_id_files(paths: Iterable[Path]) -> tuple[str, str, tuple[RejectedId, ...]]:
    """The files' texts joined, their names (the source), and a rejection for each file that
    is too large or cannot be read."""
    texts: list[str] = []
    names: list[str] = []
    problems: list[RejectedId] = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                reason = f"file larger than {MAX_IMPORT_BYTES >> 20} MB"
                problems.append(RejectedId(path.name, reason))
                continue
            texts.append(path.read_text(encoding="utf-8-sig", errors="replace"))
            names.append(path.name)
        except OSError as exc:
            problems.append(RejectedId(path.name, f"cannot read: {exc.strerror or exc}"))
    return "\n".join(texts), ", ".join(names) or "no readable file", tuple(problems)


def parse_files(paths: Iterable[Path], known: frozenset[str] | set[str]) -> Pasted:
    """Read and parse id files (on a worker thread in the window); a file's problem comes first
    among the rejections."""
    text, source, problems = read_id_files(paths)
    parsed, free = parse_pasted(text, known)
    del text
    if problems:
        parsed = replace(parsed, rejected=problems + parsed.rejected)
    return Pasted(parsed, free, source)

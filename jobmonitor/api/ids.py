"""Job-id validation and normalisation, lists of ids, and ids mentioned in free text.

PROVIDER.md's rule: a UUID (8-4-4-4-12 hex, braces and case forgiven) is stored lower-case; any
other id of 1 to 128 characters of ``A-Z a-z 0-9 _ -`` is kept exactly as given when it comes
from an explicit source (a submission's answer, a ``job_id`` field, a line of its own, a header
row's id column, the command line). Anything with other characters is refused before any
request. An id shaped like a UUID with a slip in it (a digit too many, a misplaced hyphen, a
``g``) is refused as a broken UUID rather than taken for an id of another kind. In a line of
several tokens, a plain word is no id (``nope``) while ``job-12345`` is. Free text (a log
excerpt) goes through ``find_job_ids`` instead: its UUIDs and ``job_id=`` pairs only.

What is read is bounded (issue 12: a 50 MB paste held the window for a minute at 3.3 GB): the
text up to ``MAX_TEXT_CHARS`` (the rest is counted, not read), walked a slice of lines at a time,
each token checked without raising, and ``MAX_REJECTED`` rejections kept with their reason (the
rest only counted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from jobmonitor.api.errors import InvalidJobId

# ASCII only on purpose: \d and [0-9a-f] with re.ASCII never match other scripts' digits.
_JOB_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_OTHER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}", re.ASCII)
# Separators people paste between ids: whitespace, commas, semicolons, pipes, quotes.
_SPLIT_RE = re.compile(r"[\s,;|\"'`]+")
_SEPARATORS = str.maketrans(dict.fromkeys(",;|\"'`", " "))  # the non-space ones of _SPLIT_RE
_CELL_RE = re.compile(r"[^\s,;|\"'`]+")  # one cell between those separators
# A paste, a dropped text or stdin is read this far (a file import is also capped at 32 MB by
# size): 8 M characters hold over 200,000 ids, far beyond a real list.
MAX_TEXT_CHARS = 8 * 1024 * 1024
MAX_REJECTED = 1000  # rejected tokens kept with their reason; the rest are only counted
SLICE_CHARS = 64 * 1024  # lines are split this much text at a time, never all at once
_HEADER_WORDS = frozenset({"id", "job", "jobid", "job_id", "job-id", "ids", "job_ids"})
_HEADER_LEN = max(map(len, _HEADER_WORDS))
_DIGIT = re.compile(r"\d")  # as str.isdigit and str.isalpha would say, without a loop in Python
_LETTER = re.compile(r"[^\W\d_]")
ID_HELP = (
    "a job id is a UUID (a1b2c3d4-e5f6-7890-abcd-ef1234567890) or 1 to 128 letters, digits, "
    "_ and - (job-12345-abcde)"
)


def _uuid_attempt(text: str) -> bool:
    separators = text.count("-") + text.count("_")
    letters = len(text) - separators
    if separators == 4 and 30 <= letters <= 34:
        return True
    return separators == 0 and len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def _uuid_reason(lowered: str) -> str:
    if len(lowered.replace("-", "").replace("_", "")) != 32:
        return "job id must be 32 hex digits in 8-4-4-4-12 groups"
    if any(c not in "0123456789abcdef-" for c in lowered):
        return "job id may contain only hex digits 0-9, a-f and hyphens"
    return "hyphens must separate groups of 8-4-4-4-12 hex digits"


class JobId(str):
    """A job id that has been validated and normalised (by ``normalize_job_id``, its only maker).

    Code further in (the scheduler's queue, the API client) takes a ``JobId`` as it is and
    normalises only a plain ``str``: an id is normalised once, where it enters.
    """

    __slots__ = ()


def normalize_job_id(raw: str) -> JobId:
    """The canonical form of a job id: a UUID trimmed, brace-free and lower-case; another id of
    the allowed characters exactly as given (trimmed).

    Raises InvalidJobId with a reason a person can act on; nothing is sent for a bad id.
    """
    if isinstance(raw, JobId):
        return raw
    checked = _check(raw)
    if isinstance(checked, JobId):
        return checked
    raise InvalidJobId(checked, job_id=raw)


def _check(raw: str) -> JobId | str:
    """``normalize_job_id`` without the exception: the id, or why it is none (a paste of a
    million bad tokens must not raise a million times)."""
    text = raw.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if not text:
        return "job id is empty"
    if not text.isascii():
        return "job id contains non-ASCII characters"
    lowered = text.lower()
    if _JOB_ID_RE.fullmatch(lowered) is not None:
        return JobId(lowered)
    if _uuid_attempt(lowered):
        return f"{_uuid_reason(lowered)} (got {text[:60]!r})"
    if _OTHER_ID_RE.fullmatch(text) is None:
        what = "longer than 128 characters" if len(text) > 128 else "has other characters"
        return f"{text[:60]!r} {what}: {ID_HELP}"
    return JobId(text)


def is_uuid(job_id: str) -> bool:
    return _JOB_ID_RE.fullmatch(job_id) is not None


def is_canonical_job_id(text: str) -> bool:
    """Whether ``text`` is already a job id as ``normalize_job_id`` returns it."""
    if _JOB_ID_RE.fullmatch(text) is not None:
        return True
    return _OTHER_ID_RE.fullmatch(text) is not None and not _uuid_attempt(text.lower())


@dataclass(frozen=True, slots=True)
class RejectedId:
    """A token from pasted text that is not a job id, and why."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedIds:
    """The outcome of splitting pasted text: valid ids in order, duplicates dropped."""

    ids: tuple[JobId, ...]
    rejected: tuple[RejectedId, ...]  # at most MAX_REJECTED, each with its reason
    duplicates: int
    more_rejected: int = 0  # rejected beyond MAX_REJECTED: counted, not kept
    unread: int = 0  # characters past MAX_TEXT_CHARS: not read

    @property
    def rejected_count(self) -> int:
        return len(self.rejected) + self.more_rejected


def capped(text: str) -> tuple[str, int]:
    """``text`` up to ``MAX_TEXT_CHARS``, cut after a line end (so no id is cut in two), and
    how many characters after that are left unread."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, 0
    end = text.rfind("\n", 0, MAX_TEXT_CHARS)
    cut = end + 1 if end > 0 else MAX_TEXT_CHARS
    return text[:cut], len(text) - cut


def _slices(text: str) -> Iterator[str]:
    """``text`` in pieces of about ``SLICE_CHARS``, each ending at a line end (a line longer
    than that is one piece), so the lines of a big paste are never all listed at once."""
    start, size = 0, len(text)
    while start < size:
        stop = start + SLICE_CHARS
        if stop < size:
            end = text.rfind("\n", start, stop)
            if end < 0:
                end = text.find("\n", stop)
            stop = size if end < 0 else end + 1
        yield text[start:stop]
        start = stop


class _Rejections:
    """The rejected tokens kept (the first ``MAX_REJECTED``, cut to 200 characters) and a count
    of the rest."""

    def __init__(self) -> None:
        self.kept: list[RejectedId] = []
        self.more = 0

    def add(self, token: str, reason: str) -> None:
        if len(self.kept) < MAX_REJECTED:
            self.kept.append(RejectedId(token[:200], reason))
        else:
            self.more += 1


def _json_ids(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "job_id" and isinstance(item, str):
                yield item
            else:
                yield from _json_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_ids(item)


def _candidates(text: str) -> Iterator[tuple[str, str | None]]:
    """(token, why it is no id or None): JSON's ``job_id`` fields, then the tokens of each line
    (split by white space, tabs, commas, semicolons, pipes and quotes)."""
    stripped = text.strip()
    if stripped[:1] in "[{" and stripped[-1:] in "]}":
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict | list):
            for job_id in _json_ids(data):
                yield job_id, None
            return
    column: int | None = None
    lines = (line for piece in _slices(text) for line in piece.splitlines())
    for number, line in enumerate(lines):
        cells, several = _cells(line)
        if number == 0 and several and isinstance(cells, list):
            heads = [i for i, c in enumerate(cells) if c.lower() in _HEADER_WORDS]
            if heads:  # a header row names the id column: its cells are the explicit ids
                column = heads[0]
                continue
        for index, cell in enumerate(cells):
            if len(cell) <= _HEADER_LEN and cell.lower() in _HEADER_WORDS:
                continue
            if column is not None and index != column:
                if _JOB_ID_RE.fullmatch(cell.lower()) is not None:
                    yield cell, None  # a UUID in another column is still an id
                continue
            alone = not several or index == column
            yield cell, None if alone or _looks_issued(cell) else _NOT_ISSUED


def _cells(line: str) -> tuple[Iterable[str], bool]:
    """The cells of a line, and whether there are several. A short line is split into a list;
    a long one (a megabyte without a line break) is walked one cell at a time."""
    if len(line) <= SLICE_CHARS:
        cells = [c for c in _SPLIT_RE.split(line) if c]
        return cells, len(cells) > 1
    walk = (m.group() for m in _CELL_RE.finditer(line))
    first = list(islice(walk, 2))
    return chain(first, walk), len(first) > 1


_NOT_ISSUED = f"not a job id among the others: {ID_HELP}"


def _looks_issued(token: str) -> bool:
    """A UUID, a broken one, or letters with digits (job-12345): what an issued id looks like,
    in a line of several tokens (a word there is a typo or a name, not an id)."""
    if len(token) >= 30:  # long enough for a UUID or a broken one (checked only then: a
        lowered = token.lower()  # paste may hold millions of short tokens)
        if _JOB_ID_RE.fullmatch(lowered) is not None or _uuid_attempt(lowered):
            return True
    return _DIGIT.search(token) is not None and _LETTER.search(token) is not None


def parse_job_ids(text: str, *, known: frozenset[str] | set[str] = frozenset()) -> ParsedIds:
    """Find job ids in text pasted from a spreadsheet, a list, JSON or a log excerpt.

    Tokens are split by white space, commas, semicolons, pipes and quotes; each is checked and
    refused with a reason when it is no id (see the module doc for which tokens are explicit).
    Ids already in ``known`` or repeated in the text count as duplicates. Only the first
    ``MAX_TEXT_CHARS`` are read (``unread`` counts the rest).
    """
    text, unread = capped(text)
    fast = _canonical_column(text, known, unread)
    if fast is not None:
        return fast
    ids: list[JobId] = []
    seen: set[str] = set()
    rejected = _Rejections()
    duplicates = 0
    for token, refused in _candidates(text):
        if refused is not None and _OTHER_ID_RE.fullmatch(token) is not None:
            rejected.add(token, refused)
            continue
        if _JOB_ID_RE.fullmatch(token) is not None:  # already canonical: most pasted ids are
            job_id = JobId(token)
        else:
            checked = _check(token)
            if not isinstance(checked, JobId):
                rejected.add(token, checked)
                continue
            job_id = checked
        if job_id in seen or job_id in known:
            duplicates += 1
            continue
        seen.add(job_id)
        ids.append(job_id)
    return ParsedIds(tuple(ids), tuple(rejected.kept), duplicates, rejected.more, unread)


def _canonical_column(text: str, known: frozenset[str] | set[str], unread: int) -> ParsedIds | None:
    """A column of UUIDs as the API writes them, parsed the fast way a slice at a time; None as
    soon as a slice holds anything else (then the careful way decides)."""
    unique: dict[str, None] = {}
    count = 0
    for piece in _slices(text):
        tokens = piece.translate(_SEPARATORS).split()
        if tokens and not _all_canonical(tokens):
            return None
        unique.update(dict.fromkeys(tokens))
        count += len(tokens)
    if not count:
        return None
    fresh = [j for j in unique if j not in known] if known else list(unique)
    ids: list[JobId] = []
    for start in range(0, len(fresh), 8_192):  # one C call over 100,000 held the GIL 30-100 ms
        ids.extend(map(JobId, fresh[start : start + 8_192]))
    return ParsedIds(tuple(ids), (), count - len(fresh), unread=unread)


def _all_canonical(tokens: list[str]) -> bool:
    """Whether every token is a canonical UUID, checked with a few passes of C over all of them
    (a regex per token costs 1-3 µs each: most of the time to parse 100,000 pasted ids)."""
    if not tokens or set(map(len, tokens)) != {36}:
        return False
    joined = "".join(tokens)
    n = len(tokens)
    if any(joined[i::36] != "-" * n for i in (8, 13, 18, 23)):
        return False
    digits = joined.replace("-", "")  # with the hyphens above: exactly four in each token
    if len(digits) != 32 * n or digits != digits.lower():
        return False
    try:
        bytes.fromhex(digits)  # hex digits only (no white space can be left after split())
    except ValueError:
        return False
    return True


# -- ids mentioned in free text (a log excerpt, a message) ------------------------------------
# Kept apart from the strict parser above: it finds, it does not validate (each id found still
# goes through normalize_job_id).
_NOT_ID_CHAR = r"(?<![A-Za-z0-9_-])"
_UUID_IN_TEXT = re.compile(
    _NOT_ID_CHAR + r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})\}?(?![A-Za-z0-9_-])",
    re.ASCII,
)
# job_id=…, job-id: …, "job_id": "…", id=… (request_id, upload_id and the like are not job ids).
_ID_PAIR = re.compile(
    _NOT_ID_CHAR + r"""(?:job[_-]?id|id)["']?\s*[:=]\s*["']?\{?([A-Za-z0-9_-]{1,128})""",
    re.ASCII | re.IGNORECASE,
)


def find_job_ids(text: str) -> list[str]:
    """The job ids a free text mentions, in order, each once: every UUID, and the value of every
    ``job_id`` / ``job-id`` / ``id`` key-value pair; other words are no ids and are not reported."""
    found: dict[int, str] = {}
    for match in _ID_PAIR.finditer(text):
        found[match.start(1)] = match.group(1)
    for match in _UUID_IN_TEXT.finditer(text):
        found.setdefault(match.start(1), match.group(1))
    seen: set[str] = set()
    ids: list[str] = []
    for _, raw in sorted(found.items()):
        key = raw.lower() if _JOB_ID_RE.fullmatch(raw.lower()) else raw
        if key not in seen:
            seen.add(key)
            ids.append(raw)
    return ids


def has_id_pairs(text: str) -> bool:
    """Whether the text names an id by key (``job_id=…``): then it is prose, not a list."""
    return _ID_PAIR.search(text) is not None

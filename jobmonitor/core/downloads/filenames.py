"""Safe local file names for downloaded results: from a URL path or a Content-Disposition header.

Whatever a server sends, the name that comes out is one plain file name: no directory parts, no
control or bidi-override characters, no leading dots, no Windows device names (CON, NUL, COM1...),
no characters Windows refuses, at most 255 bytes. ``available_name`` adds a `` (1)`` style suffix
so an existing file is never overwritten, and ``inside`` checks a path stays in its folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_STEM = "result"
MAX_NAME_BYTES = 255
PART_SUFFIX = ".part"
# Room kept for " (9999)" and ".part" so a suffixed name still fits in MAX_NAME_BYTES.
_RESERVE_BYTES = len(" (9999)") + len(PART_SUFFIX) + len(".json")

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
_FORBIDDEN_CHARS = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)')


def sanitize_filename(raw: str | None, *, fallback: str = DEFAULT_STEM) -> str:
    """One safe file name from untrusted text (``fallback``, made safe, when nothing is left)."""
    return _clean(raw or "") or _clean(fallback) or DEFAULT_STEM


def _clean(raw: str) -> str:
    """The safe form of ``raw``, or "" when nothing usable is left."""
    name = unicodedata.normalize("NFC", raw)
    # Only the last path component counts, whichever separator the server used.
    name = re.split(r"[/\\]", name)[-1]
    # Control characters (Cc) and format characters (Cf: bidi overrides such as U+202E that
    # make "txt.exe" look like "exe.txt", zero-width joiners) are dropped.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = _FORBIDDEN_CHARS.sub("_", name)
    name = _SPACES.sub(" ", name).strip()
    # Leading dots would hide the file (or make it "." / ".."); trailing dots and spaces are
    # silently dropped by Windows, which would change the name behind our back.
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return ""
    stem = name.split(".", 1)[0].rstrip(" ")
    if stem.upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return _truncate(name, MAX_NAME_BYTES - _RESERVE_BYTES)


def _truncate(name: str, limit: int) -> str:
    """Cut a name to ``limit`` UTF-8 bytes, keeping a short extension when there is one."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
    return (cut or DEFAULT_STEM) + suffix


def name_from_url(url: str) -> str | None:
    """The last segment of a URL's path, percent-decoded; None when the path has none."""
    path = urlsplit(url).path
    segment = path.rsplit("/", 1)[-1]
    if not segment:
        return None
    return unquote(segment, errors="replace")


def name_from_content_disposition(header: str | None) -> str | None:
    """The file name a Content-Disposition header suggests (``filename*`` wins over ``filename``)."""
    if not header:
        return None
    params = _parse_params(header)
    extended = params.get("filename*")
    if extended:
        decoded = _decode_rfc5987(extended)
        if decoded:
            return decoded
    plain = params.get("filename")
    return plain or None


def _parse_params(header: str) -> dict[str, str]:
    """``attachment; filename="a;b.txt"; filename*=UTF-8''a%20b.txt`` -> lower-case keys."""
    params: dict[str, str] = {}
    pos = header.find(";")
    while 0 <= pos < len(header):
        match = _PARAM.match(header, pos)
        if match is None:
            nxt = header.find(";", pos + 1)
            pos = nxt if nxt >= 0 else len(header)
            continue
        key = match.group(1).lower()
        if match.group(3) is not None:
            value = re.sub(r"\\(.)", r"\1", match.group(3))
        else:
            value = match.group(2).strip()
        params.setdefault(key, value)
        pos = match.end()
    return params


def _decode_rfc5987(value: str) -> str | None:
    """Decode ``charset'lang'percent-encoded`` (RFC 5987 / 8187)."""
    charset, sep, rest = value.partition("'")
    if not sep:
        return None
    _lang, sep, encoded = rest.partition("'")
    if not sep:
        return None
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return unquote(encoded, encoding="latin-1")


def choose_filename(
    url: str, content_disposition: str | None = None, *, fallback: str = DEFAULT_STEM
) -> str:
    """The safe name for a download: Content-Disposition first, then the URL's last segment."""
    for candidate in (name_from_content_disposition(content_disposition), name_from_url(url)):
        name = _clean(candidate or "")
        if name:
            return name
    return sanitize_filename(fallback)


def numbered(name: str, n: int) -> str:
    """``report.csv`` -> ``report (n).csv``; ``archive.tar.gz`` -> ``archive (n).tar.gz``."""
    if n == 0:
        return name
    stem, ext = _split_ext(name)
    return f"{stem} ({n}){ext}"


def _split_ext(name: str) -> tuple[str, str]:
    lowered = name.lower()
    for double in (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"):
        if lowered.endswith(double) and len(name) > len(double):
            return name[: -len(double)], name[-len(double) :]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + ext


def candidates(name: str, limit: int = 10_000) -> Iterator[str]:
    """``name``, ``name (1)``, ``name (2)``... in the order they should be tried."""
    return (numbered(name, n) for n in range(limit))


def taken(folder: Path, name: str) -> bool:
    """A name is taken when the file, its partial download or a symlink of that name exists."""
    return os.path.lexists(folder / name) or os.path.lexists(folder / (name + PART_SUFFIX))


def available_name(folder: Path, name: str) -> str:
    """The first of ``name``, ``name (1)``, ... that is free in ``folder`` (never overwrite)."""
    for candidate in candidates(name):
        if not taken(folder, candidate):
            return candidate
    raise FileExistsError(f"no free name like {name!r} in {folder}")


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing any name that would land outside the folder.

    The name is checked as a name (no separator, not ``.`` or ``..``), never by resolving the
    path: a symlink planted at ``NAME.part`` resolves outside the folder, and that made a
    download fail with a ValueError instead of taking the next free name (``taken`` sees the
    link; the exclusive, no-follow create never writes through it)."""
    return within(folder.resolve(), name)


_SEPARATORS = frozenset({"/", "\\", "\0", os.sep} | ({os.altsep} if os.altsep else set()))


def within(resolved: Path, name: str) -> Path:
    """``inside`` for a folder resolved already: a save's several paths cost one resolve (each
    is a system call per path component, on the disk threads that share the GIL)."""
    if name in ("", ".", "..") or any(sep in name for sep in _SEPARATORS):
        raise ValueError(f"unsafe file name {name!r}")
    return resolved / name

"""The simulator's tools for structured data, done for real: JSON, YAML, XML and CSV.

Each tool is ``fn(data, options) -> Output``. A bad input raises ``ToolFailure`` with the parser's
own code, message, line and column (1-based), so what a failed job says is true of the input; a
bad option raises ``BadParameter`` (the submission is refused before a job exists).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as StdET  # building only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeET
import yaml
from defusedxml import DefusedXmlException

PREVIEW_CHARS = 2000


@dataclass(frozen=True)
class Output:
    content: bytes
    ext: str
    preview: str | None = None  # None: the start of the content
    stand_in: bool = False  # a documented stand-in, not the real conversion


class ToolFailure(Exception):
    """The job fails: the input is not what the tool can read."""

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, dict(details or {})


class BadParameter(Exception):
    """The submission is refused: an option header is missing or has a bad value."""

    def __init__(self, message: str, code: str = "INVALID_PARAMETER") -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Options:
    """The tool's ``x-*`` headers, read with the documented defaults."""

    headers: Mapping[str, str] = field(default_factory=dict)

    def raw(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value.strip() if value is not None else None

    def int(self, name: str, default: int, low: int = 0, high: int = 8) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise BadParameter(f"{name} must be a whole number from {low} to {high}")
        return int(value)

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise BadParameter(f"{name} must be true or false")

    def choice(self, name: str, default: str | None, allowed: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value is None or value == "":
            if default is None:
                raise BadParameter(f"{name} is required", "MISSING_PARAMETER")
            return default
        if value.lower() not in allowed:
            raise BadParameter(f"{name} must be one of {', '.join(allowed)}")
        return value.lower()

    def name(self, header: str, default: str) -> str:
        value = self.raw(header) or default
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", value) is None:
            raise BadParameter(f"{header} must be an XML name (letters, digits, _ . -)")
        return value


# A byte order mark names the encoding, as a server reading uploaded text would honour it (and
# as RFC 8259 lets a JSON parser do); the mark itself is not part of the text. Longest first:
# the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_of(data: bytes) -> str:
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec not in ("utf-8", "utf-8-sig"):
            raise ToolFailure(
                "INVALID_ENCODING",
                f"the input is not {codec.upper()} text: {exc.reason}",
                {"position": exc.start},
            ) from None
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ToolFailure(
            "INVALID_ENCODING",
            f"the input is not UTF-8 text: {exc.reason}",
            {"line": line, "column": column, "position": exc.start},
        ) from None


def parse_json(data: bytes) -> Any:
    try:
        return json.loads(text_of(data))
    except json.JSONDecodeError as exc:
        raise ToolFailure(
            "INVALID_JSON", exc.msg, {"line": exc.lineno, "column": exc.colno, "position": exc.pos}
        ) from None
    except RecursionError:
        raise ToolFailure("INVALID_JSON", "nesting too deep") from None


def parse_yaml(data: bytes) -> Any:
    try:
        return yaml.safe_load(text_of(data))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        details: dict[str, Any] = {}
        if mark is not None:  # PyYAML's marks are 0-based
            details = {"line": mark.line + 1, "column": mark.column + 1}
        if exc.context:
            details["context"] = exc.context
        raise ToolFailure("INVALID_YAML", message, details) from None
    except yaml.YAMLError as exc:
        raise ToolFailure("INVALID_YAML", str(exc)) from None


_POSITION_RE = re.compile(r":\s*line \d+, column \d+$")


def parse_xml(data: bytes) -> StdET.Element:
    try:
        root: StdET.Element = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        line, column = exc.position
        message = _POSITION_RE.sub("", str(exc))  # expat's column is 0-based: said once, 1-based
        raise ToolFailure("INVALID_XML", message, {"line": line, "column": column + 1}) from None
    except DefusedXmlException as exc:
        raise ToolFailure(
            "INVALID_XML", f"forbidden XML construct ({type(exc).__name__})", {"reason": str(exc)}
        ) from None
    return root


def parse_csv(data: bytes, options: Options) -> tuple[list[str] | None, list[list[str]]]:
    """(header or None, rows); ragged rows and broken quoting fail with their line."""
    text = text_of(data)
    has_header = options.bool("x-has-header", True)
    delimiter = options.raw("x-delimiter") or "auto"
    if delimiter == "auto":
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise BadParameter("x-delimiter must be one character or auto")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row:
                continue
            if rows and len(row) != len(rows[0]):
                raise ToolFailure(
                    "INVALID_CSV",
                    f"row has {len(row)} fields, the first row has {len(rows[0])}",
                    {"line": reader.line_num},
                )
            rows.append(row)
    except csv.Error as exc:
        raise ToolFailure("INVALID_CSV", str(exc), {"line": reader.line_num}) from None
    if not rows:
        raise ToolFailure("INVALID_CSV", "the input has no rows", {"line": 1})
    return (rows[0], rows[1:]) if has_header else (None, rows)


# -- shapes ------------------------------------------------------------------------------------
def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        return {prefix[:-1]: json.dumps(value, ensure_ascii=False)}
    return {prefix[:-1] or "value": value}


def table_of(value: Any, tool: str) -> tuple[list[str], list[list[str]]]:
    """Rows from data: an array of objects (or one object) flattened with dotted keys."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, dict) for i in items):
        raise ToolFailure("UNSUPPORTED_STRUCTURE", f"{tool} needs an array of objects")
    flat = [flatten(i) for i in items]
    header: list[str] = []
    for row in flat:
        header += [k for k in row if k not in header]
    return header, [["" if r.get(k) is None else _cell(r.get(k)) for k in header] for r in flat]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(header: list[str] | None, rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _xml_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name)) or "item"
    return clean if re.match(r"[A-Za-z_]", clean) else f"_{clean}"


def to_xml(value: Any, root: str, item: str = "item") -> bytes:
    def build(parent: StdET.Element, data: Any) -> None:
        if isinstance(data, dict):
            for key, child in data.items():
                if isinstance(child, list):
                    for element in child:
                        build(StdET.SubElement(parent, _xml_name(key)), element)
                else:
                    build(StdET.SubElement(parent, _xml_name(key)), child)
        elif isinstance(data, list):
            for element in data:
                build(StdET.SubElement(parent, item), element)
        elif data is not None:
            parent.text = _cell(data)

    top = StdET.Element(root)
    build(top, value)
    StdET.indent(top)
    body: bytes = StdET.tostring(top, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def from_xml(element: StdET.Element) -> Any:
    """An element as data: attributes as ``@name``, text as ``#text``, repeats as lists."""
    out: dict[str, Any] = {f"@{k}": v for k, v in element.attrib.items()}
    for child in element:
        value = from_xml(child)
        if child.tag in out:
            if not isinstance(out[child.tag], list):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    text = (element.text or "").strip()
    if not out:
        return text
    if text:
        out["#text"] = text
    return out


def dump_json(value: Any, indent: int) -> bytes:
    return json.dumps(value, indent=indent or None, ensure_ascii=False, default=str).encode()


def dump_yaml(value: Any, indent: int = 2) -> bytes:
    text: str = yaml.safe_dump(
        _plain(value), indent=max(indent, 2), sort_keys=False, allow_unicode=True
    )
    return text.encode()


def _plain(value: Any) -> Any:
    """YAML dates and other scalars as JSON-friendly values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def html_table(header: list[str] | None, rows: list[list[str]]) -> bytes:
    from html import escape

    lines = ["<table>"]
    if header is not None:
        lines.append("  <tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
    lines += ["  <tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows]
    return ("\n".join([*lines, "</table>"]) + "\n").encode()


Tool = Callable[[bytes, Options], Output]

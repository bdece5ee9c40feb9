"""The tool catalogue: ``tools.toml`` beside this module, loaded once, typed.

A tool the catalogue does not know is still submittable by its slug (``Catalogue.resolve``): it
takes any input and passes ``--opt NAME=VALUE`` through as ``x-NAME`` headers unchecked, since
the provider may add tools before this file learns of them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from jobmonitor.api.errors import InvalidInput

OPTION_TYPES = ("int", "bool", "choice", "text", "name")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}", re.ASCII)
_HEADER_RE = re.compile(r"x-[a-z0-9][a-z0-9-]{0,62}", re.ASCII)
_XML_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", re.ASCII)
_RESERVED_HEADERS = frozenset({"x-api-key", "x-source-type", "x-upload-id", "x-upload-status"})
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True, slots=True)
class ToolOption:
    """One header a tool reads."""

    header: str
    type: str
    default: str | int | bool | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False
    help: str = ""

    @property
    def name(self) -> str:
        """The option's name on the command line (``tab-space`` for ``x-tab-space``)."""
        return self.header.removeprefix("x-")

    def wire_value(self, raw: str) -> str:
        """The header value for ``raw``, checked; raises InvalidInput saying what fits."""
        value = raw.strip()
        if self.type == "int":
            low = self.minimum if self.minimum is not None else 0
            high = self.maximum if self.maximum is not None else 2**31
            if not value.isdigit() or not low <= int(value) <= high:
                raise _bad(self, f"a whole number from {low} to {high}", raw)
            return str(int(value))
        if self.type == "bool":
            if value.lower() in TRUE_WORDS:
                return "true"
            if value.lower() in FALSE_WORDS:
                return "false"
            raise _bad(self, "true or false", raw)
        if self.type == "choice":
            if value.lower() not in self.choices:
                raise _bad(self, "one of " + ", ".join(self.choices), raw)
            return value.lower()
        if self.type == "name" and _XML_NAME_RE.fullmatch(value) is None:
            raise _bad(self, "an XML name (letters, digits, _ . -, not starting with a digit)", raw)
        return _header_text(self.header, value)


def _bad(option: ToolOption, wanted: str, raw: str) -> InvalidInput:
    return InvalidInput(
        f"option {option.name} must be {wanted} (got {raw[:40]!r})", code="INVALID_OPTION"
    )


def _header_text(header: str, value: str) -> str:
    if not value.isprintable() or not value.isascii() or len(value) > 256:
        raise InvalidInput(
            f"option {header.removeprefix('x-')} must be printable ASCII text of at most 256 "
            "characters",
            code="INVALID_OPTION",
        )
    return value


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool endpoint, ``POST {base}/{slug}``."""

    slug: str
    title: str
    family: str = "Other"
    inputs: tuple[str, ...] = ()  # accepted extensions; empty: any (an unknown tool)
    output: str = ""
    options: tuple[ToolOption, ...] = ()
    binary: bool = False  # body mode sends raw bytes (Excel, images), not text
    source_type_required: bool = False
    simulator: str | None = None  # what the simulator returns instead, when a stand-in
    known: bool = True

    def option(self, name: str) -> ToolOption | None:
        key = name.strip().lower().removeprefix("x-")
        return next((o for o in self.options if o.name == key), None)

    def accepts(self, filename: str) -> bool:
        ext = filename.rpartition(".")[2].lower() if "." in filename else ""
        return not self.inputs or ext in self.inputs

    def check_input(self, filename: str) -> None:
        """Refuse a file whose extension this tool does not take (before anything is sent)."""
        if not self.accepts(filename):
            raise InvalidInput(
                f"{self.slug} takes {', '.join('.' + e for e in self.inputs)} files, not "
                f"{filename!r}",
                code="UNSUPPORTED_EXTENSION",
            )

    def headers(self, given: Mapping[str, str]) -> dict[str, str]:
        """The option headers for ``given`` (name -> value), checked against the catalogue.

        Documented defaults are the server's: only options given are sent. An unknown tool
        passes every option through as ``x-NAME``.
        """
        out: dict[str, str] = {}
        for name, value in given.items():
            option = self.option(name)
            if option is None:
                if self.known:
                    names = ", ".join(o.name for o in self.options) or "none"
                    raise InvalidInput(
                        f"{self.slug} has no option {name!r} (its options: {names})",
                        code="INVALID_OPTION",
                    )
                header = "x-" + name.strip().lower().removeprefix("x-")
                if _HEADER_RE.fullmatch(header) is None or header in _RESERVED_HEADERS:
                    raise InvalidInput(f"{name!r} is not an option name", code="INVALID_OPTION")
                out[header] = _header_text(header, value.strip())
                continue
            out[option.header] = option.wire_value(value)
        missing = [o.name for o in self.options if o.required and o.header not in out]
        if missing:
            raise InvalidInput(
                f"{self.slug} needs option {', '.join(missing)} (--opt NAME=VALUE)",
                code="MISSING_OPTION",
            )
        return out


@dataclass(frozen=True, slots=True)
class Catalogue:
    tools: tuple[Tool, ...]
    _by_slug: Mapping[str, Tool] = field(default_factory=dict, repr=False)

    def get(self, slug: str) -> Tool | None:
        return self._by_slug.get(slug.strip().lower().strip("/"))

    def resolve(self, slug: str) -> Tool:
        """The catalogue's tool, or an unknown one submittable by its slug."""
        tool = self.get(slug)
        if tool is not None:
            return tool
        clean = slug.strip().lower().strip("/")
        if _SLUG_RE.fullmatch(clean) is None:
            raise InvalidInput(
                f"{slug!r} is not a tool slug (lower-case letters, digits and -, like "
                "json-formatter-api)",
                code="UNKNOWN_TOOL",
            )
        return Tool(slug=clean, title=clean, known=False)

    def families(self) -> list[str]:
        return list(dict.fromkeys(t.family for t in self.tools))


def _option(data: Mapping[str, Any]) -> ToolOption:
    kind = str(data["type"])
    if kind not in OPTION_TYPES:
        raise ValueError(f"option {data.get('header')!r}: unknown type {kind!r}")
    return ToolOption(
        header=str(data["header"]).lower(),
        type=kind,
        default=data.get("default"),
        choices=tuple(str(c) for c in data.get("choices", ())),
        minimum=data.get("min"),
        maximum=data.get("max"),
        required=bool(data.get("required", False)),
        help=str(data.get("help", "")),
    )


def parse_catalogue(text: str) -> Catalogue:
    """A catalogue from TOML text (the format of ``tools.toml``)."""
    tools = []
    for entry in tomllib.loads(text).get("tool", []):
        tools.append(
            Tool(
                slug=str(entry["slug"]),
                title=str(entry["title"]),
                family=str(entry.get("family", "Other")),
                inputs=tuple(str(i).lower() for i in entry.get("inputs", ())),
                output=str(entry.get("output", "")),
                options=tuple(_option(o) for o in entry.get("options", ())),
                binary=bool(entry.get("binary", False)),
                source_type_required=bool(entry.get("source_type_required", False)),
                simulator=entry.get("simulator"),
            )
        )
    by_slug = {t.slug: t for t in tools}
    if len(by_slug) != len(tools):
        raise ValueError("the catalogue lists a slug twice")
    return Catalogue(tuple(tools), by_slug)


@cache
def load_catalogue() -> Catalogue:
    """The shipped catalogue, read and checked once per process."""
    return parse_catalogue(files("jobmonitor.api").joinpath("tools.toml").read_text("utf-8"))

"""The simulator's text tools: encodings and HTML entities done for real, the rest stand-ins.

Real: URL, Base64/32/85/16 and HTML entity encoding and decoding, text minify, Base64 to JSON.
Stand-ins (the catalogue says so, ``stand_in`` in the simulator column): Excel reading and
writing, image conversion, SQL, JavaScript, CSS and HTML formatting and minifying, Markdown and
HTML conversion. They check what can be checked cheaply (the file's magic bytes, required
headers), then return a labelled approximation, never a claim of the real conversion.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from jobmonitor.sim.toolwork import (
    BadParameter,
    Options,
    Output,
    Tool,
    ToolFailure,
    parse_json,
    table_of,
    text_of,
    write_csv,
)

STAND_IN = "simulator stand-in: "
IMAGE_FORMATS = ("jpg", "jpeg", "png", "gif", "webp", "base64")
_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def to_excel_stand_in(parse: Callable[[bytes], Any]) -> Tool:
    """X-to-Excel: the rows as CSV under a stand-in label (no .xlsx writer in the simulator)."""

    def run(data: bytes, o: Options) -> Output:
        value = parse(data)
        header, rows = table_of(value if isinstance(value, list) else [value], "to-excel")
        note = f"{STAND_IN}{len(rows)} rows x {len(header)} columns would fill sheet 1"
        return Output(write_csv(header, rows), "csv", note, stand_in=True)

    return run


def _excel_in(ext: str) -> Tool:
    def run(data: bytes, o: Options) -> Output:
        o.bool("x-has-header", True)
        if not (data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0")):
            raise ToolFailure("INVALID_EXCEL", "the file is not an .xlsx or .xls workbook")
        sheet = o.raw("x-sheet-name") or f"index {o.int('x-sheet-index', 0, 0, 255)}"
        note = f"{STAND_IN}workbook of {len(data)} bytes, sheet {sheet} (not read)"
        payload = {"stand_in": True, "sheet": sheet, "bytes": len(data), "rows": []}
        if ext == "json":
            return Output(json.dumps(payload, indent=2).encode(), ext, note, stand_in=True)
        return Output(f"{note}\n".encode(), ext, note, stand_in=True)

    return run


def _code_stand_in(ext: str, minify: bool) -> Tool:
    def run(data: bytes, o: Options) -> Output:
        for header in ("x-input-sql-dialect", "x-output-sql-dialect", "x-format-mode"):
            o.raw(header)  # accepted, not acted on
        text = text_of(data)
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        out = " ".join(line.strip() for line in lines) if minify else "\n".join(lines)
        label = "whitespace collapsed" if minify else "blank lines and trailing spaces removed"
        return Output((out + "\n").encode(), ext, f"{STAND_IN}{label}", stand_in=True)

    return run


def _html_to_markdown(data: bytes, o: Options) -> Output:
    text = re.sub(r"<[^>]+>", "", text_of(data))
    return Output(html.unescape(text).encode(), "md", f"{STAND_IN}tags removed", stand_in=True)


def _markdown_to_html(data: bytes, o: Options) -> Output:
    paragraphs = [p.strip() for p in text_of(data).split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return Output(body.encode(), "html", f"{STAND_IN}paragraphs only", stand_in=True)


def _image(data: bytes, o: Options) -> Output:
    source = o.choice("x-source-format", None, IMAGE_FORMATS)
    target = o.choice("x-destination-format", None, IMAGE_FORMATS)
    if source == "base64":
        data = _decode(base64.b64decode, "INVALID_BASE64")(data)
    elif source == "webp":
        if not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise ToolFailure("INVALID_IMAGE", "the file is not a WebP image")
    elif not data.startswith(_MAGIC[source]):
        raise ToolFailure("INVALID_IMAGE", f"the file is not a {source.upper()} image")
    note = f"{STAND_IN}{source} to {target}: the image bytes are returned unconverted"
    if target == "base64":
        return Output(base64.b64encode(data), "txt", note, stand_in=True)
    return Output(data, target, note, stand_in=True)


# -- real ones ---------------------------------------------------------------------------------
def _text_minify(data: bytes, o: Options) -> Output:
    return Output(re.sub(r"\s+", " ", text_of(data)).strip().encode(), "txt")


def _url_encode(data: bytes, o: Options) -> Output:
    text = text_of(data)
    out = quote(text, safe="") if o.bool("x-url-safe", True) else quote_plus(text, safe="/:")
    return Output(out.encode(), "txt")


def _url_decode(data: bytes, o: Options) -> Output:
    try:
        return Output(unquote_plus(text_of(data), errors="strict").encode(), "txt")
    except UnicodeDecodeError as exc:
        raise ToolFailure(
            "INVALID_ENCODING", f"decoded bytes are not UTF-8: {exc.reason}"
        ) from None


def _decode(fn: Callable[[bytes], bytes], code: str) -> Callable[[bytes], bytes]:
    def run(data: bytes) -> bytes:
        try:
            return fn(b"".join(data.split()))
        except (binascii.Error, ValueError) as exc:
            raise ToolFailure(code, str(exc)) from None

    return run


def _codec(
    encode: Callable[[bytes], bytes], decode: Callable[[bytes], bytes], code: str
) -> tuple[Tool, Tool]:
    def enc(data: bytes, o: Options) -> Output:
        return Output(encode(data), "txt")

    def dec(data: bytes, o: Options) -> Output:
        return Output(_decode(decode, code)(data), "txt")

    return enc, dec


def _b64_strict(data: bytes) -> bytes:
    return base64.b64decode(data, validate=True)


def _base64_to_json(data: bytes, o: Options) -> Output:
    value = parse_json(_decode(_b64_strict, "INVALID_BASE64")(data))
    return Output(json.dumps(value, indent=2, ensure_ascii=False).encode(), "json")


def _html_codec(decode: bool) -> Tool:
    def run(data: bytes, o: Options) -> Output:
        text = text_of(data)
        return Output((html.unescape(text) if decode else html.escape(text)).encode(), "txt")

    return run


TEXT_IN = ("txt", "log")
_B64 = _codec(base64.b64encode, _b64_strict, "INVALID_BASE64")
_B32 = _codec(base64.b32encode, base64.b32decode, "INVALID_BASE32")
_B85 = _codec(base64.b85encode, base64.b85decode, "INVALID_BASE85")
_B16 = _codec(base64.b16encode, lambda d: base64.b16decode(d, casefold=True), "INVALID_BASE16")

# slug -> (function, input extensions, x-source-type required)
TEXT_TOOLS: dict[str, tuple[Tool, tuple[str, ...], bool]] = {
    **{
        f"excel-to-{ext}-api": (_excel_in(ext), ("xls", "xlsx"), ext == "json")
        for ext in ("json", "csv", "xml", "yaml", "html")
    },
    "javascript-formatter-api": (_code_stand_in("js", False), ("js", "txt"), False),
    "javascript-minify-api": (_code_stand_in("js", True), ("js", "txt"), False),
    "html-formatter-api": (_code_stand_in("html", False), ("html", "txt"), False),
    "html-minify-api": (_code_stand_in("html", True), ("html", "txt"), False),
    "html-encoder-api": (_html_codec(False), ("html", "txt"), False),
    "html-decoder-api": (_html_codec(True), ("html", "txt"), False),
    "html-to-markdown-api": (_html_to_markdown, ("html", "txt"), False),
    "markdown-to-html-api": (_markdown_to_html, ("md", "txt"), False),
    "css-formatter-api": (_code_stand_in("css", False), ("css", "txt"), False),
    "css-minify-api": (_code_stand_in("css", True), ("css", "txt"), False),
    "sql-formatter-api": (_code_stand_in("sql", False), ("sql", "txt"), False),
    "sql-minify-api": (_code_stand_in("sql", True), ("sql", "txt"), False),
    "text-minify-api": (_text_minify, TEXT_IN, False),
    "url-encode-api": (_url_encode, TEXT_IN, False),
    "url-decode-api": (_url_decode, TEXT_IN, False),
    "base64-encoder-api": (_B64[0], TEXT_IN, False),
    "base64-decoder-api": (_B64[1], TEXT_IN, False),
    "base64-to-json-api": (_base64_to_json, TEXT_IN, False),
    "base32-encoder-api": (_B32[0], TEXT_IN, False),
    "base32-decoder-api": (_B32[1], TEXT_IN, False),
    "base85-encoder-api": (_B85[0], TEXT_IN, False),
    "base85-decoder-api": (_B85[1], TEXT_IN, False),
    "base16-encoder-api": (_B16[0], TEXT_IN, False),
    "base16-decoder-api": (_B16[1], TEXT_IN, False),
    "image-converter-api": (_image, ("jpg", "jpeg", "png", "gif", "webp", "txt"), False),
}

__all__ = ["STAND_IN", "TEXT_TOOLS", "BadParameter", "to_excel_stand_in"]

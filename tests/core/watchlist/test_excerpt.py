"""The input excerpt: the caret lands on the character a real parser named, whatever the bytes."""

from __future__ import annotations

import json
import xml.parsers.expat
from collections.abc import Iterator

import pytest

from jobmonitor.core.watchlist.excerpt import (
    Excerpt,
    LineBreaks,
    Reading,
    excerpt_from_bytes,
    excerpt_from_chunks,
    excerpt_from_file,
    excerpt_text,
    location,
    reading_for,
    sniff_encoding,
)


def under_caret(ex: Excerpt) -> str:
    assert ex.failing is not None and ex.caret is not None
    return ex.failing.text[ex.caret]


def json_error(data: bytes) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(data)
    return caught.value


def json_case(data: bytes) -> tuple[Excerpt, str]:
    """The excerpt at the line and column json named, and the character at json's own offset."""
    err = json_error(data)
    ex = excerpt_from_bytes(data, err.lineno, err.colno, reading=reading_for("INVALID_JSON"))
    return ex, err.doc[err.pos]


def expat_case(data: bytes, codec: str) -> tuple[Excerpt, str]:
    """expat's line and 0-based column (plus one, as a server reports it) and its own byte offset."""
    parser = xml.parsers.expat.ParserCreate()
    with pytest.raises(xml.parsers.expat.ExpatError) as caught:
        parser.Parse(data, True)
    err = caught.value
    ex = excerpt_from_bytes(data, err.lineno, err.offset + 1, reading=reading_for("INVALID_XML"))
    return ex, data[parser.CurrentByteIndex :].decode(codec, "replace")[0]


@pytest.mark.parametrize(
    "data",
    [
        b'{\n  "a": 1,\n  "b": x\n}\n',
        b'{\r\n  "a": 1,\r\n  "b": x\r\n}\r\n',  # CRLF
        b'{\n\t"a": 1,\n\t\t"b":\tx\n}',  # tabs before and at the column
        b'\xef\xbb\xbf{"a": x}',  # UTF-8 BOM, failure on line 1
        '\ufeff{\n\t"é": 1,\n\t"ü": x}'.encode("utf-16-le"),
        '\ufeff{\n\t"é": 1,\n\t"ü": x}'.encode("utf-16-be"),
        '{\n\t"日本": 1, "b": x}'.encode("utf-16-le"),  # no BOM: json detects it from the NULs
        '\ufeff{\r\n"a":\tx}'.encode("utf-32-le"),
        b'{"a": 1,\r"b": x}',  # a lone CR: json counts no line there
        b'{"k": "' + b"v" * 10_000 + b'", "z": x}',  # a 10,000-character line
    ],
    ids=[
        "lf",
        "crlf",
        "tabs",
        "utf8-bom",
        "utf16le",
        "utf16be",
        "utf16-nobom",
        "utf32",
        "cr",
        "long",
    ],
)
def test_caret_is_on_the_character_json_named(data: bytes) -> None:
    ex, named = json_case(data)
    assert ex.problem is None
    assert named == "x"
    assert under_caret(ex) == "x" == ex.character


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (b"<a>\n\t\xc3\xa9<b></a>", "utf-8"),  # tab and a two-byte character before the column
        (b"<a>\r\n  <b>\r\n</a>", "utf-8"),  # CRLF
        (b"<a>\r\t<b></a>", "utf-8"),  # a lone CR is a line break in XML
        (b"<a>" + b"t" * 10_000 + b"<b></a>", "utf-8"),
        (b"\xef\xbb\xbf<a>\xc3\xa9<b></a>", "utf-8"),  # expat counts the BOM as column 1
        ("\ufeff<a>é<b></a>".encode("utf-16-le"), "utf-16-le"),
        ("\ufeff<a>\r\n\té<b></a>".encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["tab-utf8", "crlf", "cr", "long", "utf8-bom-line1", "utf16-bom-line1", "utf16-line2"],
)
def test_caret_is_on_the_character_expat_named(data: bytes, codec: str) -> None:
    ex, named = expat_case(data, codec)
    assert ex.problem is None
    assert under_caret(ex) == named


def test_a_tab_is_one_character_and_expands_in_text_and_caret_alike() -> None:
    ex = excerpt_from_bytes(b"a\tb\t\tc\n", 1, 5, tab_size=4)  # column 5 is the second tab's twin
    assert ex.failing is not None
    assert ex.failing.text == "a   b       c"
    assert ex.failing.source == "a\tb\t\tc"
    assert ex.caret == 8  # the second of the two tabs starts at display column 8
    assert ex.character == "\t"
    assert excerpt_from_bytes(b"a\tb\t\tc", 1, 6, tab_size=4).caret == 12  # 'c'


def test_latin1_when_not_utf8_one_byte_per_character() -> None:
    calls = 0

    def chunks() -> Iterator[bytes]:
        nonlocal calls
        calls += 1
        yield b"caf\xe9 = \xa3"
        yield b"5 x\n"

    ex = excerpt_from_chunks(chunks, 1, 11)
    assert ex.encoding == "latin-1"
    assert calls == 2  # read again from the start once the bytes proved not to be UTF-8
    assert ex.failing is not None and ex.failing.text == "café = £5 x"
    assert under_caret(ex) == "x"


@pytest.mark.parametrize(
    ("head", "codec", "bom"),
    [
        (b"\xef\xbb\xbf{", "utf-8", 3),
        (b"\xff\xfe{\x00", "utf-16-le", 2),
        (b"\xfe\xff\x00{", "utf-16-be", 2),
        (b"\xff\xfe\x00\x00", "utf-32-le", 4),
        (b"\x00\x00\xfe\xff", "utf-32-be", 4),
        (b"{\x00\x00\x00", "utf-32-le", 0),
        (b"\x00\x00\x00{", "utf-32-be", 0),
        (b"{\x00\n\x00", "utf-16-le", 0),
        (b"\x00{\x00\n", "utf-16-be", 0),
        (b"{\n", "utf-8", 0),
        (b"", "utf-8", 0),
    ],
)
def test_sniff_encoding(head: bytes, codec: str, bom: int) -> None:
    assert sniff_encoding(head) == (codec, bom)


def test_context_lines_around_the_failure_and_the_last_empty_line_dropped() -> None:
    data = b"".join(b"line %d\n" % n for n in range(1, 21))
    ex = excerpt_from_bytes(data, 10, 2, before=2, after=3)
    assert [ln.number for ln in ex.lines] == [8, 9, 10, 11, 12, 13]
    assert ex.target == 2
    end = excerpt_from_bytes(data, 20, 1)
    assert [ln.number for ln in end.lines] == [17, 18, 19, 20]  # no empty line 21 after the last LF
    assert excerpt_from_bytes(data, 21, 1).target is not None  # ...unless the parser names it


def test_line_or_column_not_in_the_input_is_said_not_guessed() -> None:
    ex = excerpt_from_bytes(b"one\ntwo\n", 9, 1)
    assert ex.target is None and ex.caret is None
    assert ex.problem == "the input has 2 lines; line 9 is not in it"
    assert ex.spoken() == "line 9, column 1: the input has 2 lines; line 9 is not in it"
    past = excerpt_from_bytes(b"one\ntwo\n", 2, 40)
    assert past.problem == "column 40 is past the end of line 2 (3 characters)"
    assert past.caret == 3  # after the line's last character
    assert excerpt_from_bytes(b"one\ntwo", 2, 4).problem is None  # one past the end is the end


def test_a_long_line_is_windowed_around_the_column() -> None:
    line = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    ex = excerpt_from_bytes(line.encode() + b"\nnext\n", 1, 7_001, width=120)
    failing = ex.failing
    assert failing is not None and failing.clipped_left and failing.clipped_right
    assert len(failing.text) <= 122 and failing.length == 10_000
    assert failing.text.startswith("…") and failing.text.endswith("…")
    assert under_caret(ex) == line[7_000]
    assert ex.lines[1].text == "…"  # the next line has nothing in the window, and says so
    short = excerpt_from_bytes(line[:100].encode(), 1, 50, width=120)
    assert short.failing is not None and not short.failing.clipped_left
    assert short.failing.text == line[:100]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_chunk_boundaries_never_move_the_caret(size: int) -> None:
    data = "\ufeffab\r\n\tcé\r\r\n日本x\n".encode("utf-16-le") + b""
    whole = excerpt_from_bytes(data, 4, 3)

    def chunks() -> Iterator[bytes]:
        return (data[i : i + size] for i in range(0, len(data), size))

    split = excerpt_from_chunks(chunks, 4, 3)
    assert split == whole
    assert under_caret(split) == "x"
    assert [ln.number for ln in split.lines] == [1, 2, 3, 4]


def test_reading_stops_after_the_last_line_shown() -> None:
    def endless() -> Iterator[bytes]:
        yield b"a\nb\nc x\n"
        yield b"d\ne\nf\n"
        raise AssertionError("read past the excerpt")

    ex = excerpt_from_chunks(endless, 3, 3, after=2)
    assert [ln.number for ln in ex.lines] == [1, 2, 3, 4, 5]


def test_a_failure_deep_in_a_big_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        for n in range(300_000):
            f.write(b"%d,row,\r\n" % n)
    ex = excerpt_from_file(path, 250_001, 8)
    assert ex.failing is not None and ex.failing.text == "250000,row,"
    assert ex.caret == 7


def test_controls_and_bidi_overrides_are_shown_not_obeyed() -> None:
    ex = excerpt_from_bytes("ab\x00\x1b[2Jc\u202eevil x".encode(), 1, 15)
    assert ex.failing is not None
    assert ex.failing.text == "ab␀␛[2Jc\ufffdevil x"
    assert under_caret(ex) == "x"


def test_caret_cells_count_wide_and_combining_characters() -> None:
    ex = excerpt_from_bytes("日本e\u0301x".encode(), 1, 5)
    assert under_caret(ex) == "x"
    assert ex.caret_cells == 5  # two wide characters, an e, a combining accent that takes no cell


def test_plain_text_has_gutter_marker_and_caret() -> None:
    ex = excerpt_from_bytes(b"first\n\tsecond x\nthird\n", 2, 9, tab_size=4)
    assert excerpt_text(ex) == (" 1 │ first\n>2 │     second x\n   │            ^\n 3 │ third")
    assert ex.spoken() == "line 2, column 9: \tsecond x"
    no_column = excerpt_from_bytes(b"a,b\nc\n", 2)
    assert excerpt_text(no_column) == " 1 │ a,b\n>2 │ c"
    assert no_column.spoken() == "line 2: c"


def test_location_and_reading_rules() -> None:
    assert location("/tmp/in put.json", 4, 7) == "/tmp/in put.json:4:7"
    assert location("data.csv", 3, None) == "data.csv:3"
    assert reading_for("INVALID_JSON").breaks is LineBreaks.LF
    assert reading_for("invalid_yaml").breaks is LineBreaks.YAML
    assert reading_for("INVALID_XML").bom_is_column
    assert reading_for("INVALID_CSV") == reading_for(None) == Reading()


def test_yaml_counts_unicode_line_breaks_and_the_others_do_not() -> None:
    data = "a: 1\x85b: 2\u2028c: [x\n".encode()
    yaml = excerpt_from_bytes(data, 3, 5, reading=reading_for("INVALID_YAML"))
    assert under_caret(yaml) == "x"
    other = excerpt_from_bytes(data, 1, 15)  # shown on one line, each separator one symbol
    assert other.failing is not None and other.failing.text == "a: 1\ufffdb: 2␤c: [x"
    assert under_caret(other) == "x"


def test_an_encoding_error_points_at_the_byte() -> None:
    """A decoding error names a byte offset in a line of bytes; each byte is shown as one character."""
    data = "naïve\r\ncafé \t".encode() + b"\xff rest\n"
    with pytest.raises(UnicodeDecodeError) as caught:
        data.decode("utf-8")
    start = caught.value.start
    line = data[:start].count(b"\n") + 1
    column = start - (data[:start].rfind(b"\n") + 1) + 1  # as the simulator reports it
    ex = excerpt_from_bytes(data, line, column, reading=reading_for("INVALID_ENCODING"))
    assert ex.encoding == "latin-1"
    assert under_caret(ex) == "\xff"


def test_line_and_column_are_one_based() -> None:
    with pytest.raises(ValueError):
        excerpt_from_bytes(b"x", 0, 1)
    with pytest.raises(ValueError):
        excerpt_from_bytes(b"x", 1, 0)

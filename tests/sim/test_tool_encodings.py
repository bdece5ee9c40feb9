"""The simulator's tools read UTF-16 and UTF-32 inputs by their byte order mark, as UTF-8."""

from __future__ import annotations

import pytest

from jobmonitor.sim.toolwork import ToolFailure, parse_json, parse_yaml, text_of


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_bom_names_the_encoding(codec: str) -> None:
    text = '{"naïve": "日本"}'
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        data = "\ufeff".encode(codec) + data  # the codecs without a mark of their own
    assert text_of(data) == text


def test_positions_in_a_utf16_input_count_its_characters() -> None:
    with pytest.raises(ToolFailure) as caught:
        parse_json('{\r\n\t"é": x}'.encode("utf-16"))
    assert caught.value.details["line"] == 2 and caught.value.details["column"] == 7
    with pytest.raises(ToolFailure) as caught:
        parse_yaml("a: 1\n\tb: 2\n".encode("utf-16"))
    assert caught.value.code == "INVALID_YAML" and caught.value.details["line"] == 2


def test_a_broken_utf16_input_is_an_encoding_error() -> None:
    with pytest.raises(ToolFailure) as caught:
        text_of(b"\xff\xfe{\x00\x00\xd8")  # a lone high surrogate
    assert caught.value.code == "INVALID_ENCODING"
    assert "UTF-16" in caught.value.message

"""Property-based fuzzing (hypothesis) of the answer parser, the rate-limit header parser and the
command line's formatter: any exception outside ``ApiError`` fails. The CI profile (conftest.py)
runs the same examples every time; tests/benchmarks/fuzz_long.py runs many more."""

from __future__ import annotations

from typing import Any

from fuzzprops import (
    answer_parser,
    answers,
    bodies,
    from_wire_formatter,
    headers,
    json_values,
    rate_limit_headers,
    statuses,
)
from hypothesis import given
from hypothesis import strategies as st


@given(statuses, headers, bodies)
def test_fuzz_answer_parser(status: int, hdrs: dict[str, str], body: bytes) -> None:
    answer_parser(status, hdrs, body, [0])


@given(headers, json_values, st.floats(min_value=0, max_value=4e9))
def test_fuzz_rate_limit_headers(hdrs: dict[str, str], body: Any, now: float) -> None:
    rate_limit_headers(hdrs, body, now, [0])


@given(answers)
def test_fuzz_cli_formatter(answer: dict[str, Any]) -> None:
    from_wire_formatter(answer, [0])

"""The long fuzzing run: the properties of tests/hostile/fuzzprops.py with many more examples
than CI's short derandomised run, each with a fresh random seed. Prints, per property, the
inputs tried, the time taken and the findings (a finding is hypothesis's shrunk failing input
and the exception: anything outside ``ApiError`` escaping, or a broken invariant).

Run (not part of the default test run):

    .venv/bin/python tests/benchmarks/fuzz_long.py                  # 5,000 examples each
    .venv/bin/python tests/benchmarks/fuzz_long.py --examples 50000
    .venv/bin/pytest -m benchmark tests/benchmarks/fuzz_long.py -s   # FUZZ_EXAMPLES
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hostile"))

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def properties(tried: list[int]) -> dict[str, Callable[[], None]]:
    @given(statuses, headers, bodies)
    def parser(status: int, hdrs: dict[str, str], body: bytes) -> None:
        answer_parser(status, hdrs, body, tried)

    @given(headers, json_values, st.floats(min_value=0, max_value=4e9))
    def rate(hdrs: dict[str, str], body: Any, now: float) -> None:
        rate_limit_headers(hdrs, body, now, tried)

    @given(answers)
    def formatter(answer: dict[str, Any]) -> None:
        from_wire_formatter(answer, tried)

    return {
        "answer parser (get_job end to end)": parser,
        "rate-limit headers": rate,
        "CLI formatter": formatter,
    }


def run(examples: int) -> list[tuple[str, int, float, str | None]]:
    rows = []
    for name in properties([0]):
        tried = [0]
        test = properties(tried)[name]
        configured = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )(test)
        started = time.perf_counter()
        finding = None
        try:
            configured()
        except Exception as exc:  # a finding: report it, go on with the next property
            notes = "\n".join(getattr(exc, "__notes__", []))
            finding = f"{type(exc).__name__}: {str(exc)[:300]}\n{notes}"
        rows.append((name, tried[0], time.perf_counter() - started, finding))
    return rows


def report(rows: list[tuple[str, int, float, str | None]]) -> int:
    print(f"{'property':38} {'inputs tried':>12} {'time':>8}  findings")
    for name, tried, seconds, finding in rows:
        print(f"{name:38} {tried:>12} {seconds:>7.1f}s  {'none' if finding is None else 1}")
    findings = [(name, f) for name, _, _, f in rows if f is not None]
    for name, finding in findings:
        print(f"\n-- finding in {name}:\n{finding}")
    return len(findings)


@pytest.mark.benchmark
def test_long_fuzz_finds_nothing() -> None:
    assert report(run(int(os.environ.get("FUZZ_EXAMPLES", "2000")))) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per property")
    sys.exit(1 if report(run(parser.parse_args().examples)) else 0)


if __name__ == "__main__":
    main()

"""A huge paste (issue 12, item 7): time and peak memory of parsing 50 MB of pasted text the
way the window does it (``parse_pasted`` on its worker thread), and of ``watch -`` refusing
50 MB on stdin. Each case runs in a process of its own, so its peak RSS is its own.

Before the fix, a 50 MB paste held the GUI thread for 60 s at 3.3 GB, and ``watch -`` with
50 MB took 32 s at 1.9 GB. Targets: the window's loop never waits on the parse (it runs on a
worker thread; the UI test checks that), and the parse is bounded: only the first 8 M
characters are read, whatever was pasted.

Columns: the parse's time, the process's peak RSS during the parse (the 50 MB text itself
included) and how much the parse added to the RSS before it.

Run (not part of the default test run; figures are noisy on a shared machine, so the load
average is printed beside them):

    .venv/bin/python tests/benchmarks/bench_paste.py             # 50 MB
    .venv/bin/python tests/benchmarks/bench_paste.py --mb 5
    .venv/bin/pytest -m benchmark tests/benchmarks/bench_paste.py -s
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

CASES = {
    "UUIDs, one a line": "uuids",
    "bad ids, one a line": "bad",
    "words (a log excerpt)": "words",
    "one line of 1-char tokens": "tokens",
}


def make_text(kind: str, size: int) -> str:
    if kind == "uuids":
        line = "\n".join(str(uuid.UUID(int=n)) for n in range(1, 10_001)) + "\n"
    elif kind == "bad":
        line = "\n".join(f"bad\u00e9{n}" for n in range(10_000)) + "\n"
    elif kind == "words":
        line = "the job ran for alice and finished without trouble today\n" * 1000
    else:
        line = "x " * 50_000
    return (line * (size // len(line) + 1))[:size]


def rss_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the peak ever


def reset_peak() -> None:
    """Linux resets VmHWM to the current RSS when 5 is written to clear_refs."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def parse_case(kind: str, size: int) -> dict[str, object]:
    """In the child: build the text, then parse it as the window's worker does."""
    from jobmonitor.ui.paste_text import parse_pasted

    text = make_text(kind, size)
    reset_peak()  # the copies made while building the text are not the parse's
    base = rss_kib("VmRSS")
    started = time.perf_counter()
    parsed, free = parse_pasted(text, frozenset())
    seconds = time.perf_counter() - started
    peak = rss_kib("VmHWM")
    return {
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "above_text_mb": (peak - base) / 1024,
        "ids": len(parsed.ids),
        "rejected": parsed.rejected_count,
        "unread": parsed.unread,
        "free": free,
    }


_REPORT_PEAK = """
import atexit, sys
from pathlib import Path
def peak():
    status = Path("/proc/self/status").read_text().splitlines()
    sys.stderr.write(next(x for x in status if x.startswith("VmHWM:")) + "\\n")
atexit.register(peak)
from jobmonitor.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def watch_case(size: int) -> dict[str, object]:
    """``watch -`` fed ``size`` bytes of UUIDs on stdin: refused (exit 2) before any request.
    The child reports its own peak (VmHWM) as it exits: the kernel's figure for a child counts
    what it shared with this process before exec, the 50 MB text included."""
    env = {**os.environ, "JOBMONITOR_API_KEY": "k"}
    command = [sys.executable, "-c", _REPORT_PEAK, "watch", "--base-url", "http://127.0.0.1:9"]
    with tempfile.TemporaryFile("w+") as stdin:
        stdin.write(make_text("uuids", size))
        stdin.seek(0)
        started = time.perf_counter()
        child = subprocess.run(
            [*command, "-"], stdin=stdin, capture_output=True, text=True, env=env, check=False
        )
        seconds = time.perf_counter() - started
    *said, peak = child.stderr.strip().splitlines()
    return {
        "seconds": seconds,
        "peak_mb": int(peak.split()[1]) / 1024,
        "exit": child.returncode,
        "stderr": said[-1:],
    }


def run_child(kind: str, size: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--bytes", str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def report(mb: float) -> list[str]:
    size = int(mb * 1024 * 1024)
    lines = [f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}"]
    lines.append(
        f"{'case':34} {'time':>8} {'peak RSS':>9} {'(parse)':>8} {'ids':>8} {'rejected':>9}  unread"
    )
    for name, kind in CASES.items():
        r = run_child(kind, size)
        lines.append(
            f"{name + f' ({mb:g} MB)':34} {r['seconds']:7.2f}s {r['peak_mb']:7.0f}MB "
            f"{r['above_text_mb']:6.0f}MB {r['ids']:>8} {r['rejected']:>9}  {r['unread']:,} chars"
            + ("  (free text)" if r["free"] else "")
        )
    w = run_child("watch", size)
    lines.append(
        f"{f'watch - ({mb:g} MB on stdin)':34} {w['seconds']:7.2f}s {w['peak_mb']:7.0f}MB "
        f"exit {w['exit']}: {w['stderr']}"
    )
    lines.append(f"load average after: {os.getloadavg()[0]:.2f}")
    return lines


@pytest.mark.benchmark
def test_paste_benchmark() -> None:
    print("\n" + "\n".join(report(50)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "watch":
        print(json.dumps(watch_case(args.bytes)))
    elif args.child:
        print(json.dumps(parse_case(args.child, args.bytes)))
    else:
        print("\n".join(report(args.mb)))


if __name__ == "__main__":
    main()

"""Decompression bombs: peak memory of a status request and of a download whose body is a
``gzip, gzip`` (or deflate) stack, each case in a process of its own. Target (issue 12): peak RSS
under 150 MB whatever the decoded size. For comparison, the same status bomb through httpx's own
decoder (what the client did before: each chunk inflated whole), at a smaller size.

Run (not part of the default test run; figures are noisy on a shared machine):

    .venv/bin/python tests/benchmarks/bench_bombs.py            # 1 GiB decoded
    .venv/bin/python tests/benchmarks/bench_bombs.py --size-mib 4096
    .venv/bin/pytest -m benchmark tests/benchmarks/bench_bombs.py -s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "hostile"))

from hostileserver import JOB, KEY, HostileServer, bomb, raw  # noqa: E402

TARGET_MB = 150
CASES = {
    "status gzip,gzip": ("status", ("gzip", "gzip")),
    "status deflate,gzip": ("status", ("deflate", "gzip")),
    "status gzip x3": ("status", ("gzip", "gzip", "gzip")),
    "download gzip,gzip": ("download", ("gzip", "gzip")),
    "download gzip": ("download", ("gzip",)),
    "status via httpx's decoder (before)": ("httpx", ("gzip", "gzip")),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def status_case(body: bytes, encodings: tuple[str, ...]) -> str:
    import httpx

    from jobmonitor.api.client import StatusClient
    from jobmonitor.api.errors import ApiError

    async with HostileServer() as server, httpx.AsyncClient(timeout=60) as http:
        server.on(JOB, raw(200, body, {"content-encoding": ", ".join(encodings)}))
        try:
            await StatusClient(http, server.url, api_key=KEY).get_job(JOB)
        except ApiError as exc:
            return exc.message
    return "answered"


async def httpx_case(body: bytes, encodings: tuple[str, ...]) -> str:
    import httpx

    async with HostileServer() as server, httpx.AsyncClient(timeout=60) as http:
        server.on(JOB, raw(200, body, {"content-encoding": ", ".join(encodings)}))
        async with http.stream("GET", f"{server.url}/jobs/{JOB}") as response:
            size = 0
            async for chunk in response.aiter_bytes():  # the 1 MiB cap, checked after each chunk
                size += len(chunk)
                if size > 1024 * 1024:
                    return f"stopped after a chunk: {size >> 20} MiB decoded"
    return f"{size} bytes"


async def download_case(body: bytes, encodings: tuple[str, ...]) -> str:
    import httpx

    from jobmonitor.core.downloads.manager import DownloadManager

    async def refresh(_job_id: str) -> str | None:
        return None

    with tempfile.TemporaryDirectory() as folder:
        async with HostileServer(connection_limit=600) as server:
            server.on(
                "/files/result.bin", raw(200, body, {"content-encoding": ", ".join(encodings)})
            )
            async with httpx.AsyncClient(timeout=60) as http:
                manager = DownloadManager(lambda _u: http, server.url, lambda: KEY, refresh)
                final = await manager.start(JOB, server.url + "/files/result.bin", folder).wait()
                await manager.aclose()
        size = final.path.stat().st_size if final.path is not None else 0
        return f"{final.state.value}, {size >> 20} MiB saved"


def child(case: str, size_mib: int) -> None:
    """One case in this process: prints a JSON line with its figures."""
    kind, encodings = CASES[case]
    started = time.perf_counter()
    body = bomb(size_mib * 1024 * 1024, encodings)
    built = time.perf_counter() - started
    run = {"status": status_case, "httpx": httpx_case, "download": download_case}[kind]
    started = time.perf_counter()
    outcome = asyncio.run(run(body, encodings))
    elapsed = time.perf_counter() - started
    figures = {"bytes": len(body), "built": built, "seconds": elapsed, "peak_mb": peak_mb()}
    print(json.dumps({**figures, "outcome": outcome}))


def run_all(size_mib: int, httpx_mib: int) -> list[tuple[str, dict[str, object]]]:
    rows = []
    for case in CASES:
        size = httpx_mib if CASES[case][0] == "httpx" else size_mib
        out = subprocess.run(
            [sys.executable, __file__, "--child", case, "--size-mib", str(size)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
        figures = json.loads(line) if line.startswith("{") else {"outcome": out.stderr[-200:]}
        figures["decoded_mib"] = size
        rows.append((case, figures))
    return rows


def report(rows: list[tuple[str, dict[str, object]]]) -> None:
    print(f"{'case':38} {'sent':>9} {'decoded':>9} {'peak RSS':>9} {'time':>7}  outcome")
    for case, f in rows:
        sent = f"{int(f.get('bytes', 0)) / 1024:.1f} KB"  # type: ignore[call-overload]
        peak = f"{float(f.get('peak_mb', 0)):.0f} MB"  # type: ignore[arg-type]
        took = f"{float(f.get('seconds', 0)):.2f} s"  # type: ignore[arg-type]
        print(
            f"{case:38} {sent:>9} {f['decoded_mib']!s:>5} MiB {peak:>9} {took:>7}  {f['outcome']}"
        )
    print(f"target: peak RSS < {TARGET_MB} MB for every case but the httpx comparison")


@pytest.mark.benchmark
def test_bombs_stay_under_the_memory_target() -> None:
    rows = run_all(256, 64)
    report(rows)
    for case, figures in rows:
        if CASES[case][0] != "httpx":
            assert float(figures["peak_mb"]) < TARGET_MB, case  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--httpx-mib", type=int, default=256, help="size of the comparison case")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size_mib)
    else:
        report(run_all(args.size_mib, args.httpx_mib))


if __name__ == "__main__":
    main()

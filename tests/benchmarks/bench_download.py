"""Download benchmark: a big file from the simulator over loopback, ``jobmonitor download`` side
by side with ``curl -o`` in the same run. Prints a table: time, throughput, peak memory (max RSS
of each downloading process, read with ``os.wait4``), and the throughput ratio to curl.

Targets (issue 6): at least 0.8x curl's throughput; under 150 MB peak memory.

Run (not part of the default test run):

    .venv/bin/python tests/benchmarks/bench_download.py            # 1 GiB, 3 rounds
    .venv/bin/python tests/benchmarks/bench_download.py --size-mib 256 --rounds 1 --dir /dev/shm
    .venv/bin/pytest -m benchmark tests/benchmarks/bench_download.py -s

The simulator runs in a process of its own, so the client under test has a core to itself (on a
two-core machine). Both tools write into the same folder; jobmonitor also fsyncs before its
rename (curl does not), which the table shows as part of its time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

KEY = "bench-download-key-0123456789"
MIB = 1024 * 1024
TARGET_RATIO = 0.8
TARGET_RSS_MB = 150.0

_SIM = """
import json, sys
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
world = SimWorld()
job = world.add_job(sys.argv[1], queued_for=0, processing_for=0, file_size=int(sys.argv[2]),
                    file_name="bench.bin")
with SimServer(world) as server:
    print(json.dumps({"api": server.api_url, "job": job, "url": world.file_url(job)}), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


@dataclass
class Run:
    tool: str
    seconds: float
    max_rss_mb: float
    size: int

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / 1e6


def _measure(tool: str, argv: list[str], size: int, env: dict[str, str]) -> Run:
    """Run one downloader; its own max RSS comes from wait4 (not mixed with any other child)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} failed ({proc.returncode}): {err.decode()[-500:]}")
    del out
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(tool, seconds, usage.ru_maxrss * scale / 1e6, size)


def benchmark(size: int, rounds: int, folder: Path) -> tuple[list[Run], list[Run]]:
    curl = shutil.which("curl")
    if curl is None:
        raise RuntimeError("curl is not installed (apt-get install curl)")
    sim = subprocess.Popen(
        [sys.executable, "-c", _SIM, KEY, str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdin is not None and sim.stdout is not None
    env = dict(os.environ, JOBMONITOR_API_KEY=KEY)
    ours: list[Run] = []
    theirs: list[Run] = []
    try:
        info = json.loads(sim.stdout.readline())
        for _ in range(rounds):
            for tool in ("curl", "jobmonitor"):  # alternate, so drift hits both alike
                target = folder / tool
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                if tool == "curl":
                    argv = [curl, "-sS", "--fail", "-o", str(target / "bench.bin"), info["url"]]
                    theirs.append(_measure(tool, argv, size, env))
                else:
                    argv = [sys.executable, "-m", "jobmonitor", "download"]
                    argv += ["--base-url", info["api"], "-o", str(target), info["job"]]
                    ours.append(_measure(tool, argv, size, env))
                if (target / "bench.bin").stat().st_size != size:
                    raise RuntimeError(f"{tool} saved a file of the wrong size")
            _same_bytes(folder / "curl" / "bench.bin", folder / "jobmonitor" / "bench.bin")
    finally:
        sim.stdin.close()
        sim.wait(30)
        for tool in ("curl", "jobmonitor"):
            shutil.rmtree(folder / tool, ignore_errors=True)
    return ours, theirs


def _same_bytes(a: Path, b: Path) -> None:
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            block_a, block_b = fa.read(8 * MIB), fb.read(8 * MIB)
            if block_a != block_b:
                raise RuntimeError("jobmonitor and curl saved different bytes")
            if not block_a:
                return


def report(ours: list[Run], theirs: list[Run], folder: Path) -> tuple[float, float]:
    size = ours[0].size
    print(f"\nDownload of {size / MIB:.0f} MiB from the simulator over loopback into {folder}")
    print(f"{'tool':<12} {'round':>5} {'seconds':>8} {'MB/s':>8} {'max RSS MB':>11}")
    for runs in (theirs, ours):
        for index, run in enumerate(runs, 1):
            print(
                f"{run.tool:<12} {index:>5} {run.seconds:>8.2f} {run.mb_per_s:>8.0f} "
                f"{run.max_rss_mb:>11.1f}"
            )
    best_ours = max(r.mb_per_s for r in ours)
    best_curl = max(r.mb_per_s for r in theirs)
    median_ratio = statistics.median(r.mb_per_s for r in ours) / statistics.median(
        r.mb_per_s for r in theirs
    )
    ratio = best_ours / best_curl
    peak = max(r.max_rss_mb for r in ours)
    print(
        f"throughput ratio jobmonitor/curl: best {ratio:.2f}x, median {median_ratio:.2f}x "
        f"(target >= {TARGET_RATIO}x)"
    )
    print(f"peak memory of jobmonitor download: {peak:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)")
    return ratio, peak


@pytest.mark.benchmark
def test_download_benchmark(tmp_path: Path) -> None:
    size = int(os.environ.get("BENCH_SIZE_MIB", "1024")) * MIB
    ours, theirs = benchmark(size, int(os.environ.get("BENCH_ROUNDS", "3")), tmp_path)
    ratio, peak = report(ours, theirs, tmp_path)
    assert peak < TARGET_RSS_MB
    assert ratio >= TARGET_RATIO


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="folder both tools write into (default: a temp)")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with tempfile.TemporaryDirectory(prefix="bench-download-", dir=args.dir) as tmp:
        ours, theirs = benchmark(args.size_mib * MIB, args.rounds, Path(tmp))
        ratio, peak = report(ours, theirs, Path(tmp))
    return 0 if ratio >= TARGET_RATIO and peak < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())

"""``jobmonitor sim``: run the simulated Status API with a demo world in the foreground."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING

from jobmonitor.cli.common import EXIT_OK, EXIT_USAGE, CliError

if TYPE_CHECKING:
    from jobmonitor.sim.demo import DemoWorld
    from jobmonitor.sim.server import SimServer

DEFAULT_PORT = 8765
ROUTES = ("both", "jobs", "status-api")
# sim.limits.WINDOW_KINDS, spelled out so that ``--help`` does not import the simulator.
RATE_WINDOWS = ("sliding", "fixed", "bucket", "penalty")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sim",
        help="run the simulated Status API (demo key, jobs in every state)",
        description="Run a local simulator of the Status API with a demo world: jobs in every "
        "state that keep changing for about ten minutes, a demo key, result files on a second "
        "origin. Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"API port (default {DEFAULT_PORT}; 0: any)",
    )
    parser.add_argument(
        "--files-host",
        metavar="HOST",
        help="address of the result-file origin (default 127.0.0.2 with the default host)",
    )
    parser.add_argument(
        "--files-port", type=int, default=0, metavar="N", help="result-file port (0: any)"
    )
    parser.add_argument(
        "--rate-limit", type=int, metavar="N", help="requests per minute per key (default: none)"
    )
    parser.add_argument(
        "--rate-window",
        choices=RATE_WINDOWS,
        default="sliding",
        help="what the limit counts: any 60 s (sliding), each calendar minute (fixed), a token "
        "bucket with 10 s of burst (bucket), or a sliding window whose breach refuses "
        "everything for 60 s (penalty)",
    )
    parser.add_argument(
        "--bare-429",
        action="store_true",
        help="tell clients nothing of the limit: no rate-limit headers, no Retry-After",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="S", help="seconds per answer"
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.0, metavar="F", help="share of 500 answers (0-1)"
    )
    parser.add_argument(
        "--garbage-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of broken answers: proxy HTML, truncated or oversized bodies (0-1)",
    )
    parser.add_argument(
        "--routes", choices=ROUTES, default="both", help="which job route(s) the server has"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of ids and random faults")
    parser.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    for name in ("error_rate", "garbage_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise CliError(f"--{name.replace('_', '-')} must be between 0 and 1", EXIT_USAGE)
    if args.latency < 0:
        raise CliError("--latency must not be negative", EXIT_USAGE)
    if args.rate_limit is not None and args.rate_limit < 1:
        raise CliError("--rate-limit must be at least 1 request per minute", EXIT_USAGE)
    for name in ("port", "files_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise CliError(f"--{name.replace('_', '-')} must be a port number", EXIT_USAGE)


def build_world(args: argparse.Namespace) -> DemoWorld:
    """The demo world with the options' limit and faults."""
    _check(args)
    from jobmonitor.sim.demo import build_demo_world

    demo = build_demo_world(seed=args.seed, rate_limit=args.rate_limit)
    demo.world.rate_window = args.rate_window
    faults = demo.world.faults
    faults.latency = args.latency
    faults.error_rate = args.error_rate
    faults.garbage_rate = args.garbage_rate
    faults.routes = args.routes
    faults.rate_headers = args.rate_limit is not None and not args.bare_429
    faults.retry_after_header = not args.bare_429
    return demo


def run(args: argparse.Namespace) -> int:
    demo = build_world(args)
    from jobmonitor.sim.server import SimServer

    files_host = args.files_host or ("127.0.0.2" if args.host == "127.0.0.1" else args.host)
    server = SimServer(
        demo.world,
        host=args.host,
        files_host=files_host,
        port=args.port,
        files_port=args.files_port,
    )
    try:
        server.start()
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    try:
        _print_banner(server, demo.key, demo.jobs, args)
        idle = threading.Event()
        while server.running:
            idle.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("simulator stopped", file=sys.stderr)
    return EXIT_OK


def _print_banner(
    server: SimServer,
    key: str,
    jobs: dict[str, list[str]],
    args: argparse.Namespace,
) -> None:
    from jobmonitor.sim.samples import samples_dir

    api_url = server.api_url
    limit = "none"
    if args.rate_limit:
        told = "a bare 429" if args.bare_429 else "advertised in headers"
        limit = f"{args.rate_limit} requests/minute per key ({args.rate_window}, {told})"
    lines = [
        "jobmonitor simulator of the Status API, its tools and uploads",
        f"  API:        {api_url}   (routes: {args.routes})",
        f"  files:      {server.files_url}   (samples: {server.files_url}/samples/NAME)",
        f"  storage:    {server.storage_url}   (presigned upload POSTs)",
        f"  samples:    {samples_dir()}   (inputs to submit, good and broken)",
        f"  demo key:   {key}   (valid for this simulator only)",
        f"  rate limit: {limit}",
    ]
    if args.latency or args.error_rate or args.garbage_rate:
        lines.append(
            f"  faults:     latency {args.latency:g} s, errors {args.error_rate:.0%}, "
            f"garbage {args.garbage_rate:.0%}"
        )
    lines.append("job ids by kind (the first ones change state within 30 s):")
    for kind, ids in jobs.items():
        for job_id in ids[:3]:
            lines.append(f"  {kind:<11} {job_id}")
    example = (jobs.get("queued") or next(iter(jobs.values())))[0]
    lines += [
        "try:",
        f"  JOBMONITOR_API_KEY={key} jobmonitor status {example} --base-url {api_url}",
        "Ctrl-C stops the simulator.",
    ]
    print("\n".join(lines), flush=True)

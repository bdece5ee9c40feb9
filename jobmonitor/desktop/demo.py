"""Demo mode: the simulator on loopback with the demo world, its key held in memory only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobmonitor.sim.server import SimServer


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """What demo mode hands over: the simulator's URL, its key (memory only), and ids to watch."""

    base_url: str
    key: str
    job_ids: tuple[tuple[str, str], ...]  # (job id, label)
    samples: Path | None = None  # the shipped sample inputs: where File › New job opens


def start_demo() -> tuple[SimServer, DemoSetup]:
    """Start the simulator with the demo world (call it in a worker: binding takes a moment)."""
    # Imported here: the simulator (Starlette, uvicorn) is loaded only when demo mode starts.
    from jobmonitor.sim.demo import build_demo_world
    from jobmonitor.sim.samples import samples_dir
    from jobmonitor.sim.server import SimServer

    world = build_demo_world()
    server = SimServer(world.world).start()
    return server, DemoSetup(
        base_url=server.api_url,
        key=world.key,
        job_ids=world.labelled_jobs(),
        samples=samples_dir(),
    )

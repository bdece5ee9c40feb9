"""A demo world with jobs in every state that keep moving for minutes (``jobmonitor sim``, demo mode).

Some jobs change state within the first 30 seconds so that a newcomer sees transitions at once;
the last ones settle about ten minutes after start.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from jobmonitor.sim.world import SimWorld

DEMO_KEY = "demo-key-7f3a9c2e51b84d06"  # a key for the simulator only: printing it is the point
OTHER_KEY = "demo-other-account-key-0000"  # owns the "forbidden" jobs
KINDS = ("queued", "processing", "unknown", "success", "failed", "forbidden", "not_found")
# How each kind of demo job starts, in the order a watch list shows them (they move on while the
# demo runs): the labels demo mode gives them.
KIND_LABELS = {
    "processing": "Demo: started processing",
    "queued": "Demo: started queued",
    "unknown": "Demo: undocumented status",
    "success": "Demo: done at start",
    "failed": "Demo: failed at start",
    "forbidden": "Demo: another account's job",
    "not_found": "Demo: deleted job",
}

# (kind at start, queued_for, processing_for, outcome, retry_after)
_PLAN: tuple[tuple[str, float, float, str, float], ...] = (
    ("queued", 6, 14, "success", 2),  # processing at 6 s, succeeds at 20 s
    ("queued", 12, 16, "failed", 2),  # fails at 28 s
    ("queued", 40, 50, "success", 3),
    ("queued", 90, 150, "success", 5),
    ("queued", 240, 360, "failed", 10),
    ("processing", 0, 9, "success", 2),  # succeeds at 9 s
    ("processing", 0, 24, "success", 3),
    ("processing", 0, 75, "failed", 5),
    ("processing", 0, 200, "success", 5),
    ("processing", 0, 600, "success", 15),
)
_PREVIEWS = (
    '{\n  "name": "John",\n  "age": 30\n}',
    '[\n  {"id": 1, "sku": "A-100", "qty": 3},\n  {"id": 2, "sku": "B-220", "qty": 1}\n]',
    '{\n  "invoice": "INV-2024-0042",\n  "total": 1299.5,\n  "currency": "EUR"\n}',
)


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """The world, the demo key, and job ids by kind (see ``KINDS``)."""

    world: SimWorld
    key: str
    jobs: dict[str, list[str]]
    other_key: str = OTHER_KEY

    def labelled_jobs(self) -> tuple[tuple[str, str], ...]:
        """(job id, label) of every job, running ones first (see ``KIND_LABELS``)."""
        return tuple(
            (job_id, label) for kind, label in KIND_LABELS.items() for job_id in self.jobs[kind]
        )


def build_demo_world(
    *, clock: Callable[[], float] = time.time, seed: int = 7, rate_limit: int | None = None
) -> DemoWorld:
    """Jobs in every state, timed from ``clock()`` now. Deterministic for a given seed."""
    world = SimWorld(clock=clock, seed=seed, rate_limit=rate_limit)
    world.add_key(DEMO_KEY)
    rng = random.Random(f"not-found:{seed}")  # a stream apart from the world's job ids
    jobs: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for n, (kind, queued_for, processing_for, outcome, retry_after) in enumerate(_PLAN):
        job = world.add_job(
            DEMO_KEY,
            queued_for=queued_for,
            processing_for=processing_for,
            outcome=outcome,
            retry_after=retry_after,
            preview=_PREVIEWS[n % len(_PREVIEWS)],
            error_details={"line": 3 + n, "column": 7},
        )
        jobs[kind].append(job)
    jobs["unknown"].append(
        world.add_job(DEMO_KEY, queued_for=0, processing_for=90, unknown_status="on_hold")
    )
    jobs["success"] += [
        world.add_job(DEMO_KEY, queued_for=0, processing_for=0, preview=_PREVIEWS[0]),
        world.add_job(
            DEMO_KEY,
            queued_for=0,
            processing_for=0,
            preview=_PREVIEWS[1],
            extra_result={"rows": 2, "format": "json", "warnings": ["column 'qty' cast to int"]},
        ),
        world.add_job(
            DEMO_KEY,
            queued_for=0,
            processing_for=0,
            preview="(binary archive; 64 MiB)",
            file_size=64 * 1024 * 1024,
            file_name="apidatatools_archive_demo.bin",
            content_disposition='attachment; filename="apidatatools_archive_demo.bin"',
        ),
    ]
    jobs["failed"] += [
        world.add_job(
            DEMO_KEY,
            queued_for=0,
            processing_for=0,
            outcome="failed",
            error_code="INVALID_JSON",
            error_message="Unexpected token '}' in JSON.",
            error_details={"line": 14, "column": 3, "path": "$.items[2]", "expected": "value"},
        ),
        world.add_job(
            DEMO_KEY,
            queued_for=0,
            processing_for=0,
            outcome="failed",
            error_code="FILE_TOO_LARGE",
            error_message="The uploaded file exceeds the plan's limit.",
            error_details={"limit_mb": 50, "size_mb": 73.4},
        ),
    ]
    jobs["forbidden"] += [
        world.add_job(OTHER_KEY, queued_for=0, processing_for=0) for _ in range(2)
    ]
    jobs["not_found"] += [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(2)]
    return DemoWorld(world=world, key=DEMO_KEY, jobs=jobs)

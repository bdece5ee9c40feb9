"""The simulator of the Status API (Starlette): the contract of CONTRACT.md, faults on demand."""

from jobmonitor.sim.app import create_api_app
from jobmonitor.sim.demo import DEMO_KEY, DemoWorld, build_demo_world
from jobmonitor.sim.faults import Faults, FileFaults, ManualClock, SimStats
from jobmonitor.sim.files import content_slice, create_files_app
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

__all__ = [
    "DEMO_KEY",
    "DemoWorld",
    "Faults",
    "FileFaults",
    "ManualClock",
    "SimServer",
    "SimStats",
    "SimWorld",
    "build_demo_world",
    "content_slice",
    "create_api_app",
    "create_files_app",
]

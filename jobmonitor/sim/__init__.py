"""The simulator of the provider's APIs (Starlette): the Status API of CONTRACT.md, the tools and
uploads of PROVIDER.md with an S3-like storage origin, faults on demand."""

from jobmonitor.sim.app import create_api_app
from jobmonitor.sim.demo import DEMO_KEY, DemoWorld, build_demo_world
from jobmonitor.sim.faults import Faults, FileFaults, ManualClock, SimStats
from jobmonitor.sim.files import content_slice, create_files_app
from jobmonitor.sim.samples import sample_names, samples_dir
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.storage import create_storage_app
from jobmonitor.sim.world import SimWorld, ToolSettings

__all__ = [
    "DEMO_KEY",
    "DemoWorld",
    "Faults",
    "FileFaults",
    "ManualClock",
    "SimServer",
    "SimStats",
    "SimWorld",
    "ToolSettings",
    "build_demo_world",
    "content_slice",
    "create_api_app",
    "create_files_app",
    "create_storage_app",
    "sample_names",
    "samples_dir",
]

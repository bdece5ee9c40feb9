"""The sample inputs demo mode ships (good and broken), for submitting against the simulator.

A wheel and the PyInstaller bundle carry them as ``jobmonitor/_resources/samples`` (pyproject's
force-include); a source checkout or an editable install has them in ``resources/samples``.
The files origin serves them at ``/samples/<name>``, so ``url`` mode has something to fetch.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def samples_dir() -> Path:
    """The folder of sample inputs."""
    packaged = files("jobmonitor").joinpath("_resources", "samples")
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "resources" / "samples"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"the sample inputs are missing: neither {packaged} nor {source}")


def sample_names() -> list[str]:
    """The sample files' names, sorted."""
    return sorted(p.name for p in samples_dir().iterdir() if p.is_file())


def sample_bytes(name: str) -> bytes | None:
    """A sample's content, or None for a name that is not one (no paths, no dot files)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = samples_dir() / name
    return path.read_bytes() if path.is_file() else None

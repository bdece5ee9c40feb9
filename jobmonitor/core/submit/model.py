"""What a submission plan holds and what a submission produced (plain data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from jobmonitor.api.errors import ApiError
from jobmonitor.api.models import JobSnapshot
from jobmonitor.api.tools import Tool


@dataclass(frozen=True, slots=True)
class Planned:
    """One input, checked: a URL (``url`` mode), a file (uploaded, then ``file`` mode), or a
    file's content sent in ``body`` mode."""

    source: str  # what the user gave: a path or a URL
    mode: str  # "url" | "file" | "body"
    label: str  # the original name or the URL: the job's label
    path: Path | None = None
    upload_name: str | None = None  # the name fitted to the provider's rule (file mode)
    size: int | None = None


@dataclass(frozen=True, slots=True)
class PlanProblem:
    source: str
    error: ApiError


@dataclass(frozen=True, slots=True)
class Plan:
    """Every input checked before anything is sent: submit only when ``problems`` is empty."""

    tool: Tool
    headers: Mapping[str, str]  # the option headers, checked
    options: Mapping[str, str]
    items: tuple[Planned, ...]
    problems: tuple[PlanProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)


@dataclass(frozen=True, slots=True)
class Submission:
    """A job the API accepted (or, in body mode, a result already finished)."""

    tool: str
    source: str
    label: str
    mode: str
    job_id: str
    status: str  # "accepted" (or another status the answer gave); "success" for body mode
    status_url: str | None = None
    request_id: str | None = None
    upload_id: str | None = None
    upload_key: str | None = None
    snapshot: JobSnapshot | None = None  # body mode: the finished job, to record as such
    raw: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


class UploadJournal(Protocol):
    """Where a submitter notes the uploads it has asked for and not yet settled, so that an
    upload a crash left half-submitted can be deleted at the next start."""

    def opened(self, upload_id: str, name: str) -> None:
        """An upload exists at the API and no job uses it yet."""

    def settled(self, upload_id: str) -> None:
        """The upload is a job's input now, or it is deleted (or was gone)."""


class NoJournal:
    """Notes nothing (the command line: a run that is killed has no next start to clean up)."""

    def opened(self, upload_id: str, name: str) -> None:
        return None

    def settled(self, upload_id: str) -> None:
        return None

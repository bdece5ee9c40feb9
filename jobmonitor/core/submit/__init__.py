"""Starting jobs: plan (check every input before anything is sent), upload, submit.

``Submitter`` is the one entry: ``plan()`` checks the tool, its options and every input (a
file's name and extension, a URL's scheme) and says what is wrong with each; ``submit()`` runs
one planned item (upload then submit for a file; a pending upload is deleted when anything after
it fails, and an ``UploadJournal`` keeps what a crash could leave behind for the next start to
delete). Every request to the API passes a ``RequestGate``, which the composition root wires
to the scheduler's ``RequestBudget`` so polls, submissions and uploads share one budget per API.
"""

from jobmonitor.core.submit.gate import OpenGate, RequestGate, through_gate
from jobmonitor.core.submit.model import (
    NoJournal,
    Plan,
    Planned,
    PlanProblem,
    Submission,
    UploadJournal,
)
from jobmonitor.core.submit.submitter import Submitter

__all__ = [
    "NoJournal",
    "OpenGate",
    "Plan",
    "PlanProblem",
    "Planned",
    "RequestGate",
    "Submission",
    "Submitter",
    "UploadJournal",
    "through_gate",
]

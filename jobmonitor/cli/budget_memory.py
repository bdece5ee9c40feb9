"""What the command line keeps of an API's request budget between runs, as the desktop app does.

A ``watch`` (or ``submit``) starts from what an earlier run, or the desktop app, learned of that
base URL's budget within a day (``core.settings``): the limit a 429 taught, whether it is still
provisional, the kind of limit, how far the pace grew without one. So a second run pays neither
the first one's 429 nor its ramp from the start pace again. It is saved only when a run learned
something new: reading settings that exist and writing them loads Qt (about 45 ms).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from jobmonitor.cli.common import saved_settings_may_hold

if TYPE_CHECKING:
    from jobmonitor.core.polling.budget import RequestBudget

Memory = tuple[int | None, int, bool, str]  # RequestBudget.memory


def recall(budget: RequestBudget, base_url: str) -> Memory:
    """Start ``budget`` from what was saved for ``base_url``; return its memory as it starts."""
    if saved_settings_may_hold("limits"):
        from jobmonitor.core.settings import BUDGET_MEMORY_AGE, Settings

        budget.recall(*Settings().budget_memory(base_url, time.time(), BUDGET_MEMORY_AGE))
    return budget.memory


def remember(budget: RequestBudget, base_url: str, recalled: Memory) -> None:
    """Save what this run learned of the budget, if it learned anything: a value only recalled
    is not saved again, so it expires unless a run confirms it."""
    memory = budget.memory
    if memory == recalled:
        return
    from jobmonitor.core.settings import BudgetMemory, Settings

    settings = Settings()
    settings.set_budget_memory(base_url, BudgetMemory(*memory), time.time())
    settings.sync()


__all__ = ["recall", "remember"]

"""Polling: when to ask the API about which job, within one shared request budget.

Public faces: ``scheduler.PollScheduler`` (plain asyncio, shared by GUI and CLI), ``queue`` (the
due-time queue and per-job plans), ``budget.RequestBudget`` (the sliding-window request budget),
``health.ApiHealth`` (online / unreachable / key rejected), ``session.PollingSession`` (one API's
client + scheduler), ``controller.PollingController`` (the Qt adapter).
"""

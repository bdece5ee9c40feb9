"""Fixtures for the API client tests (shared with tests/cli through helpers/apifixtures.py)."""

from apifixtures import client, clock, http, server, world

__all__ = ["client", "clock", "http", "server", "world"]

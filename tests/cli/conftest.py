"""Fixtures for the command-line tests: the simulator on a real loopback socket (helpers/apifixtures.py)."""

from apifixtures import client, clock, http, server, world

__all__ = ["client", "clock", "http", "server", "world"]

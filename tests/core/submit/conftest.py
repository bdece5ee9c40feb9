"""Fixtures for the submission tests: the simulator on a real socket (tools, uploads, storage)."""

from apifixtures import clock, http, server, world

__all__ = ["clock", "http", "server", "world"]

"""Orchestration: watch-list store, poll scheduler, downloads, credentials, settings (QtCore at most)."""

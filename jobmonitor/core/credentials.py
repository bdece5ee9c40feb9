"""The API key in the OS keyring (service ``jobmonitor``, account = API origin).

Minimal first version (environment, then keyring); the credentials issue extends it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from jobmonitor import KEYRING_SERVICE

ENV_KEY = "JOBMONITOR_API_KEY"


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    SESSION = "session"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class KeyLookup:
    key: str | None
    source: KeySource
    message: str


class CredentialStore:
    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def get_sync(self, origin: str) -> KeyLookup:
        env = os.environ.get(ENV_KEY, "").strip()
        if env:
            return KeyLookup(env, KeySource.ENVIRONMENT, f"using the key from ${ENV_KEY}")
        import keyring

        key = keyring.get_password(self._service, origin)
        if key:
            return KeyLookup(key, KeySource.KEYRING, "using the key from the OS keyring")
        return KeyLookup(None, KeySource.NONE, f"no API key stored for {origin}")

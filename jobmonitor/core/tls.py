"""Which certificates HTTPS trusts: the OS trust store, unless the user or the environment says else.

By default verification goes through ``truststore`` (the Windows and macOS certificate stores,
the distribution's store on Linux), so a company's TLS-inspection CA that the browser trusts is
trusted here too, where certifi's bundle would refuse it. Overrides, first match wins:

1. ``SSL_CERT_FILE`` (a PEM bundle), 2. ``SSL_CERT_DIR`` (a hashed folder, as OpenSSL reads),
3. the CA-bundle setting (a PEM file or such a folder), 4. the OS trust store.

An override replaces the trust store rather than adding to it, as it does for curl and OpenSSL.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import truststore


class TrustConfigError(Exception):
    """An override names a file or folder that cannot be used; ``str()`` says which and why."""


@dataclass(frozen=True, slots=True)
class Trust:
    context: ssl.SSLContext
    source: str  # for diagnostics and error messages: "the OS trust store", "SSL_CERT_FILE=…"


def trust_context(ca_bundle: str = "", environ: Mapping[str, str] | None = None) -> Trust:
    """The SSL context every HTTPS client of the app (GUI and CLI) verifies servers with."""
    env = os.environ if environ is None else environ
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        value = env.get(variable, "").strip()
        if value:
            return Trust(_from_path(Path(value), f"{variable}={value}"), f"{variable}={value}")
    if ca_bundle.strip():
        where = ca_bundle.strip()
        return Trust(_from_path(Path(where), f"the CA bundle setting ({where})"), where)
    return Trust(truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT), "the OS trust store")


def _from_path(path: Path, named: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies and checks host names
    try:
        if path.is_dir():
            context.load_verify_locations(capath=str(path))
        else:
            context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise TrustConfigError(f"{named}: no such file or folder") from None
    except (OSError, ssl.SSLError, ValueError) as exc:
        why = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        raise TrustConfigError(f"{named}: not a PEM certificate bundle ({why})") from None
    return context

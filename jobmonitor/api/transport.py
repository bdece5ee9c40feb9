"""How httpx's transport faults read, in one wording for the Status API and the file servers."""

from __future__ import annotations

import httpx

from jobmonitor.api.certs import certificate_problem


def describe_transport_error(exc: httpx.TransportError, peer: str = "the API") -> str:
    """A lower-case phrase for a network fault talking to ``peer`` (callers capitalise it)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out: {peer} stopped answering ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        problem = certificate_problem(exc)
        if problem is not None:  # not a network fault: it needs a CA, retrying will not help
            return f"cannot connect to {peer}: {problem}"
        return f"cannot connect to {peer}" + (f": {exc}" if str(exc) else "")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"the connection to {peer} dropped"
    return f"network error talking to {peer} ({type(exc).__name__})"

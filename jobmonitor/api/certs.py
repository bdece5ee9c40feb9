"""Certificate failures in words: what a refused TLS handshake means and where to set a CA."""

from __future__ import annotations

import ssl

_HINT = (
    "If your network inspects HTTPS (a company proxy), save its CA certificate as the CA bundle "
    "in Settings, or point SSL_CERT_FILE at it"
)


def certificate_problem(exc: BaseException) -> str | None:
    """The explanation for a connection that failed on the server's certificate, else None.

    httpx wraps httpcore's error, which wraps the ``ssl`` one: the cause chain is walked.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            why = current.verify_message or current.reason or "verification failed"
            return f"the server's certificate is not trusted ({why}). {_HINT}"
        current = current.__cause__ or current.__context__
    return None

"""URLs of the provider's APIs: origins, what may carry the key, and the one redirect rule.

Every request the app makes goes through these rules, for the Status API and the file origins
alike: a URL must be HTTPS (plain HTTP only to a loopback address); the key header is attached per
request and only when the request's origin is the API's (never as a client default, since httpx
strips ``Authorization`` on a cross-origin redirect but not custom headers); redirects are
followed by hand, each hop checked by these same rules.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit

from jobmonitor.api.errors import InsecureUrl

KEY_HEADER = "x-api-key"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 3


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("https", 443), ("http", 80)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":  # not *.localhost: some resolvers send those to the network
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url_security(url: str) -> None:
    """Refuse anything but HTTPS, except plain HTTP to a loopback address; a URL that does not
    parse (a port that is no number or out of range, a broken IPv6 address); and one with a user
    name or password in it (said without echoing the URL, which would print the password)."""
    if "@" in _netloc(url):
        raise InsecureUrl(
            "the URL holds a user name or password (user:pass@...); remove it: the API key is "
            "the only credential"
        )
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise InsecureUrl(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureUrl(f"not an http(s) URL: {url!r}")
    raise InsecureUrl(
        f"refusing plain http:// to {parts.hostname}: the key is sent over HTTPS only "
        "(http is allowed for loopback addresses)"
    )


def _netloc(url: str) -> str:
    """The authority part of a URL, found without parsing it (a broken one must not raise)."""
    rest = url.strip().split("://", 1)[-1]
    for end in "/?#":
        rest = rest.split(end, 1)[0]
    return rest


def normalize_base_url(url: str) -> str:
    """Trim a base URL and drop a trailing slash; validate its scheme and host."""
    url = url.strip().rstrip("/")
    check_url_security(url)
    return url


def with_key(headers: dict[str, str], url: str, api_origin: str, key: str | None) -> dict[str, str]:
    """``headers`` plus the key header when ``url`` is on the API's origin (and a key is set)."""
    if key and origin_of(url) == api_origin:
        headers[KEY_HEADER] = key
    return headers


def redirect_target(url: str, status: int, location: str | None) -> str | None:
    """Where a redirect answer points (``Location`` resolved against ``url``), or None when
    ``status`` is no redirect. The target still has to pass ``check_url_security`` and, for
    the key, ``with_key``: the caller decides whether another origin may be followed at all.
    Raises ValueError for a redirect without a Location."""
    if status not in REDIRECT_STATUSES:
        return None
    if not location:
        raise ValueError(f"redirect {status} without a Location")
    return urljoin(url, location)

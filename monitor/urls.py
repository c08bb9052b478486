"""URL canonical form: one article, one URL, whatever tracking junk a feed adds."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
_TRACKING_KEYS = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ocid",
                  "cmpid", "_ga", "_hsenc", "_hsmi", "mkt_tok", "spm", "at_medium",
                  "at_campaign"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str, base: str = "") -> str:
    """Absolute, lower-case scheme and host, no default port, fragment or tracking params.

    Returns "" for anything that is not an http(s) URL, so a hostile feed cannot smuggle a
    javascript: or data: link into an alert.
    """
    url = (url or "").strip()
    if not url:
        return ""
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _is_tracking(k)], doseq=True)
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING_KEYS or key.startswith(_TRACKING_PREFIXES)

"""Which outlet an article comes from, so a story can say how many independent outlets carry it.

Two sources are one outlet when their articles live under the same registrable domain
(`bbc.co.uk` for `www.bbc.co.uk` and `news.bbc.co.uk`; `reuters.com` for its twenty feeds):
five Reuters feeds carrying one wire story are not five confirmations. The registrable
domain is the public suffix (from the Public Suffix List, as the `publicsuffixlist` package
ships it, offline) plus one label; private suffixes count, so two blogs on `blogspot.com`
are two outlets. An address without a registrable domain (an IP address, `localhost`, a
name under an unlisted suffix) stands for itself.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

_psl = None
_psl_lock = threading.Lock()


def _suffixes():
    """The list, read once per process on first use (about 0.1 s), not at import."""
    global _psl
    if _psl is None:
        with _psl_lock:
            if _psl is None:
                from publicsuffixlist import PublicSuffixList

                _psl = PublicSuffixList()
    return _psl


def outlet_of(url: str) -> str:
    """The outlet of an article's URL: its registrable domain, lower case; "" when the URL
    names no host."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return _outlet_of_host(host.rstrip("."))


@lru_cache(maxsize=4096)
def _outlet_of_host(host: str) -> str:
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()
    return _suffixes().privatesuffix(host) or host


def outlet(url: str, source: str) -> str:
    """The outlet an entry counts for: its URL's, else its source's own name (a source whose
    items carry no link still counts once)."""
    return outlet_of(url) or f"source:{source}"


def independent(outlets: Iterable[str]) -> int:
    """How many distinct outlets among these."""
    return len({name for name in outlets if name})

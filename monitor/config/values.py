"""Values people write in config files (durations, sizes, cron lines, time zones, IP blocks,
the state URL) and the annotated types that validate them where they are written.

Each parser raises ValueError with what is wrong and an example of what is right; pydantic
turns that into a problem at the value's file:line:col (problems.py).
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ValidationInfo, WithJsonSchema

from monitor.records import PRIORITIES, Priority

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.I)
_SIZE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
STATE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


def parse_duration(value: Any) -> float:
    """'90s', '5m', '1h30m', '7d' or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m, 2h or 7d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value).strip().lower()
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if text[pos : m.start()].strip():
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos == 0 or text[pos:].strip():
        raise ValueError(
            f"bad duration '{value}': use a number and a unit, such as 30s, 5m, 2h, 1h30m or 7d"
        )
    return total


def format_duration(seconds: float) -> str:
    """Seconds as people read them: 45s, 5m, 1.5h, 2d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


def parse_size(value: Any) -> int:
    """'10MB', '512KiB' or a number of bytes → bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(str(value))
    if not m or isinstance(value, bool):
        raise ValueError(f"bad size '{value}': use a number and a unit, such as 512KB or 10MB")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A crontab line (minute hour day month weekday) as an APScheduler trigger.

    APScheduler is imported here, by the first digest line checked: importing it costs a
    tenth of a second, which a configuration without digests need not pay."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
    except ValueError as err:
        raise ValueError(
            f"bad cron '{expression}': {err} (use minute hour day month weekday, e.g. '0 8 * * *')"
        ) from None


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone '{value}' (e.g. UTC, Europe/Paris, Asia/Damascus)"
        ) from None
    return value


def ip_block(value: Any) -> str:
    """An IP address or CIDR block, normalised: '10.1.2.3/8' → '10.0.0.0/8'."""
    if not isinstance(value, str):
        raise ValueError(f"expected an IP address or CIDR block as a string, found {value!r}")
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError(
            f"'{value}' is not an IP address or CIDR block (e.g. 10.0.0.0/8, "
            "192.168.1.20, fd00::/8); host names are not allowed here"
        ) from None


def is_loopback(host: str) -> bool:
    """Whether a listener's host is reachable from this machine only. An empty host binds
    127.0.0.1 (health.serve); a host name other than localhost is not taken on trust, as
    it may resolve to any address."""
    host = host.strip().strip("[]")
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_state_url(value: str) -> str:
    """The store's URL, checked for syntax only (the database is reached when it runs).
    Messages name the scheme, never the URL: it may hold a password."""
    if "\x00" in value:
        raise ValueError("the state URL holds a NUL character (\\0): remove it")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in STATE_SCHEMES:
        found = f" (found {scheme}://)" if sep else ""
        raise ValueError(
            f"expected sqlite:///path/to/monitor.db or postgresql://user@host/db{found}"
        )
    if scheme.lower() == "sqlite" and not rest.startswith("/"):
        raise ValueError(
            "a SQLite state needs three slashes: sqlite:///state/monitor.db "
            "(relative to this file) or sqlite:////var/lib/monitor.db (absolute)"
        )
    if scheme.lower() == "sqlite":
        # SQLAlchemy reads every sqlite:/// URL (tests/test_config.py holds it to that), and
        # importing it would cost `check` a third of a second: only other URLs are parsed.
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(
            f"cannot read this {scheme}:// URL: check the host and port, and "
            "escape special characters in the password (%40 for @)"
        ) from None
    return value


def _known_priority(value: Any, info: ValidationInfo) -> Any:
    if value not in PRIORITIES:
        raise ValueError(f"{info.field_name} must be one of {', '.join(PRIORITIES)}")
    return value


PriorityName = Annotated[Priority, BeforeValidator(_known_priority)]
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+$"},
            ],
            "description": "a duration: 30s, 5m, 2h, 1h30m, 7d, or seconds",
        }
    ),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([kKmMgG]i?[bB]|[bB])?\s*$"},
            ],
            "description": "a size: 512KB, 10MB, 1MiB, or bytes",
        }
    ),
]
IPBlock = Annotated[
    str,
    BeforeValidator(ip_block),
    WithJsonSchema(
        {
            "type": "string",
            "description": "an IP address or CIDR block: 10.0.0.0/8, 192.168.1.20, fd00::/8",
        }
    ),
]

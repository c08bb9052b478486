"""What the matcher is compiled from: rules as plain records, independent of YAML."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.records import Priority


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One watch rule. It fires when every listed category (places, groups, keywords) has
    at least one hit, its query (if any) holds, and none of its exclude terms appears."""

    watchlist: str
    name: str
    places: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    query: str | None = None
    priority: Priority = "normal"
    channels: tuple[str, ...] = ()

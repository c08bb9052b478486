"""What the matcher is compiled from: rules as plain records, independent of YAML.

The config layer turns watchlist files into these (expanding place and group names from the
catalogs into their aliases); the matcher never reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitor.facts.minimums import Minimums
from monitor.records import Corroboration, Priority, SurgeWatch


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase to look for, as the analyst (or a catalog) wrote it.

    `text` may end in `*` (prefix). `exact_case` terms match only as written — short,
    ambiguous aliases such as "IS" or "UN" would otherwise match the words "is" and "un".
    `concept` names what an alias stands for ("Aleppo" for "Halab"), for explanations.
    `name` marks a proper name from a catalog (a place or a group): it matches as written,
    without the plural a keyword gets and without splits the name itself does not have, so
    "Hama" never finds "Hamas" nor "Andover" "and over". `longer` lists longer names that
    contain this one and name something else ("New York" for "York"): a hit inside one of
    them is that name's, not this term's.
    """

    text: str
    weight: float = 1.0
    exact_case: bool = False
    concept: str | None = None
    name: bool = False
    longer: tuple[str, ...] = ()


def terms(*texts: str) -> tuple[Term, ...]:
    """Plain terms from strings: a convenience for tests and simple callers."""
    return tuple(Term(t) for t in texts)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One watch rule. It fires when every listed category (places, groups, events,
    keywords) has at least one hit, its query (if any) holds, none of its exclude terms
    appears, and its score reaches `min_score`.

    `aliases` are the named term lists a query may reference as `@name` (from the
    watchlist's `aliases:`). Category fields accept plain strings too (converted on compile).
    """

    watchlist: str
    name: str
    places: tuple[Term | str, ...] = ()
    groups: tuple[Term | str, ...] = ()
    keywords: tuple[Term | str, ...] = ()
    exclude: tuple[Term | str, ...] = ()
    query: str | None = None
    aliases: Mapping[str, tuple[Term | str, ...]] = field(default_factory=dict)
    priority: Priority = "normal"
    min_score: float = 0.0
    channels: tuple[str, ...] = ()
    mute_until: datetime | None = None  # routing, not matching: no alerts before then
    corroboration: Corroboration | None = None  # routing too: min_sources, wait, …
    surges: tuple[SurgeWatch, ...] = ()  # the rule's and its watchlist's `surge:`
    # `min_killed` …: fires only on an article whose casualty figures prove as many
    minimums: Minimums = Minimums()
    # event types (monitor/catalog/events.py), expanded into their phrases: a category like
    # places and groups, whose hits are reported with kind "event"
    events: tuple[Term | str, ...] = ()

"""Which surge topics an entry counts for: its rules' and watchlists' `surge:` settings, read
against what it matched (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from monitor.pipeline import Found
from monitor.records import Hit, Seen, SurgeWatch, Topic

Surges = Mapping[tuple[str, str], tuple[SurgeWatch, ...]]  # (watchlist, rule) -> its surge:


def with_topics(seen: Seen, found: Found, surges: Surges) -> Seen:
    """The record with the surge topics its entry counts for."""
    topics = topics_of(found, surges) if surges else ()
    return replace(seen, topics=topics) if topics else seen


def topics_of(found: Found, surges: Surges) -> tuple[Topic, ...]:
    """The topics the entry's matches count for, each once: the watchlist, the rule, or
    each place, group or event type the rule matched (what an alias or phrase stands for)."""
    made: dict[str, Topic] = {}
    for match in found.matches:
        for watch in surges.get((match.watchlist, match.rule), ()):
            for key, label in _keys(match.watchlist, match.rule, watch, match.hits):
                made.setdefault(key, Topic(key, label, match.watchlist, match.channels,
                                           watch.window, watch.min_stories))
    return tuple(made.values())


def _keys(watchlist: str, rule: str, watch: SurgeWatch, hits: tuple[Hit, ...]
          ) -> list[tuple[str, str]]:
    if watch.by == "watchlist":
        return [(f"watchlist:{watchlist}", watchlist)]
    if watch.by == "rule":
        return [(f"rule:{watchlist}/{rule}", rule)]
    names = dict.fromkeys(h.concept or h.term for h in hits if h.kind == watch.by)
    return [(f"{watch.by}:{name}", name) for name in names]

"""What each rule asks of a story's outlets, as the story stands when the rule fires.

The pipeline is pure: it is told, per story of a poll, which corroboration settings apply.
`single_source_priority` applies only while one outlet carries the story, counting the
outlets the store knows and the poll's own entries; `min_sources` always travels with the
rule, and the store holds its message (store/corroboration.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from monitor.outlets import outlet
from monitor.pipeline import Found, Needs
from monitor.records import Carrier, Corroboration, Match


class CarrierReader(Protocol):
    """The one read this needs of the store."""

    def story_carriers(self, stories: Iterable[str]) -> Mapping[str, Sequence[Carrier]]: ...


def no_needs(story: str) -> Needs | None:
    """No rule asks anything of any story."""
    return None


def needs_by_story(store: CarrierReader, needs: Mapping[tuple[str, str], Corroboration],
                   found: Sequence[Found], stories: Sequence[str]
                   ) -> Callable[[str], Needs | None]:
    """For each story of the poll, the `needs` callback seen_record takes (None: no rule
    asks for anything). Reads the store only when a rule with single_source_priority fired."""
    if not needs:
        return no_needs
    lowered = {rule for rule, need in needs.items() if need.single_source_priority}
    carried: dict[str, set[str]] = {}
    if lowered and any((m.watchlist, m.rule) in lowered for f in found for m in f.matches):
        known = store.story_carriers(set(stories))
        for f, story in zip(found, stories, strict=True):
            carried.setdefault(story, {c.outlet for c in known.get(story, ())}).add(
                outlet(f.entry.url, f.entry.source))

    def for_story(story: str) -> Needs:
        single = len(carried.get(story, ())) <= 1

        def need(match: Match) -> Corroboration | None:
            asked = needs.get((match.watchlist, match.rule))
            if asked is not None and asked.single_source_priority and not single:
                asked = replace(asked, single_source_priority=None)
            return asked
        return need
    return for_story

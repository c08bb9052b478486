"""Whether a document tells an event as happening, for rules that list `events:`.

A rule's `events: [suicide bombing]` is found by the matcher as a category of phrases, like
places. But an analyst does not code "the army foiled a suicide bombing", "Russia threatened
airstrikes" or "the trial of the bombers" as the event; facts/reported.py reads those cues
for `events_in` and bench/facts.py. The matcher asks the same question of a rule that fired:
it keeps the rule only when at least one of its event hits is told as happening. Each field
is tokenized once per document, on first use, however many rules ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.facts.reported import Reading
    from monitor.records import Hit

EVENT = "event"  # Hit.kind of an `events:` phrase


class HappenedIn:
    """One document's fields, read for event cues on first use (see the module docstring)."""

    __slots__ = ("_texts", "_readings")

    def __init__(self, title: str, text: str) -> None:
        self._texts = {"title": title, "text": text}
        self._readings: dict[str, Reading] = {}

    def any_reported(self, hits: Iterable[Hit]) -> bool:
        """Whether any event hit among `hits` is told as happening (hits of other kinds are
        not asked: a rule listing events has at least one event hit when it fires)."""
        for hit in hits:
            if hit.kind != EVENT:
                continue
            if self._reading(hit.field).reported(hit.start, hit.end, hit.concept or ""):
                return True
        return False

    def _reading(self, field: str) -> Reading:
        reading = self._readings.get(field)
        if reading is None:
            from monitor.facts.reported import Reading  # only documents that fire such rules

            reading = self._readings[field] = Reading(self._texts[field])
        return reading

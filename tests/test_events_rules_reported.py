"""A rule's `events:` fires only where the article tells the event as happening."""

from __future__ import annotations

import pytest

from monitor.catalog.events import shipped_events
from monitor.match import Matcher
from monitor.match.spec import RuleSpec
from monitor.records import Document


def _matcher(*events: str, keywords: tuple[str, ...] = ()) -> Matcher:
    catalog = shipped_events()
    terms = tuple(term for name in events for term in catalog.terms(name))
    spec = RuleSpec(watchlist="w", name="r", events=terms, keywords=keywords)
    return Matcher.compile([spec])


def _fires(matcher: Matcher, text: str, title: str = "") -> bool:
    return bool(matcher.match(Document(title, text)))


@pytest.mark.parametrize(
    "text",
    [
        "Security forces foiled a suicide bombing planned for the market in Azaz.",
        "The group threatened to carry out suicide bombings in Damascus.",
        "The court sentenced two men over the 2016 suicide bombing in Jableh.",
    ],
)
def test_suicide_bombing_rule_ignores_bombings_not_told_as_happening(text: str) -> None:
    assert not _fires(_matcher("suicide bombing"), text)


def test_suicide_bombing_rule_fires_on_a_reported_bombing() -> None:
    text = "A suicide bomber blew himself up at a checkpoint near Atmeh, killing 32 people."
    assert _fires(_matcher("suicide bombing"), text)


def test_one_reported_phrase_is_enough_beside_a_denied_one() -> None:
    text = (
        "Moscow denied its warplanes struck the hospital. "
        "Residents said warplanes struck the market in Maarat al-Numan on Sunday."
    )
    assert _fires(_matcher("airstrike"), text)


def test_airstrike_rule_ignores_a_denial_alone() -> None:
    assert not _fires(_matcher("airstrike"), "Moscow denied that its warplanes struck the town.")


def test_title_phrase_is_read_in_the_title() -> None:
    matcher = _matcher("airstrike")
    assert _fires(matcher, "Rescuers dug through rubble.", title="Warplanes struck Idlib overnight")


def test_rules_without_events_are_not_read_for_cues() -> None:
    spec = RuleSpec(watchlist="w", name="k", keywords=("suicide bombing",))
    text = "Security forces foiled a suicide bombing planned for the market in Azaz."
    assert Matcher.compile([spec]).match(Document("", text))

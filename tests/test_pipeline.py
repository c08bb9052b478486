"""The pure core from entry to alert: which alerts an entry raises and what they show."""

from __future__ import annotations

from monitor.match import Matcher
from monitor.match.spec import RuleSpec
from monitor.pipeline import examine, focus, seen_record
from monitor.records import Entry, Hit
from monitor.stories import story_key


def hit(term: str, start: int) -> Hit:
    return Hit(term=term, field="text", start=start, end=start + len(term))


def test_focus_prefers_the_stretch_with_the_most_different_terms():
    hits = [hit("Aleppo", i * 10) for i in range(8)] + [hit("Aleppo", 500),
                                                        hit("airstrike", 520)]
    assert focus(hits, 100) == [(500, 506), (520, 529)]


def test_focus_of_no_hits_is_empty():
    assert focus([], 240) == []


def test_an_entry_raises_one_alert_per_rule_and_channel_with_the_matched_words():
    rules = [RuleSpec("w", "Fighting", places=("Aleppo",), keywords=("airstrike",),
                      priority="high", channels=("desk", "ops")),
             RuleSpec("w", "Ceasefire", keywords=("ceasefire",), channels=("desk",))]
    entry = Entry(source="S", key="k", url="https://e.org/1", title="Aleppo under fire",
                  summary="Air strikes hit eastern Aleppo overnight.")
    found = examine(entry, Matcher.compile(rules))
    seen = seen_record(found)
    assert seen.story == story_key(entry)
    assert [(c, a.rule) for c, a in seen.alerts] == [("desk", "Fighting"), ("ops", "Fighting")]
    alert = seen.alerts[0][1]
    assert alert.priority == "high" and alert.terms == ("Aleppo", "airstrike")
    marked = {alert.snippet.text[s:e] for s, e in alert.snippet.marks}
    assert marked == {"Air strikes", "Aleppo"}


def test_story_key_ignores_tracking_differences_but_not_different_articles():
    a = Entry(source="A", key="1", url="https://e.org/x", title="T", summary="")
    b = Entry(source="B", key="2", url="https://e.org/x", title="Other title", summary="")
    c = Entry(source="B", key="3", url="https://e.org/y", title="T", summary="")
    assert story_key(a) == story_key(b) != story_key(c)

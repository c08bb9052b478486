"""The matcher's fast record constructors build exactly what the records' own constructors do."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.match.construct import positional
from monitor.records import Hit, Match, Point

texts = st.text(max_size=8)
maybe = st.none() | texts


@given(texts, st.sampled_from(["title", "text"]), st.integers(0, 10**6), st.integers(0, 10**6),
       maybe, st.sampled_from([None, "place", "group"]),
       st.sampled_from([None, Point(36.2, 37.16), Point(36.08, 37.37, 23.5, "Aleppo", 30.0)]))
def test_a_fast_hit_equals_the_hit_its_constructor_makes(term, field, start, end, concept, kind,
                                                         point):
    made = positional(Hit)(term, field, start, end, concept, kind, point)
    expected = Hit(term, field, start, end, concept, kind, point)
    assert made == expected and hash(made) == hash(expected) and type(made) is Hit


def test_a_fast_match_equals_the_match_its_constructor_makes_and_stays_frozen():
    hits = (Hit("Aleppo", "text", 0, 6, "Aleppo", "place"),)
    made = positional(Match)("w", "r", "high", 2.0, hits, ("slack",))
    assert made == Match("w", "r", "high", 2.0, hits, ("slack",))
    with pytest.raises(AttributeError):
        made.score = 3.0  # type: ignore[misc]


def test_records_whose_constructor_does_more_are_refused():
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            assert self.value >= 0

    @dataclass(frozen=True)
    class Unslotted:
        value: int

    for cls in (Checked, Unslotted):
        with pytest.raises(TypeError):
            positional(cls)

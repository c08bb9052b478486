"""Query limits: length, terms and nesting are refused with a clear error at the right place,
and every query within them parses and compiles (no recursion limit reached)."""

from __future__ import annotations

import inspect
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, QueryError, parse_query
from monitor.match.query import MAX_DEPTH, MAX_LENGTH, MAX_TERMS
from monitor.match.spec import RuleSpec
from monitor.records import Document


def compiles(query: str) -> Matcher:
    return Matcher.compile([RuleSpec("w", "r", keywords=("anchor",), query=query)])


def parens(levels: int) -> str:
    return "(" * levels + "aid" + ")" * levels


def test_the_limits_leave_room_for_real_queries() -> None:
    longest_shipped = '(ICRC OR "Red Cross") NEAR/15 (aid OR humanitarian) AND NOT football'
    assert len(longest_shipped) * 20 < MAX_LENGTH
    assert (MAX_DEPTH, MAX_LENGTH, MAX_TERMS) == (32, 2000, 200)


def test_a_query_nested_to_the_limit_parses_compiles_and_matches() -> None:
    matcher = compiles(parens(MAX_DEPTH))
    assert matcher.match(Document("anchor", "aid"))


@pytest.mark.parametrize("query", [
    parens(MAX_DEPTH),
    "a " + "NOT " * MAX_DEPTH + "b",
    "a AND title:" + "(x OR NOT " * (MAX_DEPTH // 2) + "b" + ")" * (MAX_DEPTH // 2),
])
def test_at_the_limit_parse_and_compile_need_under_300_frames(query: str) -> None:
    """Python allows 1,000 frames by default: the caller keeps most of them."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 300)
    try:
        compiles(query)
    finally:
        sys.setrecursionlimit(limit)


def test_one_level_more_is_refused_at_the_first_paren_too_deep() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(parens(MAX_DEPTH + 1))
    assert caught.value.position == MAX_DEPTH
    assert caught.value.message.startswith(
        f"query nests {MAX_DEPTH + 1} levels deep (parentheses and NOTs, one inside another); "
        f"at most {MAX_DEPTH} are allowed")


def test_a_query_200_levels_deep_is_a_query_error_not_a_recursion_error() -> None:
    with pytest.raises(QueryError, match=r"query nests 200 levels deep .*; at most 32 are "):
        compiles(parens(200))


@pytest.mark.parametrize("query, depth", [
    ("a " + "NOT " * MAX_DEPTH + "b", MAX_DEPTH),
    ("a AND " + "NOT (" * (MAX_DEPTH // 2) + "b" + ")" * (MAX_DEPTH // 2), MAX_DEPTH),
    ("a " + "NOT " * (MAX_DEPTH + 1) + "b", MAX_DEPTH + 1),
    ("a AND title:" + "(x OR NOT " * 17 + "b" + ")" * 17, 34),
    ("NOT a AND NOT b AND (NOT c OR (d))", 2),
])
def test_nots_count_as_levels_like_parentheses(query: str, depth: int) -> None:
    if depth <= MAX_DEPTH:
        assert compiles(query).rule_count == 1
    else:
        with pytest.raises(QueryError, match=f"query nests {depth} levels deep"):
            parse_query(query)


def test_length_limit_names_the_length_and_the_way_out() -> None:
    words = " OR ".join(f"w{i}" for i in range(190))
    assert len(words) <= MAX_LENGTH and compiles(words).rule_count == 1
    long = "x" * (MAX_LENGTH + 1)
    with pytest.raises(QueryError) as caught:
        parse_query(long)
    assert caught.value.position == MAX_LENGTH
    assert "query is 2,001 characters long; at most 2,000 are allowed" in caught.value.message
    assert "aliases:" in caught.value.message
    assert compiles("x" * MAX_LENGTH).rule_count == 1


def test_term_limit_points_at_the_first_term_over_it() -> None:
    at_limit = " ".join(["a"] * MAX_TERMS)
    assert compiles(at_limit).rule_count == 1
    over = at_limit + ' OR "b c"'
    with pytest.raises(QueryError) as caught:
        parse_query(over)
    assert caught.value.position == len(at_limit) + 4
    assert "query has 201 terms (words, phrases and @aliases); at most 200" in str(caught.value)


# A random query: words, phrases, aliases, NOT, field scopes and groups of AND/OR, nested up
# to a few levels past the limit. Whatever it is, parsing and compiling either succeed or
# raise QueryError: never RecursionError, SyntaxError from the generated code, or another.

LEAVES = ["aid", '"Red Cross"', "@x", "bomb*", "title:aid", "text:(a OR b)"]


@st.composite
def nested_queries(draw: st.DrawFn) -> str:
    query = draw(st.sampled_from(LEAVES))
    for _ in range(draw(st.integers(0, MAX_DEPTH + 4))):
        wrap = draw(st.sampled_from(["NOT {}", "({})", "title:({})", "pair"]))
        if wrap == "pair":
            joiner = draw(st.sampled_from([" AND ", " OR ", " "]))
            query = f"({draw(st.sampled_from(LEAVES))}{joiner}{query})"
        else:
            query = wrap.format(query)
    return query


@settings(max_examples=200, deadline=None)
@given(nested_queries())
def test_random_nesting_parses_and_compiles_or_is_a_query_error(query: str) -> None:
    spec = RuleSpec("w", "r", keywords=("anchor",), query=query, aliases={"x": ("aid",)})
    try:
        matcher = Matcher.compile([spec])
    except QueryError as err:
        assert "levels deep" in err.message or "inside 'title:(...)'" in err.message
        return
    matcher.match(Document("anchor aid", "Red Cross bombing"))

"""Tests of the rule matcher: hard cases by hand, the query language, and a property test
against a brute-force oracle that re-implements the matching rules in the simplest way."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, QueryError, parse_query
from monitor.match import query as query_module
from monitor.match.spec import RuleSpec, Term
from monitor.records import Document, Hit, Match

# ------------------------------------------------------------------------------- helpers


def rule(name: str = "r", watchlist: str = "w", **kwargs: Any) -> RuleSpec:
    return RuleSpec(watchlist, name, **kwargs)


def run(spec: RuleSpec, text: str = "", title: str = "") -> list[Match]:
    return Matcher.compile([spec]).match(Document(title=title, text=text))


def fires(spec: RuleSpec, text: str = "", title: str = "") -> bool:
    return bool(run(spec, text, title))


def surfaces(term: str | Term, text: str) -> list[str]:
    """What a one-keyword rule highlights in `text` (empty when it does not fire)."""
    matches = run(rule(keywords=(term,)), text)
    return [text[hit.start : hit.end] for m in matches for hit in m.hits]


# ----------------------------------------------------------------- words and their variants

AIRSTRIKE_FORMS = [
    "airstrike",
    "airstrikes",
    "air strike",
    "air strikes",
    "air-strike",
    "Air-Strikes",
    "AIRSTRIKES",
]


@pytest.mark.parametrize("form", AIRSTRIKE_FORMS)
def test_airstrike_matches_spaced_and_hyphenated_forms(form: str) -> None:
    assert surfaces("airstrike", f"Reports of {form} today.") == [form]


@pytest.mark.parametrize("form", AIRSTRIKE_FORMS)
def test_spaced_term_matches_joined_and_hyphenated_forms(form: str) -> None:
    assert surfaces("air strike", f"Reports of {form} today.") == [form]
    assert surfaces("air-strike", f"Reports of {form} today.") == [form]


HARD_CASES = [
    # word boundaries
    ("strike", "an airstrike", []),  # no match inside a word
    ("Aleppo", "Aleppoville", []),
    ("Aleppo", "in_Aleppo", ["Aleppo"]),  # underscore separates words
    ("Aleppo", "(Aleppo), «Aleppo»", ["Aleppo", "Aleppo"]),
    ("UN", "un peu", ["un"]),  # case is ignored unless the term is exact_case
    # prefixes: still from the start of a word
    ("strike*", "an airstrike", []),
    ("strike*", "strikes, striker", ["strikes", "striker"]),
    ("bomb*", "bomb, bombing, Bombers", ["bomb", "bombing", "Bombers"]),
    ("bomb*", "an A-bomb", ["bomb"]),
    ("bomb*", "abomb", []),
    ("suicide bomb*", "suicide-bombers struck", ["suicide-bombers"]),
    # plurals and possessives
    ("strike", "strikes and strike's aftermath", ["strikes", "strike"]),
    ("city", "two cities", ["cities"]),
    ("bus", "buses", ["buses"]),
    ("ceasefire", "cease-fires and cease fire", ["cease-fires", "cease fire"]),
    ("ISIS", "ISIS's fighters and ISIS\u2019s claim", ["ISIS", "ISIS"]),
    ("ISIS's", "ISIS's fighters", ["ISIS's"]),
    # short words are not joined across spaces, hyphens always join
    ("Iran", "I ran home", []),
    ("Isa", "this is a test", []),
    ("Assad", "just as sad", []),
    ("alQaeda", "al-Qaeda", ["al-Qaeda"]),
    ("al Qaeda", "AlQaeda", ["AlQaeda"]),  # the term's own split always matches
    # phrases keep working across any separators
    ("Red Cross", "the Red  Cross, the red-cross", ["Red  Cross", "red-cross"]),
    ("Bab al-Hawa", "at Bab al Hawa crossing", ["Bab al Hawa"]),
]


@pytest.mark.parametrize(("term", "text", "expected"), HARD_CASES)
def test_word_boundaries_prefixes_plurals_and_joins(
    term: str, text: str, expected: list[str]
) -> None:
    assert surfaces(term, text) == expected


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Aleppo", "ALEPPO"),
        ("Aleppo", "Alepp\u00f3"),  # precomposed accent
        ("Aleppo", "Aleppo\u0301"),  # decomposed accent stays inside the word
        ("Aleppo", "A\u0301leppo"),  # ... also in the middle of it
        ("Alepp\u00f3", "aleppo"),  # accents in the term are ignored too
        ("Stra\u00dfe", "STRASSE"),  # casefold: sharp s
        ("strasse", "Stra\u00dfe"),  # ... both ways
        ("\ufb01re", "fire"),  # compatibility ligature
        ("fire", "\ufb01re"),
    ],
)
def test_case_and_diacritics_are_ignored(term: str, text: str) -> None:
    assert surfaces(term, f"x {text} y") == [text]


def test_offsets_stay_right_after_letters_that_fold_to_several() -> None:
    text = "Stra\u00dfe \ufb01re \u00bd Aleppo"  # ß -> ss, ﬁ -> fi, ½ -> 12: all longer
    assert surfaces("Aleppo", text) == ["Aleppo"]
    assert surfaces("fire", text) == ["\ufb01re"]


# ---------------------------------------------------------------------------- Arabic text

HALAB = "حلب"  # Aleppo


@pytest.mark.parametrize(
    ("term", "text"),
    [
        (HALAB, "حَلَب"),  # harakat
        ("حَلَب", HALAB),
        (HALAB, "حـلب"),  # tatweel
        (HALAB, "حــــلب"),
        ("ادلب", "إدلب"),  # Idlib: alef with hamza below
        ("إدلب", "ادلب"),
        ("احمد", "أحمد"),  # alef with hamza above
        ("امنه", "آمنة"),  # alef with madda, taa marbuta
        ("الله", "ٱلله"),  # alef wasla
        ("حماة", "حماه"),  # Hama: taa marbuta / heh
        ("مصطفى", "مصطفي"),  # alef maqsura / yeh
        ("موتمر", "مؤتمر"),  # waw with hamza
        ("مسايل", "مسائل"),  # yeh with hamza
        ("كرد", "کرد"),  # Persian keheh
        ("ايران", "ایران"),  # Farsi yeh
    ],
)
def test_arabic_spellings_fold_together(term: str, text: str) -> None:
    assert surfaces(term, f"في {text} اليوم") == [text]


def test_arabic_term_respects_word_boundaries() -> None:
    assert surfaces(HALAB, "حلباوي") == []
    assert surfaces(HALAB, "مطحلب") == []


@pytest.mark.parametrize("word", ["وحلب", "بحلب", "لحلب", "الحلب", "وبحلب", "والحلب", "بالحلب"])
def test_arabic_term_matches_after_a_clitic_and_hit_covers_the_word(word: str) -> None:
    assert surfaces(HALAB, f"قصف {word} اليوم") == [word]


def test_arabic_clitics_are_only_prefixes_to_a_whole_term() -> None:
    assert surfaces(HALAB, "قصف كحلب") == []  # ك is not one of the clitics
    assert surfaces(HALAB, "قصف وحلبي") == []  # the word goes on after the term
    assert surfaces("قم", "بقم") == []  # two letters: too short for clitics


def test_exact_case_turns_arabic_clitics_off() -> None:
    # The documented risk: Lebanon is ل + "بنان"; an exact term is matched only as written.
    assert surfaces("بنان", "زار لبنان") == ["لبنان"]
    assert surfaces(Term("بنان", exact_case=True), "زار لبنان") == []


# ------------------------------------------------------------------------------ exact case


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("IS", "IS claimed the attack", ["IS"]),
        ("IS", "it is claimed", []),
        ("IS", "Is it?", []),
        ("IS", "ISIS claimed", []),
        ("UN", "the UN said", ["UN"]),
        ("UN", "un peu", []),
        ("UN", "the U.N. said", []),  # the split "U.N" has one-letter words
        ("U.N.", "the U.N. said", ["U.N"]),
        ("UN", "UNs", []),  # no plurals for exact terms
        ("UN*", "UNHCR and Unicef", ["UNHCR"]),
    ],
)
def test_exact_case_terms_match_only_as_written(term: str, text: str, expected: list[str]) -> None:
    assert surfaces(Term(term, exact_case=True), text) == expected


# ----------------------------------------------------------------------- hits and scoring


def test_overlapping_terms_both_hit() -> None:
    text = "shelling in Aleppo province"
    (match,) = run(rule(places=("Aleppo", "Aleppo province")), text)
    assert [(h.term, text[h.start : h.end]) for h in match.hits] == [
        ("Aleppo", "Aleppo"),
        ("Aleppo province", "Aleppo province"),
    ]


def test_offsets_point_at_the_original_text() -> None:
    text = "\U0001f4f0 Breaking:  AIR\u2011STRIKES on \u00abAlepp\u00f3\u00bb \u2014 "
    text += "a\u0301irstrike"
    (match,) = run(rule(keywords=("airstrike", "Aleppo")), text)
    assert [text[h.start : h.end] for h in match.hits] == [
        "AIR\u2011STRIKES",
        "Alepp\u00f3",
        "a\u0301irstrike",
    ]


def test_hits_are_in_reading_order_title_first() -> None:
    (match,) = run(rule(keywords=("aid", "ICRC")), text="ICRC brings aid", title="Aid convoy")
    assert [(h.field, h.term, h.start) for h in match.hits] == [
        ("title", "aid", 0),
        ("text", "ICRC", 0),
        ("text", "aid", 12),
    ]


def test_hits_are_in_reading_order_far_into_a_long_text() -> None:
    # Sort keys are sized to the document: offsets past 16 bits and hits that share a
    # start (a word and a prefix of it) still come out by (field, start, end, term).
    filler = "word " * 30_000
    text = f"{filler}aid workers {filler}aiding aid"
    (match,) = run(rule(keywords=("aid*", "aid")), text=text, title="aid")
    assert [(h.field, h.term, h.start, h.end) for h in match.hits] == [
        ("title", "aid", 0, 3),
        ("title", "aid*", 0, 3),
        ("text", "aid", len(filler), len(filler) + 3),
        ("text", "aid*", len(filler), len(filler) + 3),
        ("text", "aid*", 2 * len(filler) + 12, 2 * len(filler) + 18),
        ("text", "aid", 2 * len(filler) + 19, 2 * len(filler) + 22),
        ("text", "aid*", 2 * len(filler) + 19, 2 * len(filler) + 22),
    ]


def test_hits_carry_the_term_as_written_and_its_concept() -> None:
    spec = rule(
        places=(Term("Halab", concept="Aleppo"), Term("حلب", concept="Aleppo")),
        keywords=("air  strike",),
    )
    (match,) = run(spec, "Air strikes on Halab and حلب")
    assert [(h.term, h.concept) for h in match.hits] == [
        ("air strike", None),
        ("Halab", "Aleppo"),
        ("حلب", "Aleppo"),
    ]


def test_query_and_alias_terms_are_reported_but_negated_ones_are_not() -> None:
    spec = rule(
        query="@aleppo NEAR/3 aid NOT football",
        aliases={"aleppo": (Term("Halab", concept="Aleppo"),)},
    )
    (match,) = run(spec, "aid reached Halab")
    assert [(h.term, h.concept) for h in match.hits] == [("aid", None), ("Halab", "Aleppo")]


def test_score_is_weight_times_two_in_the_title() -> None:
    spec = rule(keywords=(Term("aid", weight=1.5), "convoy"))
    (match,) = run(spec, text="aid and more aid, one convoy", title="Aid")
    assert match.score == 1.5 * 2 + 1.5 + 1.5 + 1


def test_min_score_gates_firing() -> None:
    spec = rule(keywords=(Term("aid", weight=2), "convoy"), min_score=4)
    assert not fires(spec, "aid")  # 2
    assert not fires(spec, "aid and a convoy")  # 3
    assert fires(spec, "aid and aid")  # 4
    assert fires(spec, "convoy", title="aid")  # 2 * 2 + 1


def test_a_term_named_twice_in_a_rule_counts_once_with_its_highest_weight() -> None:
    spec = rule(keywords=(Term("aid", weight=3),), query="aid OR food")
    (match,) = run(spec, "aid")
    assert (len(match.hits), match.score) == (1, 3)


def test_a_text_named_exact_and_not_is_reported_once() -> None:
    spec = rule(groups=(Term("IS", exact_case=True, weight=2),), query="IS")
    (match,) = run(spec, "IS said")
    assert (len(match.hits), match.score) == (1, 2)


def test_negative_terms_never_score() -> None:
    spec = rule(keywords=("aid",), query="aid NOT football")
    (match,) = run(spec, "aid aid")
    assert match.score == 2


# ------------------------------------------------------------------------- rule semantics


def test_categories_each_need_a_hit() -> None:
    spec = rule(places=("Aleppo",), keywords=("shelling", "airstrike"))
    assert fires(spec, "Shelling in Aleppo")
    assert not fires(spec, "Shelling in Idlib")
    assert not fires(spec, "Calm in Aleppo")
    assert fires(spec, "Calm today", title="Air strike near Aleppo")


def test_groups_is_a_category_too() -> None:
    spec = rule(groups=("ISIS", "Daesh"), keywords=("claimed responsibility",))
    assert fires(spec, "Daesh claimed responsibility")
    assert not fires(spec, "Daesh denied it")


def test_exclude_term_blocks_the_rule() -> None:
    spec = rule(keywords=("aid",), exclude=("football", Term("match*")))
    assert fires(spec, "aid arrives")
    assert not fires(spec, "aid for the football club")
    assert not fires(spec, "aid before the matches")


def test_priority_and_channels_are_passed_through() -> None:
    spec = rule(
        "Fighting",
        watchlist="syria",
        keywords=("shelling",),
        priority="high",
        channels=("ops-slack", "analysts"),
    )
    (match,) = run(spec, "heavy shelling")
    assert (match.watchlist, match.rule, match.priority, match.channels) == (
        "syria",
        "Fighting",
        "high",
        ("ops-slack", "analysts"),
    )


def test_matches_are_sorted_by_watchlist_then_rule() -> None:
    specs = [
        rule(name, watchlist=wl, keywords=("aid",))
        for wl, name in [("b", "x"), ("a", "z"), ("a", "y")]
    ]
    matcher = Matcher.compile(specs)
    assert matcher.rule_count == 3
    found = matcher.match(Document(title="", text="aid"))
    assert [(m.watchlist, m.rule) for m in found] == [("a", "y"), ("a", "z"), ("b", "x")]


def test_query_not_excludes() -> None:
    spec = rule(query="aid NOT football")
    assert not fires(spec, "aid for football")
    assert fires(spec, "aid for children")


def test_lower_case_operators_are_plain_words() -> None:
    spec = rule(query="rock and roll")
    assert fires(spec, "rock and roll")
    assert not fires(spec, "rock roll")


def test_precedence_not_over_and_over_or() -> None:
    spec = rule(query="aid OR food water NOT rain")  # aid OR (food AND water AND NOT rain)
    assert fires(spec, "aid in the rain")
    assert fires(spec, "food and water")
    assert not fires(spec, "food and water in the rain")
    assert not fires(spec, "food only")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ICRC delivered aid", True),  # 2 words apart
        ("aid from the ICRC", True),  # either order, 3 words apart
        ("aid delivered by the ICRC", False),  # 4 words apart
        ("ICRC said the convoy finally delivered aid", False),  # 6 words apart
        ("The Red Cross: humanitarian corridor", True),  # phrase and OR-group operands
        ("ICRC. Aid", True),  # NEAR counts words straight across a sentence end
        ("ICRC said so.\n\nAid", True),  # ... and a paragraph end
    ],
)
def test_near_counts_words_between_hits(text: str, expected: bool) -> None:
    spec = rule(query='(ICRC OR "Red Cross") NEAR/3 (aid OR humanitarian)')
    assert fires(spec, text) is expected


def test_near_needs_both_hits_in_the_same_field() -> None:
    spec = rule(query="ICRC NEAR/5 aid")
    assert not fires(spec, title="ICRC", text="aid")
    assert fires(spec, title="ICRC aid", text="")


def test_near_does_not_pair_an_occurrence_with_itself() -> None:
    spec = rule(query="(aid OR food) NEAR/2 (food OR water)")
    assert not fires(spec, "food")
    assert fires(spec, "food food")


def test_near_between_overlapping_hits_is_zero() -> None:
    spec = rule(query='Aleppo NEAR/1 "Aleppo province"')
    assert fires(spec, "in Aleppo province")


def test_design_example_query() -> None:
    spec = rule(query='(ICRC OR "Red Cross") NEAR/15 (aid OR humanitarian) AND NOT football')
    assert fires(spec, "The Red Cross said humanitarian access is blocked")
    assert not fires(spec, "The Red Cross said humanitarian football match was cancelled")
    assert not fires(spec, "The Red Cross said nothing")


def test_rule_without_hits_is_not_evaluated_but_rules_with_hits_are() -> None:
    specs = [rule("a", keywords=("aid",)), rule("b", query="water NOT aid")]
    matcher = Matcher.compile(specs)
    assert [m.rule for m in matcher.match(Document("", "water"))] == ["b"]
    assert [m.rule for m in matcher.match(Document("", "aid water"))] == ["a"]
    assert matcher.match(Document("", "nothing here")) == []


def test_rule_is_found_through_any_term_it_needs() -> None:
    # Rules are indexed under their rarest necessary terms; each must still fire.
    specs = [
        rule("common", keywords=("aid",)),
        rule("pair", places=("Aleppo", "Halab"), keywords=("aid",)),
        rule("query", query="(Idlib OR Saraqeb) AND aid"),
        rule("negated", keywords=("aid",), query="NOT (football NEAR/2 aid)"),
    ]
    matcher = Matcher.compile(specs)
    found = matcher.match(Document("", "aid reached Halab and Saraqeb"))
    assert [m.rule for m in found] == ["common", "negated", "pair", "query"]


def test_empty_matcher_matches_nothing() -> None:
    matcher = Matcher.compile([])
    assert matcher.rule_count == 0
    assert matcher.match(Document("aid", "aid")) == []


# -------------------------------------------------------------------------- field scopes


@pytest.mark.parametrize(
    ("query", "title", "text", "expected"),
    [
        ("title:Aleppo", "Aleppo shelled", "", True),
        ("title:Aleppo", "", "Aleppo shelled", False),
        ("text:Aleppo", "", "Aleppo shelled", True),
        ("text:Aleppo", "Aleppo shelled", "", False),
        ('title:"Red Cross"', "Red Cross convoy", "", True),
        ('title:"Red Cross"', "Cross red", "Red Cross", False),
        ("text:(aid OR food)", "aid", "food", True),
        ("text:(aid OR food)", "aid food", "", False),
        ("title:(aid NOT food)", "aid", "food", True),  # NOT title:food: food is in the text
        ("title:@aleppo AND shelling", "Halab", "shelling", True),
        ("title:@aleppo AND shelling", "shelling", "Halab", False),
        ("title:aid NEAR/2 convoy", "aid convoy", "", True),
        ("title:aid NEAR/2 convoy", "aid", "aid convoy", False),  # NEAR in one field
        ("title:aid OR text:convoy", "", "convoy", True),
    ],
)
def test_field_scope_counts_only_hits_in_that_field(
    query: str, title: str, text: str, expected: bool
) -> None:
    spec = rule(query=query, aliases={"aleppo": ("Aleppo", "Halab")})
    assert fires(spec, text, title) is expected


def test_scoped_terms_report_and_score_only_their_field() -> None:
    spec = rule(query="title:aid")
    (match,) = run(spec, text="aid", title="aid")
    assert [h.field for h in match.hits] == ["title"]
    assert match.score == 2


def test_a_term_scoped_in_one_place_and_not_in_another_reports_everywhere() -> None:
    spec = rule(keywords=("aid",), query="title:aid")
    (match,) = run(spec, text="aid", title="aid")
    assert [h.field for h in match.hits] == ["title", "text"]


# -------------------------------------------------------------------------------- aliases


def test_alias_is_an_or_of_its_terms() -> None:
    isis = ("ISIS", "Daesh", Term("IS", exact_case=True))
    spec = rule(query="@isis claim*", aliases={"isis": isis})
    assert fires(spec, "Daesh claimed it")
    assert fires(spec, "IS claims it")
    assert not fires(spec, "it is claimed")
    assert not fires(spec, "Daesh denied it")


def test_alias_works_as_a_near_operand() -> None:
    spec = rule(
        query="@aleppo NEAR/2 (@violence OR siege)",
        aliases={"aleppo": ("Aleppo", "حلب"), "violence": ("shelling", "airstrike")},
    )
    assert fires(spec, "airstrikes hit حلب")
    assert fires(spec, "the siege of Aleppo")
    assert not fires(spec, "Aleppo was calm; later, far away, shelling")


def test_aliases_a_rule_does_not_use_do_not_matter() -> None:
    spec = rule(keywords=("aid",), aliases={"unused": ("   ",)})
    assert fires(spec, "aid")


def test_alias_errors_name_the_rule_and_part() -> None:
    with pytest.raises(QueryError) as caught:
        Matcher.compile([rule("bad", query="@x", aliases={"x": ("aid", "--")})])
    assert (caught.value.rule, caught.value.part) == ("bad", "aliases.x[1]")
    with pytest.raises(QueryError, match="alias '@x' has no terms at 4") as caught:
        Matcher.compile([rule("bad", query="aid @x", aliases={"x": ()})])
    assert caught.value.part == "query"
    with pytest.raises(QueryError, match=r"unknown alias '@y' \(declared: x\) at 0"):
        Matcher.compile([rule("bad", query="@y", aliases={"x": ("aid",)})])


def test_parse_query_checks_aliases_only_when_given() -> None:
    assert parse_query("@anything NEAR/3 aid") is not None
    with pytest.raises(QueryError) as caught:
        parse_query("aid @x", aliases=["a", "b"])
    assert caught.value.position == 4
    assert caught.value.message == "unknown alias '@x' (declared: a, b)"
    with pytest.raises(QueryError, match=r"\(declared: none\)"):
        parse_query("@x", aliases=())


# ---------------------------------------------------------------------------- compile errors


@pytest.mark.parametrize(
    "spec",
    [
        rule(),
        rule(query="NOT football"),
        rule(query="football OR NOT aid"),
        rule(query="NOT title:aid"),
        rule(exclude=("football",)),
    ],
)
def test_rule_needs_a_word_that_must_appear(spec: RuleSpec) -> None:
    with pytest.raises(QueryError, match="at least one word that must appear") as caught:
        Matcher.compile([spec])
    assert caught.value.rule == "r"


def test_compile_error_names_the_rule_and_position() -> None:
    with pytest.raises(QueryError) as caught:
        Matcher.compile([rule("ok", keywords=("aid",)), rule("bad", query="(aid OR food")])
    error = caught.value
    assert (error.rule, error.watchlist, error.part, error.position) == ("bad", "w", "query", 12)
    assert "expected ')' at 12" in str(error)


def test_list_term_without_letters_is_an_error() -> None:
    with pytest.raises(QueryError) as caught:
        Matcher.compile([rule("bad", keywords=("aid", Term(" - ")))])
    assert (caught.value.rule, caught.value.part) == ("bad", "keywords[1]")


# ------------------------------------------------------------------------------ parse errors


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ('"Red Cross', 0, "unclosed quote"),
        ('aid AND "Red', 8, "unclosed quote"),
        ('aid ""', 4, "phrase with at least one letter"),
        ("(aid OR food", 12, "expected ')'"),
        ("((aid) OR food", 14, "expected ')'"),
        ("aid)", 3, "unexpected ')'"),
        ("()", 1, "found ')'"),
        ("aid AND", 7, "found end of query"),
        ("OR aid", 0, "found 'OR'"),
        ("aid OR OR food", 7, "found 'OR'"),
        ("aid NOT", 7, "found end of query"),
        ("aid NEAR food", 8, "expected '/n' after NEAR"),
        ("aid NEAR/ food", 9, "number of words"),
        ("aid NEAR/x food", 9, "number of words"),
        ("aid NEAR/0 food", 9, "at least 1"),
        ("aid near/3 food", 8, "upper case"),
        ("aid NEAR/3", 10, "found end of query"),
        ("aid NEAR/3 (food AND water)", 12, "NEAR/3 needs a word"),
        ("NOT aid NEAR/3 food", 0, "NEAR/3 needs a word"),
        ("aid NEAR/3 NOT food", 11, "NEAR/3 needs a word"),
        ("aid NEAR/3 food NEAR/2 water", 0, "NEAR/2 needs a word"),
        ("bo*mb", 2, "'*' may only end a word"),
        ("U.S. aid", 1, "unexpected character '.'"),
        ("aid - food", 4, "at least one letter"),
        # field scopes
        ("body:aid", 0, "unknown field 'body:' (fields: title:, text:)"),
        ("Title:aid", 0, "unknown field 'Title:'"),
        ("title: aid", 6, "right after 'title:'"),
        ("aid title:", 10, "right after 'title:'"),
        ("(title:)", 7, "right after 'title:'"),
        ("title:OR", 6, "after 'title:', found 'OR'"),
        ("title:(aid OR text:food)", 14, "'text:' inside 'title:(...)'"),
        ("10:30 aid", 2, "unexpected character ':'"),
        # aliases
        ("@", 1, "expected an alias name after '@'"),
        ("aid @a.b", 6, "unexpected character '.' in an alias name"),
        ("@isis*", 5, "unexpected character '*' in an alias name"),
        ("a@b", 1, "unexpected character '@'"),
    ],
)
def test_parse_errors_give_position_and_what_was_expected(
    query: str, position: int, message: str
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert message in caught.value.message
    assert str(caught.value).endswith(f" at {position}")


@pytest.mark.parametrize(
    "query",
    [
        '(ICRC OR "Red Cross") NEAR/15 (aid OR humanitarian) AND NOT football',
        "al-Qaeda's bomb* NOT NOT aid",
        '"suicide bomb*" ((a OR b) OR "c d") NEAR/1 e',
        "\u062d\u064e\u0644\u064e\u0628 OR Alepp\u00f3",
        'title:aid text:"Red Cross" title:(a OR b) text:@x title:bomb*',
        "@my_alias-2 NEAR/3 (title:@a OR b)",
        "title:(a OR title:b)",  # the same field twice is fine
    ],
)
def test_valid_queries_parse(query: str) -> None:
    assert parse_query(query) is not None


def _docstring_examples() -> list[str]:
    doc = query_module.__doc__ or ""
    block = doc.split("Examples:", 1)[1]
    return [re.split(r"\s{2,}", line.strip())[0] for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("query", _docstring_examples())
def test_grammar_examples_in_the_docstring_parse_and_compile(query: str) -> None:
    aliases = {"aleppo": ("Aleppo",), "violence": ("shelling",), "isis": ("ISIS",)}
    assert Matcher.compile([rule(query=query, aliases=aliases)]).rule_count == 1


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


# ------------------------------------------------------------------ property test vs oracle
#
# The oracle tokenises the original text with a plain regex (only the combining marks the
# generator uses are allowed inside words), folds each word, and tries every run of words
# against every term by brute force. It states the matching rules directly:
# - fold: casefold, NFKD, drop non-spacing marks, Arabic ٱ->ا ى->ي ة->ه ک->ك ی->ي, no tatweel;
# - a run of words i..j matches a term when their concatenation is the term's squashed form or
#   a plural of it (+s, +es, y->ies); a prefix term only needs to end inside word j;
# - a place where the text splits words but the term does not is allowed only after a hyphen
#   or when both words next to it have at least 3 letters;
# - an Arabic term of 3+ letters may start after a clitic (و ب ل ال ...) glued to word i;
# - an exact-case term has no plurals or clitics, and the run must have its letters as
#   written (marks aside);
# - per term and start word, only the longest run counts;
# - a rule's positive terms are merged by (text, exact_case): highest weight, first concept,
#   no field scope if named without one (or in both fields); hits that come out identical
#   are reported once, with the highest weight.

MARKS = "\u0301\u064e"
ORACLE_WORD = re.compile(f"(?:[^\\W_]|[{MARKS}])+")
ALPHABET = "abesy\u062d\u0644\u0627\u0647\u064a"  # a b e s y ح ل ا ه ي
SEPARATORS = ["", " ", "  ", "-", ", ", ". ", " (", ") ", "'", "/", " \u2014 "]
ARABIC_FORMS = {
    "\u0627": ["\u0627", "\u0623", "\u0625", "\u0622", "\u0671"],  # ا أ إ آ ٱ
    "\u0647": ["\u0647", "\u0629"],  # ه ة
    "\u064a": ["\u064a", "\u0649", "\u06cc"],  # ي ى ی
}
OARABIC = str.maketrans(
    {
        "\u0671": "\u0627",
        "\u0649": "\u064a",
        "\u0629": "\u0647",
        "\u06a9": "\u0643",
        "\u06cc": "\u064a",
        "\u0640": None,
    }
)
CLITICS = {"و", "ب", "ل", "ال", "وال", "بال", "لل", "وب", "ول", "وبال", "ولل"}


def ofold(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in text if unicodedata.category(c) != "Mn").translate(OARABIC)


def oletters(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum())


def oarabic(char: str) -> bool:
    return "\u0620" <= char <= "\u064a" or "\u066e" <= char <= "\u06d3"


@dataclass(frozen=True)
class OWord:
    start: int
    end: int
    folded: str
    joined: bool


def owords(text: str) -> list[OWord]:
    words: list[OWord] = []
    for found in ORACLE_WORD.finditer(text):
        folded = ofold(found.group())
        if not folded:
            continue  # a word that folds to nothing (a lone tatweel) is no word
        joined = bool(words) and text[words[-1].end : found.start()] == "-"
        words.append(OWord(found.start(), found.end(), folded, joined))
    return words


def oracle_spans(term: str, exact: bool, words: list[OWord], text: str) -> list[tuple[int, int]]:
    """(first, last) word index of each occurrence of `term`."""
    prefix = term.endswith("*")
    body = term.rstrip("*")
    parts = [p for p in (ofold(w) for w in ORACLE_WORD.findall(body)) if p]
    squashed = "".join(parts)
    kept = {sum(len(p) for p in parts[: k + 1]) for k in range(len(parts) - 1)}
    forms = {squashed}
    if not prefix and not exact:
        forms |= {squashed + "s", squashed + "es"}
        if squashed.endswith("y") and len(squashed) > 1:
            forms.add(squashed[:-1] + "ies")
    clitics = not exact and len(squashed) >= 3 and oarabic(squashed[0])
    spans: list[tuple[int, int]] = []
    for i in range(len(words)):
        skips = [0]
        if clitics:
            skips += [
                len(c)
                for c in CLITICS
                if words[i].folded.startswith(c) and len(words[i].folded) > len(c)
            ]
        longest = None
        for skip in skips:
            joined = ""
            for j in range(i, len(words)):
                if (
                    j > i
                    and len(joined) not in kept
                    and not words[j].joined
                    and min(len(words[j - 1].folded), len(words[j].folded)) < 3
                ):
                    break
                before = len(joined)
                joined += words[j].folded[skip:] if j == i else words[j].folded
                if prefix:
                    ok = before < len(squashed) <= len(joined) and joined.startswith(squashed)
                else:
                    ok = joined in forms
                if ok and exact:
                    written = oletters(text[words[i].start : words[j].end])
                    ok = written.startswith(oletters(body)) if prefix else written == oletters(body)
                if ok and (longest is None or j > longest):
                    longest = j
        if longest is not None:
            spans.append((i, longest))
    return spans


# A query tree: ("t", term, quoted, scope) | ("a", scope) (the alias @a) | ("not", q)
#             | ("and", sep, q, q) | ("or", q, q) | ("near", n, leaf, leaf)
Q = tuple
Spans = dict[str, dict[tuple[str, bool], list[tuple[int, int]]]]  # field -> term -> spans


def leaf_terms(q: Q, alias: Sequence[Term]) -> list[tuple[Term, str | None]]:
    if q[0] == "t":
        return [(Term(q[1]), q[3])]
    return [(term, q[1]) for term in alias]


def q_eval(q: Q, spans: Spans, alias: Sequence[Term]) -> bool:
    kind = q[0]
    if kind in ("t", "a"):
        return any(
            spans[f].get((t.text, t.exact_case))
            for t, scope in leaf_terms(q, alias)
            for f in spans
            if scope in (None, f)
        )
    if kind == "not":
        return not q_eval(q[1], spans, alias)
    if kind == "and":
        return q_eval(q[2], spans, alias) and q_eval(q[3], spans, alias)
    if kind == "or":
        return q_eval(q[1], spans, alias) or q_eval(q[2], spans, alias)
    _, n, left, right = q

    def side(leaf: Q, field: str) -> list[tuple[int, int]]:
        return [
            s
            for t, scope in leaf_terms(leaf, alias)
            if scope in (None, field)
            for s in spans[field].get((t.text, t.exact_case), [])
        ]

    return any(
        a != b and max(0, b[0] - a[1], a[0] - b[1]) <= n
        for f in spans
        for a in side(left, f)
        for b in side(right, f)
    )


def q_leaves(
    q: Q, alias: Sequence[Term], positive: bool = True
) -> list[tuple[Term, str | None, bool]]:
    kind = q[0]
    if kind in ("t", "a"):
        return [(t, scope, positive) for t, scope in leaf_terms(q, alias)]
    if kind == "not":
        return q_leaves(q[1], alias, not positive)
    if kind == "near":
        return q_leaves(q[2], alias, positive) + q_leaves(q[3], alias, positive)
    children = q[2:] if kind == "and" else q[1:]
    return [leaf for child in children for leaf in q_leaves(child, alias, positive)]


PRECEDENCE = {"or": 1, "and": 2, "near": 3, "not": 4, "t": 5, "a": 5}


def q_render(q: Q, minimum: int = 0) -> str:
    kind = q[0]
    if kind in ("t", "a"):
        scope = f"{q[-1]}:" if q[-1] else ""
        if kind == "a":
            return f"{scope}@a"
        text = q[1]
        return scope + (f'"{text}"' if " " in text or q[2] else text)
    if kind == "not":
        body = "NOT " + q_render(q[1], 4)
    elif kind == "and":
        body = q_render(q[2], 3) + q[1] + q_render(q[3], 3)
    elif kind == "or":
        body = q_render(q[1], 2) + " OR " + q_render(q[2], 2)
    else:
        body = f"{q_render(q[2], 4)} NEAR/{q[1]} {q_render(q[3], 4)}"
    return f"({body})" if PRECEDENCE[kind] < minimum else body


def render(word: str, draw: st.DrawFn) -> str:
    """A surface form of `word`: random case, accents, Arabic spellings, harakat, tatweel."""
    out = []
    for char in word:
        if char == "e":
            out.append(draw(st.sampled_from(["e", "E", "\u00e9", "\u00c9", "e\u0301"])))
        elif char.isascii():
            out.append(draw(st.sampled_from([char, char.upper()])))
        else:
            form = draw(st.sampled_from(ARABIC_FORMS.get(char, [char])))
            out.append(form + draw(st.sampled_from(["", "", "\u064e", "\u0640"])))
    return "".join(out)


@dataclass(frozen=True)
class Vocabulary:
    terms: list[Term]  # each text once, with its own exact_case, weight and concept


@st.composite
def vocab_terms(draw: st.DrawFn) -> Term:
    parts = draw(st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=2))
    joiners = [draw(st.sampled_from(["", " ", "-"])) for _ in parts[1:]]
    written = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:], strict=True))
    written = render(written, draw) + ("*" if draw(st.integers(0, 5)) == 0 else "")
    return Term(
        written,
        weight=draw(st.sampled_from([1.0, 1.0, 2.0, 0.5])),
        exact_case=draw(st.integers(0, 5)) == 0,
        concept=draw(st.sampled_from([None, None, "C1", "C2"])),
    )


@st.composite
def leaves(draw: st.DrawFn, vocabulary: list[Term], aliases: bool) -> Q:
    scope = draw(st.sampled_from([None, None, "title", "text"]))
    if aliases and draw(st.integers(0, 4)) == 0:
        return ("a", scope)
    return ("t", draw(st.sampled_from(vocabulary)).text, draw(st.booleans()), scope)


@st.composite
def queries(draw: st.DrawFn, vocabulary: list[Term], aliases: bool, depth: int = 3) -> Q:
    kind = draw(st.sampled_from(["t", "t", "not", "and", "or", "near"] if depth else ["t"]))
    if kind == "t":
        return draw(leaves(vocabulary, aliases))
    if kind == "not":
        return ("not", draw(queries(vocabulary, aliases, depth - 1)))
    if kind == "and":
        sep = draw(st.sampled_from([" AND ", " "]))
        left = draw(queries(vocabulary, aliases, depth - 1))
        return ("and", sep, left, draw(queries(vocabulary, aliases, depth - 1)))
    if kind == "or":
        left = draw(queries(vocabulary, aliases, depth - 1))
        return ("or", left, draw(queries(vocabulary, aliases, depth - 1)))
    left, right = draw(leaves(vocabulary, aliases)), draw(leaves(vocabulary, aliases))
    return ("near", draw(st.integers(1, 4)), left, right)


@st.composite
def texts(draw: st.DrawFn, vocabulary: list[Term]) -> str:
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            written = draw(st.sampled_from(vocabulary)).text.rstrip("*")
            if draw(st.booleans()):
                word = render(ofold(written), draw)
                word = re.sub(r"[ -]", lambda _: draw(st.sampled_from(["", " ", "-"])), word)
            else:
                word = written  # as written, so that exact-case terms can match
            prefix = draw(st.sampled_from(["", "", "", "\u0648", "\u0644", "\u0627\u0644"]))
            suffix = draw(st.sampled_from(["", "", "s", "es", "'s", "\u2019s", "ies", "ing"]))
            pieces.append(prefix + word + suffix)
        else:
            pieces.append(render(draw(st.text(ALPHABET, min_size=1, max_size=4)), draw))
        pieces.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(pieces)


@dataclass(frozen=True)
class Case:
    specs: list[RuleSpec]
    trees: list[Q | None]
    doc: Document


@st.composite
def cases(draw: st.DrawFn) -> Case:
    vocabulary = draw(st.lists(vocab_terms(), min_size=1, max_size=5, unique_by=lambda t: t.text))
    some_terms = st.lists(st.sampled_from(vocabulary), max_size=2, unique=True).map(tuple)
    specs: list[RuleSpec] = []
    trees: list[Q | None] = []
    for number in range(draw(st.integers(1, 3))):
        alias = draw(some_terms)
        tree = draw(st.none() | queries(vocabulary, bool(alias)))
        trees.append(tree)
        specs.append(
            RuleSpec(
                watchlist=draw(st.sampled_from(["w1", "w2"])),
                name=f"rule{number}",
                places=draw(some_terms),
                keywords=draw(some_terms),
                exclude=draw(some_terms) if draw(st.integers(0, 3)) == 0 else (),
                query=None if tree is None else q_render(tree),
                aliases={"a": alias} if alias else {},
                min_score=draw(st.sampled_from([0.0, 0.0, 1.0, 2.5])),
            )
        )
    doc = Document(title=draw(texts(vocabulary)), text=draw(texts(vocabulary)))
    return Case(specs, trees, doc)


def oracle(case: Case) -> list[Match] | None:
    """Expected matches, or None when some rule must be refused at compile time."""
    fields = {"title": case.doc.title, "text": case.doc.text}
    words = {f: owords(t) for f, t in fields.items()}
    results: list[Match] = []
    for spec, tree in zip(case.specs, case.trees, strict=True):
        alias = [t if isinstance(t, Term) else Term(t) for t in spec.aliases.get("a", ())]
        categories = [c for c in (spec.places, spec.groups, spec.keywords) if c]
        if not categories and (tree is None or q_eval(tree, {"title": {}, "text": {}}, alias)):
            return None
        declared: list[tuple[Term, str | None, bool]] = [
            (t, None, True) for c in categories for t in c
        ]
        declared += [(t, None, False) for t in spec.exclude]
        declared += q_leaves(tree, alias) if tree else []
        every = {(t.text, t.exact_case) for t, _, _ in declared}
        spans: Spans = {
            f: {key: oracle_spans(*key, words[f], fields[f]) for key in every} for f in fields
        }
        found = {key for f in spans for key, s in spans[f].items() if s}
        if not all(found & {(t.text, t.exact_case) for t in c} for c in categories):
            continue
        if found & {(t.text, t.exact_case) for t in spec.exclude}:
            continue
        if tree is not None and not q_eval(tree, spans, alias):
            continue
        positive: dict[tuple[str, bool], dict[str, Any]] = {}
        for term, scope, plus in declared:
            if not plus:
                continue
            key = (term.text, term.exact_case)
            if key not in positive:
                positive[key] = {"w": term.weight, "c": term.concept, "scopes": {scope}}
            else:
                entry = positive[key]
                entry["w"] = max(entry["w"], term.weight)
                entry["c"] = entry["c"] if entry["c"] is not None else term.concept
                entry["scopes"].add(scope)
        weights: dict[Hit, float] = {}
        for (text, exact), entry in positive.items():
            scopes = entry["scopes"]
            only = next(iter(scopes)) if len(scopes) == 1 else None
            for f in fields:
                if only is not None and only != f:
                    continue
                for i, j in spans[f][(text, exact)]:
                    start, end = words[f][i].start, words[f][j].end
                    hit = Hit(" ".join(text.split()), f, start, end, entry["c"])  # type: ignore[arg-type]
                    weights[hit] = max(weights.get(hit, 0.0), entry["w"])
        hits = sorted(
            weights, key=lambda h: (h.field != "title", h.start, h.end, h.term, h.concept or "")
        )
        score = sum(weights[h] * (2 if h.field == "title" else 1) for h in hits)
        if score < spec.min_score:
            continue
        results.append(
            Match(spec.watchlist, spec.name, spec.priority, score, tuple(hits), spec.channels)
        )
    return sorted(results, key=lambda m: (m.watchlist, m.rule))


@settings(max_examples=600, deadline=None)
@given(cases())
def test_matcher_agrees_with_brute_force_oracle(case: Case) -> None:
    expected = oracle(case)
    if expected is None:
        with pytest.raises(QueryError):
            Matcher.compile(case.specs)
        return
    # the oracle knows what matches, not which category a hit's term came from
    found = [
        replace(m, hits=tuple(replace(h, kind=None) for h in m.hits))
        for m in Matcher.compile(case.specs).match(case.doc)
    ]
    assert found == expected


def test_a_hit_says_whether_its_term_is_a_place_or_a_group() -> None:
    spec = rule(
        places=(Term("Aleppo", concept="Aleppo", name=True),),
        groups=(Term("ISIS", name=True),),
        keywords=("airstrike",),
        query="Aleppo OR ceasefire",
    )
    (match,) = run(spec, "ISIS airstrike in Aleppo, no ceasefire")
    assert {h.term: h.kind for h in match.hits} == {
        "ISIS": "group",
        "airstrike": None,
        "Aleppo": "place",
        "ceasefire": None,
    }

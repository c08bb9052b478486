"""Tests of the rule matcher: hard cases by hand, parse errors, and a property test against a
brute-force oracle that re-implements the matching rules in the simplest way it can."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, QueryError, parse_query
from monitor.match.spec import RuleSpec
from monitor.records import Document, Hit, Match

# ------------------------------------------------------------------------------- helpers


def rule(name: str = "r", watchlist: str = "w", **kwargs: Any) -> RuleSpec:
    return RuleSpec(watchlist, name, **kwargs)


def run(spec: RuleSpec, text: str = "", title: str = "") -> list[Match]:
    return Matcher.compile([spec]).match(Document(title=title, text=text))


def fires(spec: RuleSpec, text: str = "", title: str = "") -> bool:
    return bool(run(spec, text, title))


def surfaces(term: str, text: str) -> list[str]:
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


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("strike", "an airstrike", []),  # no match inside a word
        ("strike*", "an airstrike", []),  # a prefix still starts at a word start
        ("strike", "strikes and strike's aftermath", ["strikes", "strike"]),
        ("Aleppo", "Aleppoville", []),
        ("Aleppo", "in_Aleppo", ["Aleppo"]),  # underscore separates words
        ("bomb*", "bomb, bombing, Bombers", ["bomb", "bombing", "Bombers"]),
        ("bomb*", "an A-bomb", ["bomb"]),
        ("bomb*", "abomb", []),
        ("suicide bomb*", "suicide-bombers struck", ["suicide-bombers"]),
        ("city", "two cities", ["cities"]),
        ("bus", "buses", ["buses"]),
        ("ceasefire", "cease-fires and cease fire", ["cease-fires", "cease fire"]),
        ("ISIS", "ISIS's fighters and ISIS\u2019s claim", ["ISIS", "ISIS"]),
        ("ISIS's", "ISIS's fighters", ["ISIS's"]),
    ],
)
def test_word_boundaries_prefixes_plurals_and_possessives(
    term: str, text: str, expected: list[str]
) -> None:
    assert surfaces(term, text) == expected


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Aleppo", "ALEPPO"),
        ("Aleppo", "Alepp\u00f3"),  # precomposed accent
        ("Aleppo", "Aleppo\u0301"),  # decomposed accent stays inside the word
        ("Alepp\u00f3", "aleppo"),  # accents in the term are ignored too
        ("Stra\u00dfe", "STRASSE"),  # casefold: sharp s
        ("\ufb01re", "fire"),  # compatibility ligature
    ],
)
def test_case_and_diacritics_are_ignored(term: str, text: str) -> None:
    assert surfaces(term, f"x {text} y") == [text]


HALAB = "حلب"  # Aleppo
HALAB_HARAKAT = "حَلَب"
HALAB_TATWEEL = "حـلب"


def test_arabic_term_matches_arabic_text_with_and_without_harakat() -> None:
    assert surfaces(HALAB, "في حلب اليوم") == [HALAB]
    assert surfaces(HALAB, f"في {HALAB_HARAKAT}.") == [HALAB_HARAKAT]
    assert surfaces(HALAB_HARAKAT, "في حلب") == [HALAB]
    assert surfaces(HALAB, HALAB_TATWEEL) == [HALAB_TATWEEL]


def test_arabic_term_respects_word_boundaries() -> None:
    assert surfaces(HALAB, "حلباوي") == []


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("Iran", "I ran home", []),
        ("Isa", "this is a test", []),
        ("Assad", "just as sad", []),
        ("alQaeda", "al-Qaeda", ["al-Qaeda"]),  # a hyphen always joins
        ("al Qaeda", "AlQaeda", ["AlQaeda"]),  # the term's own split always matches
    ],
)
def test_short_words_are_not_joined_across_spaces(
    term: str, text: str, expected: list[str]
) -> None:
    assert surfaces(term, text) == expected


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


def test_hits_say_their_field_and_are_sorted_by_field_then_start() -> None:
    (match,) = run(rule(keywords=("aid", "ICRC")), text="ICRC brings aid", title="Aid convoy")
    assert [(h.field, h.term, h.start) for h in match.hits] == [
        ("text", "ICRC", 0),
        ("text", "aid", 12),
        ("title", "aid", 0),
    ]


def test_score_counts_hits_and_title_hits_twice() -> None:
    (match,) = run(rule(keywords=("aid",)), text="aid and more aid", title="Aid")
    assert match.score == 4


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
    spec = rule(keywords=("aid",), exclude=("football", "match*"))
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


def test_query_not_excludes_and_negated_terms_are_not_reported() -> None:
    spec = rule(query="aid NOT football")
    assert not fires(spec, "aid for football")
    (match,) = run(spec, "aid for children")
    assert [h.term for h in match.hits] == ["aid"]


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


def test_empty_matcher_matches_nothing() -> None:
    matcher = Matcher.compile([])
    assert matcher.rule_count == 0
    assert matcher.match(Document("aid", "aid")) == []


# ---------------------------------------------------------------------------- compile errors


@pytest.mark.parametrize(
    "spec",
    [
        rule(),
        rule(query="NOT football"),
        rule(query="football OR NOT aid"),
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
        Matcher.compile([rule("bad", keywords=("aid", " - "))])
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
    ],
)
def test_valid_queries_parse(query: str) -> None:
    assert parse_query(query) is not None


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


# ------------------------------------------------------------------ property test vs oracle
#
# The oracle tokenises the original text with a plain regex (only the two combining marks the
# generator uses are allowed inside words), folds each word, and tries every run of words
# against every term by brute force. It states the matching rules directly:
# - a run of words i..j matches a term when their concatenation is the term's squashed form or
#   a plural of it (+s, +es, y->ies); a prefix term only needs to end inside word j;
# - a place where the text splits words but the term does not is allowed only after a hyphen
#   or when both words next to it have at least 3 letters;
# - per term and start word, only the longest run counts.

MARKS = "\u0301\u064e"
ORACLE_WORD = re.compile(f"(?:[^\\W_]|[{MARKS}])+")
ALPHABET = "abesy\u062d\u0644"
SEPARATORS = ["", " ", "  ", "-", ", ", ". ", " (", ") ", "'", "/", " \u2014 "]


def ofold(word: str) -> str:
    text = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


@dataclass(frozen=True)
class OWord:
    start: int
    end: int
    folded: str
    joined: bool


def owords(text: str) -> list[OWord]:
    words: list[OWord] = []
    for found in ORACLE_WORD.finditer(text):
        joined = bool(words) and text[words[-1].end : found.start()] == "-"
        words.append(OWord(found.start(), found.end(), ofold(found.group()), joined))
    return words


def oracle_spans(term: str, words: list[OWord]) -> list[tuple[int, int]]:
    """(first, last) word index of each occurrence of `term`."""
    prefix = term.endswith("*")
    parts = [ofold(w) for w in ORACLE_WORD.findall(term.rstrip("*"))]
    squashed = "".join(parts)
    kept = {sum(len(p) for p in parts[: k + 1]) for k in range(len(parts) - 1)}
    forms = {squashed}
    if not prefix:
        forms |= {squashed + "s", squashed + "es"}
        if squashed.endswith("y") and len(squashed) > 1:
            forms.add(squashed[:-1] + "ies")
    spans: list[tuple[int, int]] = []
    for i in range(len(words)):
        joined = ""
        longest = None
        for j in range(i, len(words)):
            if (
                j > i
                and len(joined) not in kept
                and not words[j].joined
                and min(len(words[j - 1].folded), len(words[j].folded)) < 3
            ):
                break
            before = len(joined)
            joined += words[j].folded
            if prefix and before < len(squashed) <= len(joined) and joined.startswith(squashed):
                longest = j
            if not prefix and joined in forms:
                longest = j
        if longest is not None:
            spans.append((i, longest))
    return spans


# A query tree: ("t", term) | ("not", q) | ("and", sep, q, q) | ("or", q, q) | ("near", n, t, t)
Q = tuple


def q_eval(q: Q, spans: dict[str, dict[str, list[tuple[int, int]]]]) -> bool:
    kind = q[0]
    if kind == "t":
        return any(spans[f].get(q[1]) for f in spans)
    if kind == "not":
        return not q_eval(q[1], spans)
    if kind == "and":
        return q_eval(q[2], spans) and q_eval(q[3], spans)
    if kind == "or":
        return q_eval(q[1], spans) or q_eval(q[2], spans)
    _, n, (_, left, _), (_, right, _) = q
    return any(
        a != b and max(0, b[0] - a[1], a[0] - b[1]) <= n
        for f in spans
        for a in spans[f].get(left, [])
        for b in spans[f].get(right, [])
    )


def q_terms(q: Q, positive: bool = True) -> list[tuple[str, bool]]:
    kind = q[0]
    if kind == "t":
        return [(q[1], positive)]
    if kind == "not":
        return q_terms(q[1], not positive)
    if kind == "near":
        return q_terms(q[2], positive) + q_terms(q[3], positive)
    children = q[2:] if kind == "and" else q[1:]
    return [pair for child in children for pair in q_terms(child, positive)]


PRECEDENCE = {"or": 1, "and": 2, "near": 3, "not": 4, "t": 5}


def q_render(q: Q, minimum: int = 0) -> str:
    kind = q[0]
    if kind == "t":
        text = q[1]
        return f'"{text}"' if " " in text or q[2] else text
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
    """A surface form of `word`: random case, accents, decomposed accents, harakat."""
    out = []
    for char in word:
        if char == "e":
            out.append(draw(st.sampled_from(["e", "E", "\u00e9", "\u00c9", "e\u0301"])))
        elif char.isascii():
            out.append(draw(st.sampled_from([char, char.upper()])))
        else:
            out.append(draw(st.sampled_from([char, char + "\u064e"])))
    return "".join(out)


@st.composite
def terms(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=2))
    joiners = [draw(st.sampled_from(["", " ", "-"])) for _ in parts[1:]]
    written = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:], strict=True))
    written = render(written, draw)
    return written + ("*" if draw(st.integers(0, 5)) == 0 else "")


@st.composite
def queries(draw: st.DrawFn, vocabulary: list[str], depth: int = 3) -> Q:
    kind = draw(st.sampled_from(["t", "t", "not", "and", "or", "near"] if depth else ["t"]))
    if kind == "t":
        return ("t", draw(st.sampled_from(vocabulary)), draw(st.booleans()))
    if kind == "not":
        return ("not", draw(queries(vocabulary, depth - 1)))
    if kind == "and":
        sep = draw(st.sampled_from([" AND ", " "]))
        left, right = draw(queries(vocabulary, depth - 1)), draw(queries(vocabulary, depth - 1))
        return ("and", sep, left, right)
    if kind == "or":
        return ("or", draw(queries(vocabulary, depth - 1)), draw(queries(vocabulary, depth - 1)))
    left, right = (("t", draw(st.sampled_from(vocabulary)), False) for _ in range(2))
    return ("near", draw(st.integers(1, 4)), left, right)


@st.composite
def texts(draw: st.DrawFn, vocabulary: list[str]) -> str:
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            word = render(ofold(draw(st.sampled_from(vocabulary)).rstrip("*")), draw)
            word = re.sub(r"[ -]", lambda _: draw(st.sampled_from(["", " ", "-"])), word)
            suffix = draw(st.sampled_from(["", "", "s", "es", "'s", "\u2019s", "ies", "ing"]))
            pieces.append(word + suffix)
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
    vocabulary = draw(st.lists(terms(), min_size=1, max_size=5, unique=True))
    some_terms = st.lists(st.sampled_from(vocabulary), max_size=2, unique=True).map(tuple)
    specs: list[RuleSpec] = []
    trees: list[Q | None] = []
    for number in range(draw(st.integers(1, 3))):
        tree = draw(st.none() | queries(vocabulary))
        trees.append(tree)
        specs.append(
            RuleSpec(
                watchlist=draw(st.sampled_from(["w1", "w2"])),
                name=f"rule{number}",
                places=draw(some_terms),
                keywords=draw(some_terms),
                exclude=draw(some_terms) if draw(st.integers(0, 3)) == 0 else (),
                query=None if tree is None else q_render(tree),
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
        categories = [c for c in (spec.places, spec.groups, spec.keywords) if c]
        if not categories and (tree is None or q_eval(tree, {"title": {}, "text": {}})):
            return None
        every = {t for c in categories for t in c} | set(spec.exclude)
        every |= {t for t, _ in q_terms(tree)} if tree else set()
        spans = {f: {t: oracle_spans(t, words[f]) for t in every} for f in fields}
        found = {t for f in spans for t, s in spans[f].items() if s}
        if not all(found & set(c) for c in categories) or found & set(spec.exclude):
            continue
        if tree is not None and not q_eval(tree, spans):
            continue
        positive = {t for c in categories for t in c}
        positive |= {t for t, plus in q_terms(tree) if plus} if tree else set()
        hits = sorted(
            (
                Hit(t, f, words[f][i].start, words[f][j].end)  # type: ignore[arg-type]
                for f in spans
                for t in positive
                for i, j in spans[f][t]
            ),
            key=lambda h: (h.field, h.start, h.end, h.term),
        )
        score = sum(2 if h.field == "title" else 1 for h in hits)
        results.append(
            Match(
                spec.watchlist, spec.name, spec.priority, float(score), tuple(hits), spec.channels
            )
        )
    return sorted(results, key=lambda m: (m.watchlist, m.rule))


@settings(max_examples=500, deadline=None)
@given(cases())
def test_matcher_agrees_with_brute_force_oracle(case: Case) -> None:
    expected = oracle(case)
    if expected is None:
        with pytest.raises(QueryError):
            Matcher.compile(case.specs)
        return
    assert Matcher.compile(case.specs).match(case.doc) == expected

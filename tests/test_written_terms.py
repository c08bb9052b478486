"""Terms are matched literally, word by word; what nobody can mean literally (nothing to match,
a '*' that is not a final one, regular-expression syntax) is refused where it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config
from monitor.match import Matcher, QueryError, TermError, check_term, parse_query
from monitor.match.spec import RuleSpec
from monitor.records import Document
from tests.test_config import make


def highlighted(term: str, text: str) -> list[str]:
    matches = Matcher.compile([RuleSpec("w", "r", keywords=(term,))]).match(Document("", text))
    return [text[h.start:h.end] for m in matches for h in m.hits]


@pytest.mark.parametrize("term, text, found", [
    ("U.S.", "The U.S. and the U S army", ["U.S", "U S"]),  # hits end with words
    ("al-Qaeda", "al Qaeda, al-Qaeda and alQaeda", ["al Qaeda", "al-Qaeda", "alQaeda"]),
    ("Red Cross (ICRC)", "the Red Cross (ICRC) said", ["Red Cross (ICRC"]),
    ("AT&T", "AT&T and AT T", ["AT&T", "AT T"]),
    ("why?", "but why? nobody knows", ["why"]),
    ("bomb*", "bombers bombed", ["bombers", "bombed"]),
    ("$5 billion", "a $5 billion deal", ["5 billion"]),
])
def test_punctuation_in_a_term_separates_words_as_in_articles(term, text, found):
    check_term(term)
    assert highlighted(term, text) == found


@pytest.mark.parametrize("term, position, message", [
    (".*", 0, "'.*' has no letter or digit to look for"),
    ("***", 0, "no letter or digit"),
    ("...", 0, "no letter or digit"),
    ("[Aa]leppo", 0, "'[' is regular-expression syntax"),
    ("(IS|ISIL)", 3, "'|' is regular-expression syntax"),
    ("colou?r", 5, "'?' is regular-expression syntax"),
    ("C++", 1, "'+' is regular-expression syntax"),
    ("\\bIS\\b", 0, "'\\\\' is regular-expression syntax"),
    ("^Aleppo", 0, "'^' is regular-expression syntax"),
    ("bomb.*", 5, "'*' may only end a term, right after a letter or digit"),
    ("*bomb", 0, "'*' may only end a term"),
    ("bo*mb", 2, "'*' may only end a term"),
    ("bomb**", 4, "'*' may only end a term"),
    ("suicide* bombing", 7, "there is no other wildcard"),
])
def test_terms_nobody_can_mean_literally_are_refused_at_the_character(term, position, message):
    with pytest.raises(TermError) as caught:
        check_term(term)
    assert caught.value.position == position
    assert message in caught.value.message


def test_a_phrase_in_a_query_follows_the_same_rules_at_its_column():
    with pytest.raises(QueryError) as caught:
        parse_query('aid AND "Red *Cross"')
    assert caught.value.position == 13 and "'*' may only end a term" in caught.value.message
    with pytest.raises(QueryError, match="regular-expression syntax.* at 8"):
        parse_query('aid OR "[Aa]leppo"')
    assert parse_query('"suicide bomb*" OR "Red Cross (ICRC)"')


def test_a_bare_query_word_needs_a_letter_before_its_star():
    with pytest.raises(QueryError, match=r"'\*' must follow a letter or digit \(bomb\*\) at 2"):
        parse_query("a-*")


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def test_every_term_as_written_is_checked_where_it_is_written(tmp_path):
    found = problems(make(tmp_path, """\
name: w
aliases:
  unused: [ok, 'C++']
rules:
  - name: R
    keywords: ['.*', "[Aa]leppo", {term: 'bomb.*'}]
    exclude: ['***']
  - name: P
    places: ['Tell ^Qasrayn']
    groups: ['(A|B)']
    keywords: [a]
"""))
    wl = str(tmp_path / "watchlists" / "w.yaml")
    for expected in (
        f"{wl}:3:18: aliases.unused.1: '+' is regular-expression syntax",
        f"{wl}:6:17: rules.0.keywords.0: '.*' has no letter or digit to look for",
        f"{wl}:6:23: rules.0.keywords.1: '[' is regular-expression syntax",
        f"{wl}:6:48: rules.0.keywords.2.term: '*' may only end a term",
        f"{wl}:7:16: rules.0.exclude.0: '***' has no letter or digit",
        f"{wl}:9:20: rules.1.places.0: '^' is regular-expression syntax",
        f"{wl}:10:17: rules.1.groups.0: '|' is regular-expression syntax",
    ):
        assert any(p.startswith(expected) for p in found), (expected, found)
    assert len(found) == 7, found


def test_what_only_compiling_finds_is_located_at_the_rule_too(tmp_path):
    found = problems(make(tmp_path, """\
name: w
aliases:
  nothing: []
rules:
  - {name: Fine, keywords: [ceasefire]}
  - name: Only nots
    query: 'NOT football'
  - name: Empty alias
    query: 'aid AND @nothing'
"""))
    wl = str(tmp_path / "watchlists" / "w.yaml")
    assert found == [
        f"{wl}:7:13: bad query: rule needs at least one word that must appear at 0",
        f"{wl}:9:21: bad query: alias '@nothing' has no terms at 8",
    ]

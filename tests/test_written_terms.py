"""Terms are matched literally, word by word; what nobody can mean literally (nothing to match,
a '*' that is not a final one, regular-expression syntax) is refused where it is written."""

from __future__ import annotations

import pytest

from monitor.match import Matcher, QueryError, TermError, check_term, parse_query
from monitor.match.spec import RuleSpec
from monitor.records import Document


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

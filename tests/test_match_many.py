"""Many rules compiled together match each rule exactly as that rule compiled alone.

The matcher shares work between rules: one scan for every term, an index that evaluates only
the rules whose key terms were found, hits built once per term and document and reused by
every rule that reports them, merged hits reused by rules that report the same terms. The
straightforward reference is one matcher per rule, where nothing is shared or skipped: a
rule's match (or its absence) must not depend on the other rules compiled beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import Matcher, QueryError
from monitor.match.spec import RuleSpec, Term
from monitor.records import Document, Match
from tests.test_match import q_render, queries, texts, vocab_terms


@dataclass(frozen=True)
class Many:
    specs: list[RuleSpec]
    docs: list[Document]


@st.composite
def names_or_words(draw: st.DrawFn) -> Term:
    term = draw(vocab_terms())
    if not term.text.endswith("*") and not term.exact_case and draw(st.integers(0, 3)) == 0:
        return replace(term, name=True)  # a catalog name: no plurals, no splits of its own
    return term


@st.composite
def many(draw: st.DrawFn) -> Many:
    vocabulary = draw(
        st.lists(names_or_words(), min_size=2, max_size=8, unique_by=lambda t: t.text)
    )
    # A text named both as a name and not would be two patterns: keep one per text.
    some = st.lists(st.sampled_from(vocabulary), max_size=3, unique=True).map(tuple)
    specs = []
    for number in range(draw(st.integers(2, 25))):
        alias = draw(some)
        tree = draw(st.none() | queries(vocabulary, bool(alias), depth=2))
        specs.append(
            RuleSpec(
                watchlist=draw(st.sampled_from(["w1", "w2", "w3"])),
                name=f"rule{number:02}",
                places=draw(some),
                groups=draw(some) if draw(st.booleans()) else (),
                keywords=draw(some),
                exclude=draw(some) if draw(st.integers(0, 3)) == 0 else (),
                query=None if tree is None else q_render(tree),
                aliases={"a": alias} if alias else {},
                priority=draw(st.sampled_from(["normal", "high"])),
                min_score=draw(st.sampled_from([0.0, 0.0, 0.0, 1.0, 2.5, 4.0])),
                channels=draw(st.sampled_from([(), ("desk",)])),
            )
        )
    docs = [
        Document(title=draw(texts(vocabulary)), text=draw(texts(vocabulary)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    return Many(specs, docs)


def alone(spec: RuleSpec, doc: Document) -> list[Match] | None:
    """The rule's matches when it is the only rule; None when it does not compile."""
    try:
        matcher = Matcher.compile([spec])
    except QueryError:
        return None
    return matcher.match(doc)


@settings(max_examples=200, deadline=None)
@given(many())
def test_rules_compiled_together_match_as_each_rule_alone(case: Many) -> None:
    valid = [spec for spec in case.specs if alone(spec, Document("", "")) is not None]
    together = Matcher.compile(valid)
    for doc in case.docs:
        expected = sorted(
            (m for spec in valid for m in alone(spec, doc) or ()),
            key=lambda m: (m.watchlist, m.rule),
        )
        assert together.match(doc) == expected
        # and matching the same document again gives the same answer (nothing kept)
        assert together.match(doc) == expected

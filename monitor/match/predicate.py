"""Compiling a query's syntax tree into one fast predicate over what the scan found.

A rule's categories, exclude terms and query become one generated Python expression (see
Source), so matching runs one function per candidate rule with C-level set tests rather than
a closure per node. query.py parses the text; this module never sees it.
"""

from __future__ import annotations

from collections.abc import Callable, KeysView, Mapping, Sequence
from functools import lru_cache, partial
from typing import Protocol

from monitor.match.syntax import Alias, And, FieldName, Leaf, Near, Node, Not, Or, Word, iter_leaves
from monitor.match.terms import FIELDS, Occurrences

Found = Mapping[int, Occurrences]  # pattern number -> occurrences


class Spaced(Protocol):
    """A field of the document, as NEAR needs it (normalize.Folded)."""

    def words_between(self, start: int, stop: int, most: int) -> int: ...


class Fields(tuple[Spaced, ...]):
    """The folded fields of one document (title, text), as predicates see them.

    `present[field]` holds the patterns found in that field, so that a field-scoped term is
    one set test rather than a walk over its occurrences; `memo` keeps the answers of NEAR
    tests for this document, shared by every rule that asks the same one (interned sides
    make the same question the same key).
    """

    present: tuple[set[int], ...]
    memo: dict[object, object]  # NEAR test (its key) -> answer; NEAR side -> occurrences

    def __new__(cls, fields: Sequence[Spaced], present: tuple[set[int], ...]) -> Fields:
        self = super().__new__(cls, fields)
        self.present = present
        self.memo = {}
        return self


NO_FIELDS = Fields((), (set(), set()))  # an empty document's, for compile-time tests

# (found, found.keys(), fields) -> whether the rule or query holds
Predicate = Callable[[Found, KeysView[int], Fields], bool]
# The same with the rule's constants first: one function per shape of rule, shared.
Shape = Callable[[tuple[object, ...], Found, KeysView[int], Fields], bool]


class Source:
    """A predicate being generated: one Python expression over `found`, `keys` (its keys)
    and `fields`, with every set and closure it needs kept aside as constants c[i].

    Rules of the same shape share their source text, so each shape compiles once
    (`shape`), and a rule is that compiled shape and its own constants: matching then runs
    one function per rule, with C-level set tests, instead of a closure per node. The text
    holds nothing from the rule itself (no terms), only operators and indexes. Constants
    equal to one already seen in the same compile (`interned`) are that one, which keeps
    50,000 rules that name the same places and keyword lists small.
    """

    def __init__(self, interned: dict[object, object] | None = None) -> None:
        self.constants: list[object] = []
        self._interned = {} if interned is None else interned

    def constant(self, value: object) -> str:
        self.constants.append(self._interned.setdefault(value, value))
        return f"c[{len(self.constants) - 1}]"

    def parts(self, expression: str) -> tuple[Shape, tuple[object, ...]]:
        """The shared function for `expression`'s shape, and this rule's constants."""
        constants = tuple(self.constants)
        return _shape(expression), self._interned.setdefault(constants, constants)  # type: ignore[return-value]

    def predicate(self, expression: str) -> Predicate:
        shape, constants = self.parts(expression)
        return partial(shape, constants)


@lru_cache(maxsize=4096)
def _shape(expression: str) -> Shape:
    factory = f"lambda c, found, keys, fields: {expression}"
    return eval(factory, {"__builtins__": {}, "in_field": in_field})  # our own text only


def in_field(found: Found, numbers: frozenset[int], field: int) -> bool:
    """Whether a pattern of `numbers` was found in `field` (without Fields.present)."""
    for number in numbers:
        for where in found.get(number, ()):
            if where[0] == field:
                return True
    return False


def query_source(node: Node, resolve: Callable[[Leaf], frozenset[int]], source: Source) -> str:
    """The expression that says whether the query holds (see Source).

    `resolve` gives the pattern numbers a leaf stands for (one for a word, all the alias's
    terms for an alias). An OR of terms in one field becomes one set test, an AND of words
    one subset test.
    """
    match node:
        case Word() | Alias():
            return _leaf(resolve(node), _field_number(node.field), source)
        case Not(operand=operand):
            return f"not ({query_source(operand, resolve, source)})"
        case And(operands=operands):
            required: set[int] = set()
            parts = []
            for operand in operands:
                if isinstance(operand, Word) and operand.field is None:
                    required |= resolve(operand)
                else:
                    parts.append(query_source(operand, resolve, source))
            if len(required) == 1:
                parts.insert(0, _leaf(frozenset(required), None, source))
            elif required:
                parts.insert(0, f"keys >= {source.constant(frozenset(required))}")
            return " and ".join(f"({part})" for part in parts)
        case Or(operands=operands):
            by_field: dict[int | None, set[int]] = {}
            parts = []
            for operand in operands:
                if isinstance(operand, Word | Alias):
                    field = _field_number(operand.field)
                    by_field.setdefault(field, set()).update(resolve(operand))
                else:
                    parts.append(query_source(operand, resolve, source))
            leaves = [_leaf(frozenset(n), field, source) for field, n in by_field.items()]
            return " or ".join(f"({part})" for part in leaves + parts)
        case Near(left=left, right=right):
            # Cheap set tests first: most NEARs fail for want of one side altogether.
            sides = [
                frozenset(n for leaf, _ in iter_leaves(side) for n in resolve(leaf))
                for side in (left, right)
            ]
            guards = " and ".join(
                f"not keys.isdisjoint({source.constant(members(s))})" for s in sides
            )
            return f"{guards} and {source.constant(_near(node, resolve))}(found, fields)"
    raise TypeError(f"not a query node: {node!r}")


def compile_query(node: Node, resolve: Callable[[Leaf], frozenset[int]]) -> Predicate:
    """The query alone as a predicate (found, keys, fields) -> bool."""
    source = Source()
    return source.predicate(query_source(node, resolve, source))


def _field_number(field: FieldName | None) -> int | None:
    return None if field is None else FIELDS.index(field)


def _leaf(numbers: frozenset[int], field: int | None, source: Source) -> str:
    if field is not None:
        return f"not fields.present[{field}].isdisjoint({source.constant(members(numbers))})"
    if len(numbers) == 1:
        (number,) = numbers
        return f"{source.constant(number)} in found"
    return f"not keys.isdisjoint({source.constant(members(numbers))})"


def members(numbers: frozenset[int]) -> tuple[int, ...]:
    """A set of pattern numbers as the constant a set test takes: a sorted tuple, a third of
    a frozenset's size (isdisjoint walks it and asks the document's set)."""
    return tuple(sorted(numbers))


def _near(node: Near, resolve: Callable[[Leaf], frozenset[int]]) -> _Near:
    left = tuple((resolve(leaf), _field_number(leaf.field)) for leaf, _ in iter_leaves(node.left))
    right = tuple((resolve(leaf), _field_number(leaf.field)) for leaf, _ in iter_leaves(node.right))
    return _Near(left, right, node.distance)


Side = tuple[tuple[frozenset[int], int | None], ...]  # (patterns, field or None) per leaf


class _Near:
    """Some occurrence on the left within `distance` words of one on the right.

    Distance is 1 for neighbours, 2 with one word between, and 0 when the two overlap. One
    occurrence is never near itself, so "(a OR b) NEAR/3 (b OR c)" needs two occurrences.
    For each left occurrence only the closest right ones before and after it are measured.
    Equal tests are equal objects (interned by Source), and a document remembers each
    answer (Fields.memo): a thousand rules asking "@place NEAR/15 aid" of one article run
    it once per distinct place. The memo is keyed by `key`, a plain object made with the
    test, whose hash is C-level (this class's own __hash__ serves the interning only).
    """

    __slots__ = ("left", "right", "distance", "key", "_hash", "_lefts", "_rights")

    def __init__(self, left: Side, right: Side, distance: int) -> None:
        self.left = left
        self.right = right
        self.distance = distance
        self.key = object()
        self._hash = hash((left, right, distance))
        # Each side as (pattern, field or None) pairs: what _occurrences walks.
        self._lefts = _pairs(left)
        self._rights = _pairs(right)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, _Near)
            and (self.left, self.right, self.distance) == (other.left, other.right, other.distance)
        )

    def __call__(self, found: Found, fields: Fields) -> bool:
        memo = fields.memo
        key = self.key
        answer = memo.get(key)
        if answer is None:
            answer = memo[key] = self._holds(found, fields)
        return answer  # type: ignore[return-value]

    def _holds(self, found: Found, fields: Fields) -> bool:
        memo: dict[object, list[tuple[int, int, int]]] = fields.memo  # type: ignore[assignment]
        lefts = memo.get(self._lefts)  # sides are shared by many tests: found once each
        if lefts is None:
            lefts = memo[self._lefts] = _occurrences(found, self._lefts)
        if not lefts:
            return False
        rights = memo.get(self._rights)
        if rights is None:
            rights = memo[self._rights] = _occurrences(found, self._rights)
        if not rights:
            return False
        distance = self.distance
        most = distance - 1
        for a in lefts:
            field, start, end = a
            after = before = -1
            for b in rights:
                if b[0] != field or b == a:
                    continue
                other = b[1]
                if other < end and start < b[2]:
                    return True  # they overlap
                if other >= end:
                    if after < 0 or other < after:
                        after = other
                elif b[2] > before:
                    before = b[2]
            doc = fields[field]
            if after >= 0 and doc.words_between(end, after, most) < distance:
                return True
            if before >= 0 and doc.words_between(before, start, most) < distance:
                return True
        return False


def _pairs(side: Side) -> tuple[tuple[int, int | None], ...]:
    """A side's (pattern, field or None) pairs, each once."""
    return tuple(dict.fromkeys((n, field) for numbers, field in side for n in sorted(numbers)))


def _occurrences(
    found: Found, pairs: tuple[tuple[int, int | None], ...]
) -> list[tuple[int, int, int]]:
    """(field, start, end) of every occurrence of the pairs' patterns in their fields."""
    return [
        (where[0], where[1], end)
        for number, field in pairs
        if number in found
        for where, end in found[number].items()
        if field is None or where[0] == field
    ]

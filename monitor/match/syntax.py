"""The query syntax tree, its error, and the questions the matcher asks of a tree.

query.py turns text into these nodes; predicate.py turns nodes into a predicate; engine.py
uses iter_leaves() and necessary() to decide what a rule reports and when it must be
evaluated. All of them walk the tree recursively, which is safe because parse_query() refuses
trees deeper than query.MAX_DEPTH.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal


class QueryError(ValueError):
    """A query or rule that cannot be compiled.

    position: 0-based offset into the string at fault (the query, or the list term named by
    `part`). str(err) is "<what was expected> at <position>", prefixed with the rule when known,
    so a config loader can turn it into file:line:column.
    """

    def __init__(
        self,
        message: str,
        position: int,
        *,
        rule: str | None = None,
        watchlist: str | None = None,
        part: str | None = None,
    ) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position
        self.rule = rule
        self.watchlist = watchlist
        self.part = part  # "query", "keywords[2]", "aliases.aleppo[0]" ... from Matcher.compile

    def __str__(self) -> str:
        located = f"{self.message} at {self.position}"
        if self.rule is None:
            return located
        where = f"rule {self.rule!r}" + (f", {self.part}" if self.part else "")
        return f"{where}: {located}"

    def in_rule(self, watchlist: str, rule: str, part: str) -> QueryError:
        """The same error, saying which rule and which part of it is at fault."""
        return QueryError(self.message, self.position, rule=rule, watchlist=watchlist, part=part)


FieldName = Literal["title", "text"]


@dataclass(frozen=True, slots=True)
class Word:
    """A word or phrase, as written (a trailing '*' makes it a prefix)."""

    text: str
    position: int
    field: FieldName | None = None  # only hits in this field count


@dataclass(frozen=True, slots=True)
class Alias:
    """@name: any term of the named list."""

    name: str
    position: int
    field: FieldName | None = None


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    position: int


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Near:
    """Some hit of `left` and some hit of `right` in one field, at most `distance` words apart."""

    left: Node
    right: Node
    distance: int
    position: int


Leaf = Word | Alias
Node = Word | Alias | Not | And | Or | Near


def iter_leaves(node: Node, positive: bool = True) -> Iterator[tuple[Leaf, bool]]:
    """Every word and alias reference, with whether it counts for the rule (not under an odd
    number of NOTs)."""
    match node:
        case Word() | Alias():
            yield node, positive
        case Not(operand=operand):
            yield from iter_leaves(operand, not positive)
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from iter_leaves(operand, positive)
        case Near(left=left, right=right):
            yield from iter_leaves(left, positive)
            yield from iter_leaves(right, positive)


def necessary(
    node: Node, resolve: Callable[[Leaf], frozenset[int]], cost: Callable[[frozenset[int]], int]
) -> frozenset[int] | None:
    """Pattern numbers of which at least one must be found for the query to hold, chosen to
    be rarely found (lowest `cost`); None when the structure gives no such set (NOT)."""
    match node:
        case Word() | Alias():
            return resolve(node)
        case Not():
            return None
        case Or(operands=operands):
            union: set[int] = set()
            for operand in operands:
                found = necessary(operand, resolve, cost)
                if found is None:
                    return None
                union |= found
            return frozenset(union)
        case And(operands=operands):
            options = [necessary(o, resolve, cost) for o in operands]
            known = [o for o in options if o is not None]
            return min(known, key=cost) if known else None
        case Near(left=left, right=right):
            sides = [necessary(left, resolve, cost), necessary(right, resolve, cost)]
            known = [o for o in sides if o is not None]
            return min(known, key=cost) if known else None
    raise TypeError(f"not a query node: {node!r}")

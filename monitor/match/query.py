"""The query language: its grammar, limits, lexer and parser (text -> syntax tree).

The lexer is lexer.py, the tree and QueryError are syntax.py, compilation to a predicate is
predicate.py; their names are importable from here too, as they always were.

Grammar (EBNF; operators are upper case only, so "and", "or", "not" are plain words):

    query   = or ;
    or      = and , { "OR" , and } ;
    and     = near , { [ "AND" ] , near } ;            (* side by side means AND *)
    near    = unary , { "NEAR/" , number , unary } ;   (* within number words *)
    unary   = "NOT" , unary | scoped ;
    scoped  = [ field , ":" ] , primary ;               (* no space around the ":" *)
    field   = "title" | "text" ;                        (* lower case *)
    primary = word | phrase | alias | "(" , or , ")" ;
    word    = wordchar , { wordchar } , [ "*" ] ;      (* letters, digits, marks, - ' ’ *)
    phrase  = '"' , { character - '"' } , '"' ;
    alias   = "@" , namechar , { namechar } ;          (* letters, digits, _ and - *)

    precedence: field scope > NOT > NEAR > AND > OR
    NEAR operands: a word, a phrase, an @alias, or a parenthesised OR of those (each may
    carry a field scope)

A trailing '*' makes a word a prefix ("bomb*": bomb, bombing, bombers), still from the start
of a word ("strike*" does not match "airstrike"). Inside a phrase, punctuation separates
words as it does in articles, and a trailing '*' makes the last word a prefix. `@name`
stands for the OR of the terms the watchlist declares under `aliases: {name: [...]}`. A
field scope makes a term count only where it appears in that field (the article's title or
its text); on a group it applies to every term inside. NEAR/n holds when a hit of each side
lies in the same field at most n words apart ("ICRC delivered aid": ICRC and aid are 2
apart), in either order; words are counted straight across sentence and paragraph ends
(NEAR does not stop at a full stop).

Limits. A query is at most MAX_LENGTH (2,000) characters, holds at most MAX_TERMS (200)
words, phrases and @aliases, and nests at most MAX_DEPTH (32) levels of parentheses and NOTs
one inside another. Real queries stay far below (the longest in the README, the shipped
watchlists and the benchmarks is under 100 characters and 4 levels); long lists of
alternatives belong under `aliases:`, where they are one @name. The limits also keep every
recursive step (parser, tree walks, the generated predicate) well inside Python's recursion
and parser limits: nothing parse_query accepts can fail on them when it is compiled.
Inside a phrase, the rules for list terms apply (terms.check_term): no regular-expression
syntax, and '*' only at the end.

Examples:

    airstrike* Aleppo                             both, anywhere in the article
    (ICRC OR "Red Cross") NEAR/15 (aid OR humanitarian) AND NOT football
    title:Aleppo AND (shelling OR airstrike*)     Aleppo in the title, the rest anywhere
    title:"suicide bombing" OR text:(bomb* NEAR/5 market)
    @aleppo NEAR/10 @violence                     two lists the watchlist declares
    title:@isis claim*                            any ISIS name in the title, and a claim
    "al-Qaeda" NOT (football OR "video game")     a phrase, and words that rule it out
    ceasefire NOT title:violat*                   no "violation(s)" in the title
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from monitor.match.lexer import STARTS_OPERAND, Lexeme, lex
from monitor.match.predicate import (
    Found,
    Predicate,
    Source,
    Spaced,
    compile_query,
    in_field,
    query_source,
)
from monitor.match.syntax import (
    Alias,
    And,
    FieldName,
    Leaf,
    Near,
    Node,
    Not,
    Or,
    QueryError,
    Word,
    iter_leaves,
    necessary,
)

__all__ = [
    "MAX_DEPTH", "MAX_LENGTH", "MAX_TERMS", "Alias", "And", "FieldName", "Found", "Leaf",
    "Lexeme", "Near", "Node", "Not", "Or", "Predicate", "QueryError", "Source", "Spaced",
    "Word", "compile_query", "in_field", "iter_leaves", "lex", "necessary", "parse_query",
    "query_source",
]

MAX_LENGTH = 2000  # characters
MAX_TERMS = 200  # words, phrases and @aliases
MAX_DEPTH = 32  # parentheses and NOTs, one inside another
_ALIAS_ADVICE = "put long lists of terms under aliases: and write @name"


def parse_query(text: str, aliases: Collection[str] | None = None) -> Node:
    """Parse a query into its syntax tree; raises QueryError with the offending position.

    With `aliases` (the names a watchlist declares), an `@name` not among them is an error;
    without, any well-formed `@name` is accepted. Queries over the limits (MAX_LENGTH,
    MAX_TERMS, MAX_DEPTH) are refused before parsing, so parsing cannot recurse too deep.
    """
    if len(text) > MAX_LENGTH:
        raise QueryError(
            f"query is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed "
            f"({_ALIAS_ADVICE})",
            MAX_LENGTH,
        )
    lexemes = lex(text)
    _check_terms(lexemes)
    _check_depth(lexemes)
    parser = _Parser(lexemes, aliases)
    if parser.peek.kind == "end":
        raise QueryError("empty query (expected a word, a phrase, an @alias or '(')", 0)
    node = parser.or_expr()
    if parser.peek.kind != "end":
        raise QueryError("unexpected ')' (no '(' to close)", parser.peek.position)
    return node


def _check_terms(lexemes: Sequence[Lexeme]) -> None:
    terms = [lexeme for lexeme in lexemes if lexeme.kind in ("word", "phrase", "alias")]
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"query has {len(terms):,} terms (words, phrases and @aliases); at most "
            f"{MAX_TERMS} are allowed ({_ALIAS_ADVICE})",
            terms[MAX_TERMS].position,
        )


def _check_depth(lexemes: Sequence[Lexeme]) -> None:
    """Refuse a query that nests more than MAX_DEPTH levels, saying how deep it goes.

    A level is a parenthesis or a NOT, one inside another: "NOT (a OR NOT b)" nests 3. A NOT
    holds until its operand ends: a word, or the group its "(" opens. Each level costs the
    parser a few stack frames, which is what the limit bounds.
    """
    depth = pending = deepest = 0  # pending: NOTs still waiting for their operand
    groups: list[int] = []  # for each open "(": the levels it added
    first_too_deep = -1
    for lexeme in lexemes:
        if lexeme.kind == "not":
            pending += 1
            level = depth + pending
        elif lexeme.kind == "(":
            groups.append(pending + 1)
            depth += pending + 1
            level, pending = depth, 0
        else:
            if lexeme.kind == ")" and groups:
                depth -= groups.pop()
            if lexeme.kind in ("word", "phrase", "alias", ")"):
                pending = 0
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH and first_too_deep < 0:
            first_too_deep = lexeme.position
    if first_too_deep >= 0:
        raise QueryError(
            f"query nests {deepest} levels deep (parentheses and NOTs, one inside another); "
            f"at most {MAX_DEPTH} are allowed",
            first_too_deep,
        )


class _Parser:
    """Recursive descent over the lexemes, one method per grammar rule."""

    def __init__(self, lexemes: Sequence[Lexeme], aliases: Collection[str] | None) -> None:
        self._lexemes = lexemes
        self._index = 0
        self._aliases = aliases

    @property
    def peek(self) -> Lexeme:
        return self._lexemes[self._index]

    def _next(self) -> Lexeme:
        lexeme = self.peek
        self._index += 1
        return lexeme

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.peek.kind == "or":
            self._next()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands), operands[0].position)

    def and_expr(self) -> Node:
        operands = [self.near_expr()]
        while self.peek.kind == "and" or self.peek.kind in STARTS_OPERAND:
            if self.peek.kind == "and":
                self._next()
            operands.append(self.near_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands), operands[0].position)

    def near_expr(self) -> Node:
        left = self.unary()
        while self.peek.kind == "near":
            operator = self._next()
            right = self.unary()
            for operand in (left, right):
                _check_near_operand(operand, operator)
            left = Near(left, right, operator.distance, left.position)
        return left

    def unary(self) -> Node:
        if self.peek.kind == "not":
            operator = self._next()
            return Not(self.unary(), operator.position)
        return self.scoped()

    def scoped(self) -> Node:
        if self.peek.kind != "field":
            return self.primary()
        scope = self._next()
        return _scope(self.primary(scope), scope)

    def primary(self, scope: Lexeme | None = None) -> Node:
        lexeme = self.peek
        if lexeme.kind in ("word", "phrase"):
            self._next()
            return Word(lexeme.text, lexeme.position)
        if lexeme.kind == "alias":
            self._next()
            self._check_declared(lexeme)
            return Alias(lexeme.text, lexeme.position)
        if lexeme.kind == "(":
            self._next()
            node = self.or_expr()
            if self.peek.kind != ")":
                raise QueryError("expected ')'", self.peek.position)
            self._next()
            return node
        after = f" after '{scope.text}:'" if scope is not None else ""
        raise QueryError(
            f"expected a word, a phrase, an @alias or '('{after}, found {_describe(lexeme)}",
            lexeme.position,
        )

    def _check_declared(self, lexeme: Lexeme) -> None:
        if self._aliases is None or lexeme.text in self._aliases:
            return
        declared = ", ".join(sorted(self._aliases)) or "none"
        raise QueryError(f"unknown alias '@{lexeme.text}' (declared: {declared})", lexeme.position)


def _describe(lexeme: Lexeme) -> str:
    if lexeme.kind == "end":
        return "end of query"
    if lexeme.kind == "alias":
        return repr("@" + lexeme.text)
    if lexeme.kind == "field":
        return repr(lexeme.text + ":")
    return repr(lexeme.text)


def _scope(node: Node, scope: Lexeme) -> Node:
    """`node` with every term inside it restricted to the scope's field."""
    field: FieldName = "title" if scope.text == "title" else "text"
    match node:
        case Word() | Alias():
            if node.field is not None and node.field != field:
                inner = node.position - len(node.field) - 1
                raise QueryError(
                    f"'{node.field}:' inside '{field}:(...)': a term is looked for in one "
                    "field only",
                    inner,
                )
            return replace(node, field=field)
        case Not(operand=operand):
            return replace(node, operand=_scope(operand, scope))
        case And(operands=operands) | Or(operands=operands):
            return replace(node, operands=tuple(_scope(o, scope) for o in operands))
        case Near(left=left, right=right):
            return replace(node, left=_scope(left, scope), right=_scope(right, scope))
    raise TypeError(f"not a query node: {node!r}")


def _check_near_operand(node: Node, operator: Lexeme) -> None:
    if isinstance(node, Word | Alias):
        return
    if isinstance(node, Or):
        for operand in node.operands:
            _check_near_operand(operand, operator)
        return
    raise QueryError(
        f"{operator.text} needs a word, a phrase, an @alias or a parenthesised OR of those "
        "on each side",
        node.position,
    )

"""The query language: lexer, parser, syntax tree and evaluation.

Grammar (operators are upper case only; "and", "or", "not" in lower case are plain words):

    query  := or
    or     := and ("OR" and)*
    and    := near (["AND"] near)*          adjacent operands mean AND
    near   := unary ("NEAR/n" unary)*       operands: a term, or a "(...)" OR-group of terms
    unary  := "NOT" unary | primary
    primary:= WORD | "PHRASE" | "(" or ")"

so the precedence is NOT > NEAR > AND > OR. A WORD is letters, digits, hyphens and
apostrophes, optionally ending in '*' (prefix). A phrase is any text in double quotes; its
punctuation separates words like in documents, and a trailing '*' makes its last word a prefix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from monitor.match.terms import Occurrence, clean_term


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
        self.part = part  # "query", "keywords[2]", ... when raised by Matcher.compile

    def __str__(self) -> str:
        located = f"{self.message} at {self.position}"
        if self.rule is None:
            return located
        where = f"rule {self.rule!r}" + (f", {self.part}" if self.part else "")
        return f"{where}: {located}"

    def in_rule(self, watchlist: str, rule: str, part: str) -> QueryError:
        """The same error, saying which rule and which part of it is at fault."""
        return QueryError(self.message, self.position, rule=rule, watchlist=watchlist, part=part)


# ---------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase, as written (a trailing '*' makes it a prefix)."""

    text: str
    position: int


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


Node = Term | Not | And | Or | Near


# ---------------------------------------------------------------------------------- lexer

Kind = Literal["word", "phrase", "and", "or", "not", "near", "(", ")", "end"]
_OPERATORS: dict[str, Kind] = {"AND": "and", "OR": "or", "NOT": "not"}
_WORD_PUNCTUATION = frozenset("-'\u2019")
_STARTS_OPERAND = frozenset({"word", "phrase", "(", "not"})


@dataclass(frozen=True, slots=True)
class Lexeme:
    kind: Kind
    text: str
    position: int
    distance: int = 0  # for NEAR/n


def lex(text: str) -> list[Lexeme]:
    """Split a query into lexemes; the last one is always "end" at len(text)."""
    lexemes: list[Lexeme] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            kind: Kind = "(" if char == "(" else ")"
            lexemes.append(Lexeme(kind, char, index))
            index += 1
        elif char == '"':
            lexeme, index = _lex_phrase(text, index)
            lexemes.append(lexeme)
        else:
            lexeme, index = _lex_word(text, index)
            lexemes.append(lexeme)
    lexemes.append(Lexeme("end", "", len(text)))
    return lexemes


def _lex_phrase(text: str, start: int) -> tuple[Lexeme, int]:
    close = text.find('"', start + 1)
    if close < 0:
        raise QueryError("unclosed quote (expected a closing '\"')", start)
    phrase = clean_term(text[start + 1 : close])
    if not any(c.isalnum() for c in phrase):
        raise QueryError("expected a phrase with at least one letter or digit", start)
    return Lexeme("phrase", phrase, start), close + 1


def _lex_word(text: str, start: int) -> tuple[Lexeme, int]:
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in '()"':
        end += 1
    word = text[start:end]
    if word in _OPERATORS:
        return Lexeme(_OPERATORS[word], word, start), end
    if word == "NEAR" or word.startswith("NEAR/"):
        return Lexeme("near", word, start, _near_distance(word, start)), end
    _check_word(word, start)
    return Lexeme("word", word, start), end


def _near_distance(word: str, start: int) -> int:
    if word == "NEAR":
        raise QueryError("expected '/n' after NEAR (NEAR/5: within 5 words)", start + 4)
    digits = word[5:]
    if not (digits.isascii() and digits.isdigit()):
        raise QueryError("expected a number of words after 'NEAR/'", start + 5)
    if int(digits) < 1:
        raise QueryError("expected a number of words of at least 1 after 'NEAR/'", start + 5)
    return int(digits)


def _check_word(word: str, start: int) -> None:
    """Bare words are letters, digits, hyphens and apostrophes, with an optional final '*'."""
    for offset, char in enumerate(word):
        if char == "*":
            if offset != len(word) - 1:
                raise QueryError("'*' may only end a word", start + offset)
        elif not (
            char.isalnum()
            or char in _WORD_PUNCTUATION
            or unicodedata.category(char).startswith("M")
        ):
            raise QueryError(_unexpected(word, char), start + offset)
    if not any(c.isalnum() for c in word):
        raise QueryError("expected a word with at least one letter or digit", start)


def _unexpected(word: str, char: str) -> str:
    if word.casefold().startswith("near/") and char == "/":
        return "operators are upper case: write NEAR/n"
    return f"unexpected character {char!r} (put words with punctuation in double quotes)"


# --------------------------------------------------------------------------------- parser


def parse_query(text: str) -> Node:
    """Parse a query into its syntax tree; raises QueryError with the offending position."""
    parser = _Parser(lex(text))
    if parser.peek.kind == "end":
        raise QueryError("empty query (expected a word, a phrase or '(')", 0)
    node = parser.or_expr()
    if parser.peek.kind != "end":
        raise QueryError("unexpected ')' (no '(' to close)", parser.peek.position)
    return node


class _Parser:
    """Recursive descent over the lexemes, one method per grammar rule."""

    def __init__(self, lexemes: Sequence[Lexeme]) -> None:
        self._lexemes = lexemes
        self._index = 0

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
        while self.peek.kind == "and" or self.peek.kind in _STARTS_OPERAND:
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
        return self.primary()

    def primary(self) -> Node:
        lexeme = self.peek
        if lexeme.kind in ("word", "phrase"):
            self._next()
            return Term(lexeme.text, lexeme.position)
        if lexeme.kind == "(":
            self._next()
            node = self.or_expr()
            if self.peek.kind != ")":
                raise QueryError("expected ')'", self.peek.position)
            self._next()
            return node
        raise QueryError(
            f"expected a word, a phrase or '(', found {_describe(lexeme)}", lexeme.position
        )


def _describe(lexeme: Lexeme) -> str:
    if lexeme.kind == "end":
        return "end of query"
    return repr(lexeme.text)


def _check_near_operand(node: Node, operator: Lexeme) -> None:
    if isinstance(node, Term):
        return
    if isinstance(node, Or) and all(isinstance(o, Term | Or) for o in node.operands):
        for operand in node.operands:
            _check_near_operand(operand, operator)
        return
    raise QueryError(
        f"{operator.text} needs a word, a phrase or a parenthesised OR of those on each side",
        node.position,
    )


# ----------------------------------------------------------------------------- evaluation

Found = Mapping[str, Sequence[Occurrence]]


def evaluate(node: Node, found: Found) -> bool:
    """Whether the query holds, given the occurrences of every term that was found."""
    match node:
        case Term(text=text):
            return text in found
        case Not(operand=operand):
            return not evaluate(operand, found)
        case And(operands=operands):
            return all(evaluate(operand, found) for operand in operands)
        case Or(operands=operands):
            return any(evaluate(operand, found) for operand in operands)
        case Near():
            return _near(node, found)
    raise TypeError(f"not a query node: {node!r}")


def _near(node: Near, found: Found) -> bool:
    """Some occurrence on the left within node.distance words of one on the right.

    Distance is the gap in word index (0 when the two overlap). One occurrence is never near
    itself, so "(a OR b) NEAR/3 (b OR c)" needs two occurrences.
    """
    left = [o for term in _terms(node.left) for o in found.get(term, ())]
    if not left:
        return False
    right = [o for term in _terms(node.right) for o in found.get(term, ())]
    return any(_close(a, b, node.distance) for a in left for b in right)


def _close(a: Occurrence, b: Occurrence, distance: int) -> bool:
    if a.field != b.field or (a.first, a.last) == (b.first, b.last):
        return False
    return max(0, b.first - a.last, a.first - b.last) <= distance


def _terms(node: Node) -> Iterator[str]:
    for term, _positive in iter_terms(node):
        yield term.text


def iter_terms(node: Node, positive: bool = True) -> Iterator[tuple[Term, bool]]:
    """Every term of the query, with whether it counts for the rule (not under an odd NOT)."""
    match node:
        case Term():
            yield node, positive
        case Not(operand=operand):
            yield from iter_terms(operand, not positive)
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from iter_terms(operand, positive)
        case Near(left=left, right=right):
            yield from iter_terms(left, positive)
            yield from iter_terms(right, positive)

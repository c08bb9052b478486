"""The query language: lexer, parser, syntax tree, and compilation to a fast predicate.

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

import unicodedata
from collections.abc import Callable, Collection, Iterator, KeysView, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Protocol

from monitor.match.terms import FIELDS, Occurrences, clean_term


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


# ---------------------------------------------------------------------------- syntax tree

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


# ---------------------------------------------------------------------------------- lexer

Kind = Literal["word", "phrase", "alias", "field", "and", "or", "not", "near", "(", ")", "end"]
_OPERATORS: dict[str, Kind] = {"AND": "and", "OR": "or", "NOT": "not"}
_WORD_PUNCTUATION = frozenset("-'\u2019")
_STARTS_OPERAND = frozenset({"word", "phrase", "alias", "field", "(", "not"})
_ALIAS_PUNCTUATION = frozenset("_-")


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
            index = _lex_word(text, index, lexemes)
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


def _lex_word(text: str, start: int, lexemes: list[Lexeme]) -> int:
    """Lex a word, an operator, an @alias or a field scope; returns where it ends."""
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in '()"':
        end += 1
    word = text[start:end]
    colon = word.find(":")
    if colon > 0 and word[:colon].isalpha():
        field = word[:colon]
        if field not in FIELDS:
            raise QueryError(f"unknown field '{field}:' (fields: title:, text:)", start)
        lexemes.append(Lexeme("field", field, start))
        after = start + colon + 1
        if after == end and (end == len(text) or text[end].isspace() or text[end] == ")"):
            raise QueryError(
                f"expected a word, a phrase, an @alias or '(' right after '{field}:'", after
            )
        if after < end:
            _lex_plain(text[after:end], after, lexemes)
        return end
    _lex_plain(word, start, lexemes)
    return end


def _lex_plain(word: str, start: int, lexemes: list[Lexeme]) -> None:
    if word in _OPERATORS:
        lexemes.append(Lexeme(_OPERATORS[word], word, start))
    elif word == "NEAR" or word.startswith("NEAR/"):
        lexemes.append(Lexeme("near", word, start, _near_distance(word, start)))
    elif word.startswith("@"):
        _check_alias(word, start)
        lexemes.append(Lexeme("alias", word[1:], start))
    else:
        _check_word(word, start)
        lexemes.append(Lexeme("word", word, start))


def _near_distance(word: str, start: int) -> int:
    if word == "NEAR":
        raise QueryError("expected '/n' after NEAR (NEAR/5: within 5 words)", start + 4)
    digits = word[5:]
    if not (digits.isascii() and digits.isdigit()):
        raise QueryError("expected a number of words after 'NEAR/'", start + 5)
    if int(digits) < 1:
        raise QueryError("expected a number of words of at least 1 after 'NEAR/'", start + 5)
    return int(digits)


def _check_alias(word: str, start: int) -> None:
    if len(word) == 1:
        raise QueryError("expected an alias name after '@'", start + 1)
    for offset, char in enumerate(word[1:], start=1):
        if not (char.isalnum() or char in _ALIAS_PUNCTUATION):
            raise QueryError(
                f"unexpected character {char!r} in an alias name (letters, digits, _ and -)",
                start + offset,
            )


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


def parse_query(text: str, aliases: Collection[str] | None = None) -> Node:
    """Parse a query into its syntax tree; raises QueryError with the offending position.

    With `aliases` (the names a watchlist declares), an `@name` not among them is an error;
    without, any well-formed `@name` is accepted.
    """
    parser = _Parser(lex(text), aliases)
    if parser.peek.kind == "end":
        raise QueryError("empty query (expected a word, a phrase, an @alias or '(')", 0)
    node = parser.or_expr()
    if parser.peek.kind != "end":
        raise QueryError("unexpected ')' (no '(' to close)", parser.peek.position)
    return node


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


# ------------------------------------------------------------------------ tree inspection


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


# ------------------------------------------------------------------------------ evaluation

Found = Mapping[int, Occurrences]  # pattern number -> occurrences


class Spaced(Protocol):
    """A field of the document, as NEAR needs it (normalize.Folded)."""

    def words_between(self, start: int, stop: int, most: int) -> int: ...


# (found, found.keys(), fields) -> whether the rule or query holds
Predicate = Callable[[Found, KeysView[int], Sequence[Spaced]], bool]


class Source:
    """A predicate being generated: one Python expression over `found`, `keys` (its keys)
    and `fields`, with every set and closure it needs kept aside as constants c[i].

    Rules of the same shape share their source text, so each shape compiles once
    (`predicate`), and a rule is that compiled shape bound to its own constants: matching
    then runs one function per rule, with C-level set tests, instead of a closure per node.
    The text holds nothing from the rule itself (no terms), only operators and indexes.
    """

    def __init__(self) -> None:
        self.constants: list[object] = []

    def constant(self, value: object) -> str:
        self.constants.append(value)
        return f"c[{len(self.constants) - 1}]"

    def predicate(self, expression: str) -> Predicate:
        return _shape(expression)(tuple(self.constants))


@lru_cache(maxsize=4096)
def _shape(expression: str) -> Callable[[tuple[object, ...]], Predicate]:
    factory = f"lambda c: lambda found, keys, fields: {expression}"
    return eval(factory, {"__builtins__": {}, "in_field": in_field})  # our own text only


def in_field(found: Found, numbers: frozenset[int], field: int) -> bool:
    """Whether a pattern of `numbers` was found in `field`."""
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
            guards = " and ".join(f"not keys.isdisjoint({source.constant(s)})" for s in sides)
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
        return f"in_field(found, {source.constant(numbers)}, {field})"
    if len(numbers) == 1:
        (number,) = numbers
        return f"{source.constant(number)} in found"
    return f"not keys.isdisjoint({source.constant(numbers)})"


def _near(
    node: Near, resolve: Callable[[Leaf], frozenset[int]]
) -> Callable[[Found, Sequence[Spaced]], bool]:
    """Some occurrence on the left within node.distance words of one on the right.

    Distance is 1 for neighbours, 2 with one word between, and 0 when the two overlap. One
    occurrence is never near itself, so "(a OR b) NEAR/3 (b OR c)" needs two occurrences.
    For each left occurrence only the closest right ones before and after it are measured.
    """
    left = tuple((resolve(leaf), _field_number(leaf.field)) for leaf, _ in iter_leaves(node.left))
    right = tuple((resolve(leaf), _field_number(leaf.field)) for leaf, _ in iter_leaves(node.right))
    distance = node.distance

    def holds(found: Found, fields: Sequence[Spaced]) -> bool:
        lefts = _occurrences(found, left)
        rights = _occurrences(found, right) if lefts else ()
        for a in lefts:
            field, start, end = a
            after = before = -1
            for b in rights:
                if b[0] != field or b == a:
                    continue
                if b[1] < end and start < b[2]:
                    return True  # they overlap
                if b[1] >= end:
                    if after < 0 or b[1] < after:
                        after = b[1]
                elif b[2] > before:
                    before = b[2]
            doc = fields[field]
            if after >= 0 and doc.words_between(end, after, distance - 1) < distance:
                return True
            if before >= 0 and doc.words_between(before, start, distance - 1) < distance:
                return True
        return False

    return holds


def _occurrences(
    found: Found, leaves: tuple[tuple[frozenset[int], int | None], ...]
) -> list[tuple[int, int, int]]:
    """(field, start, end) of every occurrence of the leaves' patterns in their fields."""
    return [
        (where[0], where[1], end)
        for numbers, field in leaves
        for number in numbers
        for where, end in found.get(number, {}).items()
        if field is None or where[0] == field
    ]

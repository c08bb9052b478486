"""The query lexer: text -> lexemes (words, phrases, @aliases, field scopes, operators).

Checks that need only one lexeme happen here, at the offending character: what a bare word
may contain, the rules for list terms inside a phrase (terms.check_term), alias names and
NEAR/n distances. query.py parses the lexemes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from monitor.match.normalize import is_word_char
from monitor.match.syntax import QueryError
from monitor.match.terms import FIELDS, TermError, check_term, clean_term

Kind = Literal["word", "phrase", "alias", "field", "and", "or", "not", "near", "(", ")", "end"]
_OPERATORS: dict[str, Kind] = {"AND": "and", "OR": "or", "NOT": "not"}
_WORD_PUNCTUATION = frozenset("-'\u2019")
STARTS_OPERAND = frozenset({"word", "phrase", "alias", "field", "(", "not"})
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
    written = text[start + 1 : close]
    if not any(c.isalnum() for c in written):
        raise QueryError("expected a phrase with at least one letter or digit", start)
    try:
        check_term(written)
    except TermError as error:
        raise QueryError(error.message, start + 1 + error.position) from None
    return Lexeme("phrase", clean_term(written), start), close + 1


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
            if offset and not is_word_char(word[offset - 1]):
                raise QueryError("'*' must follow a letter or digit (bomb*)", start + offset)
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

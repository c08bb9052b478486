"""Markup to plain text, and the bounds we put on untrusted text.

`html_to_text` runs libxml2's HTML parser (lxml) as a stream of events into a small target:
no tree is built, so neither memory nor time depends on how deeply a hostile fragment nests.
The standard library's `html.parser` it replaces is quadratic on unclosed tags (a 41 KB
description of "<a " repeated stalled a poll for 12-99 s) and raises AssertionError on junk
such as "<![ 1 ]]>"; selectolax (Lexbor) was measured too and is quadratic on nesting (100,000
nested <div>: 9.8 s) — figures in bench/parse.py.

Bounds: at most MAX_MARKUP characters of one fragment are parsed, and parsing stops once
`limit` characters of text are in hand.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from lxml import etree

# C0/C1 controls, the bidi overrides that can make a title display as something else, and
# lone surrogates (JSON can carry them; no store or encoder accepts them)
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    r"\ud800-\udfff]")
_INVISIBLE = frozenset({"script", "style", "noscript", "iframe", "object", "template", "head"})
_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "tr", "td", "th", "table", "section", "article", "header",
                     "footer", "figure", "figcaption", "hr", "pre", "dd", "dt", "aside"})

MAX_MARKUP = 1_000_000  # characters of one fragment parsed: 10x the longest text we keep
_CHUNK = 65_536  # bytes fed to the parser at a time, so that it can stop early

_PARSERS = threading.local()

P = ParamSpec("P")
R = TypeVar("R")


def clean(text: str, limit: int) -> str:
    """One line of plain text: no control or bidi-override characters, single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit].rstrip()


class _Text:
    """lxml parser target collecting visible text; block elements become word breaks,
    inline ones do not."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.parts: list[str] = []
        self.hidden = 0
        self.size = 0

    def start(self, tag: str, _attrib: object) -> None:
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def end(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
            self.size += len(data)

    def comment(self, _text: str) -> None:
        pass

    def close(self) -> str:
        return "".join(self.parts)


def html_to_text(markup: str, limit: int) -> str:
    """Visible text of an HTML fragment; scripts and styles dropped, blocks kept apart,
    entities decoded, at most `limit` characters (see `clean`)."""
    if len(markup) > MAX_MARKUP:  # cut before a tag rather than through one
        end = markup.rfind("<", MAX_MARKUP // 2, MAX_MARKUP)
        markup = markup[:end if end > 0 else MAX_MARKUP]
    if "<" not in markup:
        return clean(html.unescape(markup), limit)
    parser, target = _parser()
    try:
        return _read(parser, target, markup.encode("utf-8", "replace"), limit)
    except BaseException:
        _PARSERS.pair = None  # stopped mid-document: never reused
        raise
    finally:
        target.reset()


def _read(parser: etree.HTMLParser, target: _Text, data: bytes, limit: int) -> str:
    check = limit
    for start in range(0, len(data), _CHUNK):
        parser.feed(data[start:start + _CHUNK])
        if target.size > check:  # maybe enough, unless much of it is whitespace
            text = clean(target.close(), limit + 1)
            if len(text) > limit:  # the first `limit` characters can no longer change
                parser.close()  # ready for the next fragment
                return text[:limit].rstrip()
            check = 2 * target.size
    return clean(parser.close(), limit)


def _parser() -> tuple[etree.HTMLParser, _Text]:
    """This thread's parser and target, made once: a new parser costs ~11 µs, more than a
    whole feed summary's parse (~2 µs). Threads never share one (lxml parsers are not
    thread-safe); one dies with its thread (see `own_thread`)."""
    found = getattr(_PARSERS, "pair", None)
    if found is None:
        target = _Text()
        found = _PARSERS.pair = (etree.HTMLParser(target=target, encoding="utf-8",
                                                  no_network=True), target)
    return found


def markup_cut(markup: str, text: str, limit: int) -> bool:
    """Whether `html_to_text(markup, limit)` returned `text` short of `limit` because the
    markup was longer than MAX_MARKUP: text was lost to the bound. (A text cut at `limit`
    may end one character short: `clean` drops the space it was cut after.)"""
    return len(markup) > MAX_MARKUP and len(text) < limit - 1


def own_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` in a thread of its own and wait for it.

    libxml2 interns every element and attribute name it meets in a dictionary that lives as
    long as the thread that parsed: in a long-lived worker (asyncio's executor) feeds full
    of unique tag names grow the process for good (measured by malloc's count of memory in
    use: 6 million unique names held 208 MB; RSS grew 400 MB for 12 million). A thread per
    document takes the dictionary with it (in use: no growth), for ~65 µs.
    """

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outcome: list = []

        def work() -> None:
            try:
                outcome.append((True, fn(*args, **kwargs)))
            except BaseException as err:  # handed to the caller below
                outcome.append((False, err))

        thread = threading.Thread(target=work, name=f"parse-{fn.__name__}", daemon=True)
        thread.start()
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    return run

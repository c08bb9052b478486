"""Item-level problems: a failure in one item costs that item (or only the part of it that
failed), never the whole feed or sitemap, and is reported as one short, safe line such as
`item 3 ("Title…"): summary dropped: ValueError: …`.

These are kept apart from a parse's warnings (benign facts such as "feed is not
well-formed"): the poller records them as the source's error in `status`. Titles and error
texts in them are untrusted, so each line is cleaned (no control characters, no newlines)
and cut, and a parse keeps at most MAX_PROBLEMS lines plus a count of the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.text import MAX_MARKUP, clean, html_to_text, markup_cut

__all__ = ["MAX_PROBLEMS", "ItemText", "Problems", "describe", "reason"]

MAX_PROBLEMS = 20
_LABEL = 60  # characters of an item's title or URL quoted
_REASON = 160  # characters of an error's message kept
_LINE = 300


class Problems:
    """The item-level problems of one document, in item order, bounded."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, number: int, label: str, what: str) -> None:
        """Record that item `number` (titled or located by `label`) had `what` happen."""
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(describe(number, label, what))
        else:
            self.more += 1

    def guard(self, number: int, label: str, part: str, convert: Callable[[], str]) -> str:
        """`convert()`, or "" when it raises: that part of the item is dropped and said so."""
        try:
            return convert()
        except Exception as err:  # any failure in one item's text costs that text only
            self.add(number, label, f"{part} dropped: {reason(err)}")
            return ""

    def item(self, number: int, label: str) -> ItemText:
        return ItemText(self, number, label)

    def result(self) -> list[str]:
        if not self.more:
            return list(self.lines)
        return [*self.lines, f"{self.more} more items had problems"]


class ItemText:
    """The text parts of one item, each converted on its own, so that one that fails (or is
    cut by a bound) costs only that part, and is reported."""

    def __init__(self, problems: Problems, number: int, label: str):
        self.problems, self.number, self.label = problems, number, label

    def part(self, name: str, convert: Callable[[], str]) -> str:
        return self.problems.guard(self.number, self.label, name, convert)

    def html(self, name: str, markup: str, limit: int) -> str:
        """`html_to_text(markup, limit)`; markup past MAX_MARKUP is not read and said so."""

        def convert() -> str:
            text = html_to_text(markup, limit)
            if markup_cut(markup, text, limit):
                self.problems.add(self.number, self.label,
                                  f"{name} cut: markup longer than {MAX_MARKUP:,} characters")
            return text

        return self.part(name, convert)


def describe(number: int, label: str, what: str) -> str:
    """`item N ("label"): what`, one line, at most _LINE characters."""
    title = clean(label, _LABEL + 1)
    if len(title) > _LABEL:
        title = title[:_LABEL - 1] + "…"
    head = f'item {number} ("{title}")' if title else f"item {number}"
    return clean(f"{head}: {what}", _LINE)


def reason(err: BaseException) -> str:
    """An exception as `Type: message`, one line, cut."""
    message = clean(str(err), _REASON)
    return f"{type(err).__name__}: {message}" if message else type(err).__name__

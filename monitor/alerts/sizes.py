"""Sizes for the template bounds (bounds.py): how large a value prints, and how large a
call's result will be before the call runs.

weight() measures a value and stops at the bound, so measuring costs at most the bound. The
estimates cover what can multiply its input, so that a template fails before it allocates:
`*`, `**`, `+`, `%` and format (widths too), center, ljust, rjust, zfill, indent, wordwrap,
expandtabs, replace, join, translate, urlize, tojson's indent, batch and slice fill, and sum
over non-numbers (adding up lists copies the running total at every step). Each estimate
takes the call's own arguments, the value first (as a filter or a bound method gets it), and
returns a size in characters.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from jinja2.runtime import Namespace

# Characters of a message, and of any value a template builds. Well above any real message:
# the worst email digest (100 alerts with fields at views.py's limits, all of them characters
# that HTML escaping multiplies) is below 3,000,000, and Slack cuts at about 40,000.
MESSAGE_MAX = 4_000_000
_POWER_BITS_MAX = 100_000  # ints a template may raise with **: about 30,000 digits

# What weight counts the items of (dict views too: d.items() prints its pairs).
_SEQUENCES = (list, tuple, set, frozenset, deque, type({}.keys()), type({}.values()),
              type({}.items()))


def weight(
    value: Any, limit: int = MESSAGE_MAX, every_so_often: Callable[[], None] | None = None
) -> int:
    """About how many characters `value` prints as; stops counting once past `limit`.

    Strings count their length, integers their digits, containers (dicts, namespaces and
    dataclasses too) their items, each shared item once per reference, as printing it would;
    anything else 1. every_so_often is called after each 65,536 items (the deadline check:
    counting a structure of millions of items takes a good part of a second).
    """
    total = 0
    todo = [value]
    seen = 0
    while todo and total <= limit:
        item = todo.pop()
        seen += 1
        if every_so_often and not seen & 0xFFFF:
            every_so_often()
        if isinstance(item, str | bytes):
            total += len(item)
            continue
        if isinstance(item, int):
            total += item.bit_length() // 3 + 1
            continue
        if isinstance(item, Namespace):
            item = item._Namespace__attrs
        elif is_dataclass(item) and not isinstance(item, type):
            item = [getattr(item, f.name) for f in fields(item)]
        if isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            if total <= limit:
                todo += item.keys()
                todo += item.values()
        elif isinstance(item, _SEQUENCES):
            total += 2 + 2 * len(item)
            if total <= limit:
                todo += item
        else:
            total += 1
    return total


def _num(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def _count(value: Any, sub: str) -> int:
    return value.count(sub) if isinstance(value, str) else 0


def _widths(fmt: Any) -> int:
    """The widths and precisions written into a format string ("%9000s", "{:>9000}")."""
    if not isinstance(fmt, str):
        return 0
    digits = re.findall(r"\d+", fmt)
    return MESSAGE_MAX + 1 if any(len(d) > 7 for d in digits) else sum(map(int, digits))


def _padded(value: Any, width: Any = 80, *_: Any, **__: Any) -> int:
    return max(weight(value), _num(width))


def _indent(value: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    per_line = len(width) if isinstance(width, str) else _num(width)
    return weight(value) + (_count(value, "\n") + 1) * per_line


def _expandtabs(value: Any, tabsize: Any = 8, *_: Any, **__: Any) -> int:
    return weight(value) + _count(value, "\t") * _num(tabsize)


def _wordwrap(value: Any, width: Any = 79, _breaks: Any = True, wrapstring: Any = None,
              *_: Any, **__: Any) -> int:
    size = weight(value)
    lines = size // max(_num(width, 1), 1) + _count(value, "\n") + 1
    return size + lines * (weight(wrapstring) if isinstance(wrapstring, str) else 1)


def _replace(value: Any, old: Any = "", new: Any = "", count: Any = None,
             *_: Any, **__: Any) -> int:
    size = weight(value)
    hits = size // weight(old) if old else size + 1  # "" matches between every character
    if _num(count, -1) >= 0:
        hits = min(hits, count)
    return size + hits * weight(new)


def _fields(fmt: Any, opener: str, values: Iterable[Any]) -> int:
    """What the replacement fields of a format string print: each may print the largest value
    ("%(a)s%(a)s" and "{0}{0}" repeat one)."""
    return _count(fmt, opener) * max(map(weight, values), default=0)


def _percent(fmt: Any, args: Any = ()) -> int:
    """fmt % args, as the % operator and the format filter do it; "*" takes a width from args."""
    values = tuple(args.values()) if isinstance(args, Mapping) else (
        args if isinstance(args, tuple) else (args,))
    stars = sum(map(_num, values)) if isinstance(fmt, str) and "*" in fmt else 0
    return weight(fmt) + _fields(fmt, "%", values) + _widths(fmt) + stars


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> int:
    return _percent(value, kwargs or args)


def _str_format(fmt: Any, *args: Any, **kwargs: Any) -> int:
    """str.format: "{0:{1}}" takes a width from the arguments."""
    values = (*args, *kwargs.values())
    nested = isinstance(fmt, str) and re.search(r"\{[^{}]*\{", fmt)
    stars = sum(map(_num, values)) if nested else 0
    return weight(fmt) + _fields(fmt, "{", values) + _widths(fmt) + stars


def _format_map(fmt: Any, mapping: Any = None, *_: Any, **__: Any) -> int:
    return _str_format(fmt, **mapping) if isinstance(mapping, Mapping) else weight(fmt)


def _translate(value: Any, table: Any = None, *_: Any, **__: Any) -> int:
    longest = max((weight(v) for v in table.values()), default=1) if isinstance(
        table, Mapping) else 1
    return weight(value) * max(longest, 1)


def _join_filter(value: Any, d: Any = "", *_: Any, **__: Any) -> int:
    return weight(value) + len(value) * weight(d) if isinstance(value, list) else weight(value)


def _join_method(separator: Any, items: Any = (), *_: Any, **__: Any) -> int:
    return _join_filter(items, separator)


def _sum(value: Any, attribute: Any = None, start: Any = 0, *_: Any, **__: Any) -> int:
    """Adding up lists or strings copies the running total at every step."""
    return 0 if isinstance(start, int | float) else weight(value) ** 2


def _urlize(value: Any, _trim: Any = None, _nofollow: Any = False, target: Any = None,
            rel: Any = None, *_: Any, **__: Any) -> int:
    size = weight(value)
    return 2 * size + (size // 5 + 1) * (weight(target or "") + weight(rel or "") + 40)


def _tojson(value: Any, indent: Any = None, *_: Any, **__: Any) -> int:
    return weight(value) * (6 + 4 * _num(indent))


def _escaped(value: Any, *_: Any, **__: Any) -> int:
    """HTML escaping: "&" becomes "&amp;", a quote "&#34;"."""
    return 6 * weight(value)


def _url_encoded(value: Any, *_: Any, **__: Any) -> int:
    """Percent-encoding: three bytes of UTF-8 become "%E2%80%A6"."""
    return 9 * weight(value)


def _filled(value: Any, count: Any = 1, fill_with: Any = None, *_: Any, **__: Any) -> int:
    """batch and slice: `count` lists, the short ones padded with fill_with."""
    return weight(value) + _num(count) * (2 + (0 if fill_with is None else weight(fill_with)))


FILTER_COSTS: dict[str, Callable[..., int]] = {
    "center": _padded, "indent": _indent, "wordwrap": _wordwrap, "replace": _replace,
    "format": _format_filter, "join": _join_filter, "sum": _sum, "urlize": _urlize,
    "tojson": _tojson, "batch": _filled, "slice": _filled, "e": _escaped, "escape": _escaped,
    "forceescape": _escaped, "urlencode": _url_encoded,
}
METHOD_COSTS: dict[str, Callable[..., int]] = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "expandtabs": _expandtabs, "replace": _replace, "join": _join_method,
    "format": _str_format, "format_map": _format_map, "translate": _translate,
}
# Calls whose iterable argument is read into a list first, so that its size can be estimated.
READ_FIRST = {"join", "sum"}


def binop_size(operator: str, left: Any, right: Any) -> int:
    """The size of `left <operator> right` for the operators the sandbox intercepts."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and not isinstance(seq, int | float):
                return weight(seq) * max(times, 0)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right * left.bit_length() > _POWER_BITS_MAX:
            return MESSAGE_MAX + 1
    elif operator == "%" and isinstance(left, str):
        return _percent(left, right)
    return weight(left) + weight(right)

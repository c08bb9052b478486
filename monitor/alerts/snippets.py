"""Snippets: the excerpt of an article around its matched words, and how one is shown.

make_snippet picks the window with the most matches and records where the matches are;
render_snippet prints it on one line for one output language, the matched words emphasised
(Slack *bold*, HTML <mark>, **asterisks**, [brackets]) and every piece escaped.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence

from monitor.alerts.escape import DROP_RE, ELLIPSIS, insert_zwsp, zwsp_positions
from monitor.records import Snippet

# How far make_snippet looks for a space before it gives up and cuts inside a word.
_WORD_CUT_REACH = 20


_GAP = r"(?:\s|" + DROP_RE.pattern + ")"
# What changes: a run at the start, a run of two or more, a lone control or whitespace other
# than " ". A lone " " between words (nearly every gap of real text) is kept as it is.
_GAP_RE = re.compile(rf"^{_GAP}+|{_GAP}{{2,}}|[^\S ]|{DROP_RE.pattern}")


def _normalise(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs, drop control characters, and map every old offset to a new one.

    offsets[i] is where text[i] (or, for i == len(text), the end) lands in the result.
    Works a run at a time (the stretches between the gaps that change), not a character at
    a time: on an article's text that was most of a snippet's cost.
    """
    out: list[str] = []
    offsets: list[int] = []
    size = 0  # the length of the result so far
    pos = 0
    for gap in _GAP_RE.finditer(text):
        start, end = gap.span()
        if start > pos:
            out.append(text[pos:start])
            offsets.extend(range(size, size + start - pos))
            size += start - pos
        first_space = next((i for i in range(start, end) if text[i].isspace()), -1)
        if first_space < 0 or size == 0:  # only dropped characters, or leading space
            offsets.extend([size] * (end - start))
        else:
            offsets.extend([size] * (first_space - start + 1))
            out.append(" ")
            size += 1
            offsets.extend([size] * (end - first_space - 1))
        pos = end
    if pos < len(text):
        out.append(text[pos:])
        offsets.extend(range(size, size + len(text) - pos))
        size += len(text) - pos
    offsets.append(size)
    flat = "".join(out)
    return (flat[:-1] if flat.endswith(" ") else flat), offsets


@functools.lru_cache(maxsize=16)
def _normalised(text: str) -> tuple[str, list[int]]:
    """_normalise, once per text: an entry's alerts (one per set of rules that go to the
    same channels) all excerpt the same text. The offsets are only read."""
    return _normalise(text)


def _map_spans(spans: Sequence[tuple[int, int]], offsets: Sequence[int]) -> list[tuple[int, int]]:
    """Spans moved through an offset map from _normalise (out-of-range offsets clamped)."""
    last = len(offsets) - 1
    return [(offsets[max(0, min(s, last))], offsets[max(0, min(e, last))]) for s, e in spans]


def _clean_spans(
    spans: Sequence[tuple[int, int]], text: str, *, widen: bool = False
) -> list[tuple[int, int]]:
    """Clamp spans to the text, trim whitespace at their edges, sort and merge the overlapping.

    With widen, each span is trimmed to start and end on a letter or digit and then grown to
    whole words: Slack only renders *bold* at word boundaries, and CommonMark only pairs "**"
    reliably next to letters (see slack_markdown).
    """
    size = len(text)
    cleaned: list[tuple[int, int]] = []
    for raw_start, raw_end in spans:
        start, end = max(0, min(raw_start, size)), max(0, min(raw_end, size))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if widen:
            while start < end and not text[start].isalnum():
                start += 1
            while end > start and not text[end - 1].isalnum():
                end -= 1
            while start > 0 and start < end and text[start - 1].isalnum():
                start -= 1
            while start < end < size and text[end].isalnum():
                end += 1
        if start < end:
            cleaned.append((start, end))
    cleaned.sort()
    merged: list[tuple[int, int]] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _best_window(spans: list[tuple[int, int]], size: int, width: int) -> tuple[int, int]:
    """The [start, end) of about `width` chars holding the most spans; ties go to the earliest.

    A third of the spare room goes before the first span in the window and the rest after it:
    readers read forward, but the words just before a hit often say who did what.
    """
    if not spans:
        return 0, min(size, width)
    best_first, best_last, best_count = 0, 0, 0
    last = 0
    for first in range(len(spans)):
        last = max(last, first)
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= width:
            last += 1
        if last - first + 1 > best_count:
            best_first, best_last, best_count = first, last, last - first + 1
    group_start, group_end = spans[best_first][0], spans[best_last][1]
    if group_end - group_start >= width:
        return group_start, min(size, group_start + width)
    start = max(0, group_start - (width - (group_end - group_start)) // 3)
    end = min(size, start + width)
    return max(0, end - width), end


def _cut_start(text: str, start: int, limit: int) -> int:
    """Move a window start to a word boundary, never past `limit` (the first mark)."""
    if start == 0 or text[start - 1] == " ":
        return start
    space = text.find(" ", start, limit)
    if space != -1:
        return space + 1
    space = text.rfind(" ", max(0, start - _WORD_CUT_REACH), start)
    return space + 1 if space != -1 else start


def _cut_end(text: str, end: int, limit: int) -> int:
    """Move a window end to a word boundary, never before `limit` (the end of the last mark)."""
    if end >= len(text) or text[end] == " ":
        return end
    space = text.rfind(" ", limit, end)
    if space != -1:
        return space
    space = text.find(" ", end, end + _WORD_CUT_REACH)
    return space if space != -1 else end


def make_snippet(text: str, spans: Sequence[tuple[int, int]], width: int = 240) -> Snippet:
    """An excerpt of about `width` chars around the most matches, with the matches marked.

    Spans are (start, end) offsets into `text`; the returned marks are offsets into the
    excerpt, merged where they overlap. Whitespace runs become one space, control characters
    go, cuts fall on word boundaries and are shown with "…".
    """
    flat, offsets = _normalised(text)
    size = len(flat)
    marks = _clean_spans(_map_spans(spans, offsets), flat)
    start, end = _best_window(marks, size, max(1, width))
    inside = [(s, e) for s, e in marks if s < end and e > start]
    start = _cut_start(flat, start, inside[0][0] if inside else end)
    end = _cut_end(flat, end, inside[-1][1] if inside else start)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < size else ""
    shift = len(prefix) - start
    rebased = tuple(
        (max(s, start) + shift, min(e, end) + shift)
        for s, e in inside
        if min(e, end) > max(s, start)
    )
    return Snippet(text=prefix + flat[start:end].strip() + suffix, marks=rebased)


def _prepare_snippet(snippet: Snippet, patterns: Sequence[re.Pattern[str]]) -> Snippet:
    """The snippet flattened and defused as a whole, its marks moved along.

    Done on the whole text, not piece by piece, so "@" + a marked "here" is still caught and
    an address like "user@example.org" split by a mark is not.
    """
    text, offsets = _normalise(snippet.text)
    marks = _map_spans(snippet.marks, offsets)
    positions = zwsp_positions(text, patterns)
    if positions:
        text = insert_zwsp(text, positions)
        marks = [(s + bisect_right(positions, s), e + bisect_left(positions, e)) for s, e in marks]
    return Snippet(text=text, marks=tuple(marks))


def _segments(snippet: Snippet, *, widen: bool = False) -> list[tuple[str, bool]]:
    """The snippet as (piece, is_marked) pairs, in order."""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for start, end in _clean_spans(snippet.marks, snippet.text, widen=widen):
        if start > pos:
            pieces.append((snippet.text[pos:start], False))
        pieces.append((snippet.text[start:end], True))
        pos = end
    if pos < len(snippet.text):
        pieces.append((snippet.text[pos:], False))
    return pieces


def render_snippet(
    snippet: Snippet,
    escape: Callable[[str], str],
    emphasise: Callable[[str], str],
    *,
    mentions: Sequence[re.Pattern[str]] = (),
    widen: bool = False,
) -> str:
    """The snippet on one line: each piece escaped, the marked ones emphasised.

    `escape` must work character by character (it sees pieces, not the whole line); context
    rules (mentions) run on the whole text first.
    """
    prepared = _prepare_snippet(snippet, mentions)
    return "".join(
        emphasise(escape(piece)) if marked else escape(piece)
        for piece, marked in _segments(prepared, widen=widen)
    ).strip()

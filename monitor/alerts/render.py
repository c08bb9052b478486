"""Turn an Alert into the text each kind of target shows: pure functions, no I/O.

Titles, snippets, source names and URLs come from feeds and are untrusted. Every renderer
here escapes them for its own output language, so a hostile feed cannot ping a Slack channel,
break an email header, inject HTML or send terminal escape sequences. Rule and watchlist names
are trusted (the analyst wrote them) but go through the same escaping: one code path is
easier to trust than two.

Matched words are shown as: *bold* in Slack, <mark><b>…</b></mark> in HTML email,
**double asterisks** in the plain-text email part (a convention most readers know from
Markdown) and [brackets] on the console, where bold may not exist and brackets survive any
terminal or log file.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from monitor.records import Alert, Priority, Snippet

__all__ = [
    "email_html",
    "email_subject",
    "email_text",
    "format_time",
    "headline",
    "make_snippet",
    "plain_text",
    "safe_url",
    "slack_markdown",
    "slack_text",
]

ELLIPSIS = "…"
ZWSP = "\u200b"  # zero-width space: breaks mention syntax without changing what readers see
SUBJECT_MAX = 200
# How far make_snippet looks for a space before it gives up and cuts inside a word.
_WORD_CUT_REACH = 20

# Control characters except whitespace (whitespace is collapsed, not dropped), plus the bidi
# embedding/override/isolate controls that can make text display differently from what it is.
_DROP_RE = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace())
    + "\u202a-\u202e\u2066-\u2069]"
)
_SPACE_RE = re.compile(r"\s+")


def _flatten(text: str) -> str:
    """Drop control characters and collapse whitespace runs (newlines too) to one space.

    Does not strip the ends, so pieces of one line can be flattened separately and joined.
    """
    return _SPACE_RE.sub(" ", _DROP_RE.sub("", text))


def _one_line(text: str) -> str:
    return _flatten(text).strip()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def format_time(published: datetime | None) -> str:
    """UTC, minute precision ("2016-08-22 14:05 UTC"); naive datetimes are taken as UTC."""
    if published is None:
        return "time unknown"
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _sources_line(alert: Alert) -> tuple[str, str]:
    """("Source" or "Sources", the names joined), so every renderer names every source."""
    names = [_one_line(name) for name in alert.all_sources()]
    names = [name for name in names if name]
    label = "Sources" if len(names) > 1 else "Source"
    return label, ", ".join(names) or "unknown"


def _title(alert: Alert) -> str:
    return _one_line(alert.title) or "(no title)"


# Bytes a URL may keep as they are; everything else (space, quotes, <, >, |, \, ^, `, {, },
# non-ASCII) is percent-encoded so the URL cannot end a Slack link or an HTML attribute.
_URL_SAFE = "/?#[]@!$&'()*+,;=%:~"
# "@" too: "https://bbc.co.uk@evil.example/" shows one host and opens another.
_BAD_NETLOC_RE = re.compile(r"[\s<>|\"\\^`{}@]")


def safe_url(url: str) -> str | None:
    """The URL if it may be linked (http or https with a plain host), percent-encoded; else None.

    Other schemes (javascript:, data:, file:, mailto:) and hosts with user info are never
    turned into links. Tabs and line breaks inside are dropped, as browsers do.
    """
    url = re.sub(r"[\t\r\n]", "", _DROP_RE.sub("", url)).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if _BAD_NETLOC_RE.search(parts.netloc):
        return None
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{parts.netloc}{quote(rest, safe=_URL_SAFE)}"


# ---------------------------------------------------------------------------------------------
# Snippets


def _normalise(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs, drop control characters, and map every old offset to a new one.

    offsets[i] is where text[i] (or, for i == len(text), the end) lands in the result.
    """
    out: list[str] = []
    offsets: list[int] = []
    after_space = True  # drops leading whitespace
    for ch in text:
        offsets.append(len(out))
        if ch.isspace():
            if not after_space:
                out.append(" ")
            after_space = True
        elif not _DROP_RE.match(ch):
            out.append(ch)
            after_space = False
    offsets.append(len(out))
    if out and out[-1] == " ":
        out.pop()
    return "".join(out), offsets


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
    flat, offsets = _normalise(text)
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


def _zwsp_positions(text: str, patterns: Sequence[re.Pattern[str]]) -> list[int]:
    """Where a zero-width space goes: the end of every match of every pattern."""
    return sorted({match.end() for pattern in patterns for match in pattern.finditer(text)})


def _insert_zwsp(text: str, positions: Sequence[int]) -> str:
    pieces: list[str] = []
    previous = 0
    for position in positions:
        pieces += [text[previous:position], ZWSP]
        previous = position
    pieces.append(text[previous:])
    return "".join(pieces)


def _defuse(text: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """One line of untrusted text with mention syntax broken by zero-width spaces."""
    text = _one_line(text)
    return _insert_zwsp(text, _zwsp_positions(text, patterns))


def _prepare_snippet(snippet: Snippet, patterns: Sequence[re.Pattern[str]]) -> Snippet:
    """The snippet flattened and defused as a whole, its marks moved along.

    Done on the whole text, not piece by piece, so "@" + a marked "here" is still caught and
    an address like "user@example.org" split by a mark is not.
    """
    text, offsets = _normalise(snippet.text)
    marks = _map_spans(snippet.marks, offsets)
    positions = _zwsp_positions(text, patterns)
    if positions:
        text = _insert_zwsp(text, positions)
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


def _render_snippet(
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


# ---------------------------------------------------------------------------------------------
# Slack

_SLACK_MARKERS: dict[Priority, str] = {"urgent": "🚨", "high": "🔴", "normal": "🔵", "low": "⚪"}
# Slack mrkdwn has no escape for its formatting characters, so untrusted text gets look-alikes:
# a title can then never open or close bold, italics, strike-through or code. The backslash is
# replaced too, because the CommonMark form (slack_markdown) would read it as an escape.
_SLACK_LOOKALIKES = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ˋ", "\\": "⧵"})
_LINK_LABEL_LOOKALIKES = str.maketrans({"|": "∣"})  # "|" would end the URL part of <url|text>
_SLACK_MENTIONS = (
    re.compile(r"<(?=[!@#])"),  # <!channel>, <!here>, <!subteam^…>, <@U123>, <#C123>
    re.compile(r"(?<!\w)@(?=\w)"),  # bare @here, @channel, @everyone, @someone
)
_CM_SPECIAL_RE = re.compile(r"([<>\[\]#])")


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one Slack-like markup escapes text (character by character), bolds and links."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (safe url, escaped label)


def _mrkdwn_escape(text: str) -> str:
    text = _flatten(text).translate(_SLACK_LOOKALIKES)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _commonmark_escape(text: str) -> str:
    # "&" stays raw: Apprise's CommonMark-to-mrkdwn step turns it into "&amp;" itself.
    return _CM_SPECIAL_RE.sub(r"\\\1", _flatten(text).translate(_SLACK_LOOKALIKES))


_MRKDWN = _Dialect(
    escape=_mrkdwn_escape,
    bold=lambda text: f"*{text}*",
    link=lambda url, label: f"<{url.replace('&', '&amp;')}|{label}>",
)
_COMMONMARK = _Dialect(
    escape=_commonmark_escape,
    bold=lambda text: f"**{text}**",
    link=lambda url, label: f"[{label}](<{url}>)",
)


def _slack_message(alert: Alert, dialect: _Dialect) -> str:
    def esc(text: str) -> str:
        return dialect.escape(_defuse(text, _SLACK_MENTIONS))

    label = esc(_title(alert)).translate(_LINK_LABEL_LOOKALIKES)
    url = safe_url(alert.url)
    heading = dialect.link(url, label) if url else label
    source_label, sources = _sources_line(alert)
    lines = [
        f"{_SLACK_MARKERS.get(alert.priority, '•')} {dialect.bold(heading)}",
        f"Rule: {dialect.bold(esc(alert.rule) or '(unnamed)')} · watchlist: {esc(alert.watchlist)}"
        f" · priority: {esc(alert.priority)}",
        f"{source_label}: {esc(sources)} · {format_time(alert.published)}",
    ]
    quote_text = _render_snippet(
        alert.snippet, dialect.escape, dialect.bold, mentions=_SLACK_MENTIONS, widen=True
    )
    if quote_text:
        lines.append(f"> {quote_text}")
    return "\n".join(lines)


def slack_text(alert: Alert) -> str:
    """The alert in Slack mrkdwn: what Slack receives in the message text.

    First line: priority marker and *<url|title>* (bold title alone when the URL cannot be
    linked), then rule/watchlist/priority, sources and time, then the snippet as a quote with
    the matched words in bold. Untrusted text is entity-escaped (&, <, >), mention syntax is
    broken with a zero-width space, and mrkdwn control characters become look-alikes.
    """
    return _slack_message(alert, _MRKDWN)


def slack_markdown(alert: Alert) -> str:
    """The same message as CommonMark: the body the Slack channel hands Apprise.

    Apprise 2.3 sends Slack a body declared as MARKDOWN through its CommonMark-to-mrkdwn
    converter, which yields exactly slack_text(alert) (the tests check this through the real
    plugin). Declared MARKDOWN is the one mode in which Apprise neither escapes our mrkdwn a
    second time nor turns escaped "&lt;!channel&gt;" back into a live mention. Mattermost
    renders this CommonMark natively.
    """
    return _slack_message(alert, _COMMONMARK)


# ---------------------------------------------------------------------------------------------
# Email


def headline(alert: Alert) -> str:
    """The "[rule] title" line: no CR/LF/control characters, at most 200 chars."""
    return _shorten(f"[{_one_line(alert.rule)}] {_title(alert)}", SUBJECT_MAX)


def email_subject(alert: Alert) -> str:
    """The Subject header: headline(alert), so it can never carry a header injection."""
    return headline(alert)


def _h(text: str) -> str:
    return html.escape(_one_line(text), quote=True)


def email_html(alert: Alert) -> str:
    """The HTML email body: every feed value escaped, only http(s) URLs linked.

    The URL is also shown as text, because Apprise derives the text/plain part from this HTML
    and drops link targets: the plain part then still carries the link.
    """
    url = safe_url(alert.url)
    title = _h(_title(alert))
    source_label, sources = _sources_line(alert)
    parts = [
        "<html><body>",
        f"<p><strong>{_h(alert.priority.upper())}</strong> priority · rule "
        f"<strong>{_h(alert.rule)}</strong> · watchlist {_h(alert.watchlist)}</p>",
    ]
    if url:
        href = html.escape(url, quote=True)
        parts.append(f'<h2><a href="{href}">{title}</a></h2>')
        parts.append(f'<p>Link: <a href="{href}">{href}</a></p>')
    else:
        parts.append(f"<h2>{title}</h2>")
        if _one_line(alert.url):
            parts.append(f"<p>Link (not linked): {_h(alert.url)}</p>")
    parts.append(
        f"<p>{source_label}: {html.escape(sources, quote=True)} · "
        f"{format_time(alert.published)}</p>"
    )
    quoted = _render_snippet(
        alert.snippet, lambda t: html.escape(t, quote=True), lambda t: f"<mark><b>{t}</b></mark>"
    )
    if quoted:
        parts.append(f"<blockquote>{quoted}</blockquote>")
    if alert.terms:
        parts.append(f"<p>Matched: {_h(', '.join(alert.terms))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def email_text(alert: Alert) -> str:
    """The same facts as email_html in plain text, matched words in **double asterisks**."""
    source_label, sources = _sources_line(alert)
    lines = [
        f"{alert.priority.upper()} priority · rule {_one_line(alert.rule)}"
        f" · watchlist {_one_line(alert.watchlist)}",
        "",
        _title(alert),
    ]
    if _one_line(alert.url):
        lines.append(_one_line(alert.url))
    lines += ["", f"{source_label}: {sources} · {format_time(alert.published)}"]
    quoted = _render_snippet(alert.snippet, str, lambda t: f"**{t}**")
    if quoted:
        lines += ["", quoted]
    if alert.terms:
        lines += ["", f"Matched: {_one_line(', '.join(alert.terms))}"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Console and generic targets

_PLAIN_MENTIONS = (
    re.compile(r"<(?=[!@#&])"),  # Slack-, Discord- and Mattermost-style <!here>, <@123>, <@&42>
    re.compile(r"(?<!\w)@(?=(?:everyone|here|channel|all)\b)", re.IGNORECASE),
)


def plain_text(alert: Alert) -> str:
    """A compact block for a terminal or a generic target; matched words in [brackets].

    Control characters (ESC, CSI, bidi overrides) are removed, so a hostile title cannot move
    the cursor, recolour the terminal or hide text. Group mentions (@everyone, <@123>) get an
    invisible zero-width space, because a generic target may be Discord or Mattermost.
    """

    def line(text: str) -> str:
        return _defuse(text, _PLAIN_MENTIONS)

    source_label, sources = _sources_line(alert)
    lines = [
        f"[{alert.priority}] {line(alert.rule)} ({line(alert.watchlist)})",
        f"  {line(_title(alert))}",
    ]
    if _one_line(alert.url):
        lines.append(f"  {line(alert.url)}")
    lines.append(f"  {source_label.lower()}: {line(sources)} · {format_time(alert.published)}")
    quoted = _render_snippet(alert.snippet, _flatten, lambda t: f"[{t}]", mentions=_PLAIN_MENTIONS)
    if quoted:
        lines.append(f"  {quoted}")
    return "\n".join(lines)

"""Turn alerts into the text each kind of target shows: pure functions, no I/O (but reading
template files).

The layout lives in Jinja2 templates (monitor/alerts/templates/, overridable per channel by a
file, see load_template); the escaping stays here. A template only ever receives values
already escaped for its output language (AlertView), plus filters that escape (| slack,
| html, | plain, | oneline); the untrusted originals are reachable only as `raw_alert` and
`raw_heading`. HTML templates autoescape on top. One template renders a single alert (a batch
of one with heading "") and a batch (a digest, a burst, a quiet-hours summary).

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
import traceback
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from monitor.records import Alert, Priority, Snippet

__all__ = [
    "AlertView",
    "MessageTemplate",
    "Style",
    "batch_subject",
    "default_template",
    "email_batch_html",
    "email_html",
    "email_subject",
    "email_text",
    "format_time",
    "headline",
    "load_template",
    "make_snippet",
    "plain_batch",
    "plain_text",
    "safe_url",
    "sample_alert",
    "slack_batch_markdown",
    "slack_batch_text",
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
# Escaping for each output language

Style = Literal["slack", "email", "text"]
# A template "kind": a style, plus the two forms only the code itself renders (Slack mrkdwn,
# the plain-text email part).
_Kind = Literal["slack", "mrkdwn", "email", "email_text", "text"]

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
_PLAIN_MENTIONS = (
    re.compile(r"<(?=[!@#&])"),  # Slack-, Discord- and Mattermost-style <!here>, <@123>, <@&42>
    re.compile(r"(?<!\w)@(?=(?:everyone|here|channel|all)\b)", re.IGNORECASE),
)


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


def _h(text: str) -> Markup:
    """One line of text, HTML-escaped (quotes too) and marked safe for autoescaping."""
    return text if isinstance(text, Markup) else Markup(html.escape(_one_line(text), quote=True))


@dataclass(frozen=True, slots=True)
class _Escaper:
    """One kind's escaping: `line` for one line of untrusted text, `snippet` with its marks."""

    line: Callable[[str], str]
    snippet: Callable[[Snippet], str]


def _slack_escaper(dialect: _Dialect) -> _Escaper:
    def line(text: str) -> str:
        return dialect.escape(_defuse(text, _SLACK_MENTIONS)).translate(_LINK_LABEL_LOOKALIKES)

    def snippet(value: Snippet) -> str:
        return _render_snippet(
            value, dialect.escape, dialect.bold, mentions=_SLACK_MENTIONS, widen=True
        )

    return _Escaper(line, snippet)


_ESCAPERS: dict[_Kind, _Escaper] = {
    "slack": _slack_escaper(_COMMONMARK),
    "mrkdwn": _slack_escaper(_MRKDWN),
    "email": _Escaper(
        _h,
        lambda value: Markup(
            _render_snippet(
                value,
                lambda t: html.escape(t, quote=True),
                lambda t: f"<mark><b>{t}</b></mark>",
            )
        ),
    ),
    "email_text": _Escaper(_one_line, lambda value: _render_snippet(value, str, "**{}**".format)),
    "text": _Escaper(
        lambda text: _defuse(text, _PLAIN_MENTIONS),
        lambda value: _render_snippet(value, _flatten, "[{}]".format, mentions=_PLAIN_MENTIONS),
    ),
}


# ---------------------------------------------------------------------------------------------
# What templates see


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert as a template sees it: every field already escaped for the template's style.

    `url` is the linkable http(s) URL or "" (never javascript: and the like); `url_text` is the
    URL as given, escaped, for showing as text. `raw_alert` is the untrusted Alert itself:
    whatever a template prints from it is printed as the feed sent it (HTML templates still
    autoescape it).
    """

    priority: str
    marker: str  # the Slack priority emoji
    title: str
    url: str
    url_text: str
    rule: str
    watchlist: str
    sources_label: str  # "Source" or "Sources"
    sources: str
    time: str
    snippet: str  # matched words emphasised the style's way
    terms: str  # matched terms, comma-separated; "" when none
    raw_alert: Alert


def _view(kind: _Kind, alert: Alert) -> AlertView:
    esc = _ESCAPERS[kind]
    label, sources = _sources_line(alert)
    url = safe_url(alert.url) or ""
    return AlertView(
        priority=esc.line(alert.priority),
        marker=_SLACK_MARKERS.get(alert.priority, "•"),
        title=esc.line(_title(alert)),
        url=_h(url) if kind == "email" else url,
        url_text=esc.line(alert.url),
        rule=esc.line(alert.rule) or esc.line("(unnamed)"),
        watchlist=esc.line(alert.watchlist),
        sources_label=label,
        sources=esc.line(sources),
        time=format_time(alert.published),
        snippet=esc.snippet(alert.snippet),
        terms=esc.line(", ".join(alert.terms)),
        raw_alert=alert,
    )


def _slack_filters(dialect: _Dialect, escaper: _Escaper) -> dict[str, Callable[..., str]]:
    def link(label: str, url: str) -> str:
        target = safe_url(url) if url else None
        return dialect.link(target, label) if target else label

    return {"bold": dialect.bold, "link": link, "slack": escaper.line}


_FILTERS: dict[_Kind, dict[str, Callable[..., str]]] = {
    "slack": _slack_filters(_COMMONMARK, _ESCAPERS["slack"]),
    "mrkdwn": _slack_filters(_MRKDWN, _ESCAPERS["mrkdwn"]),
    "email": {"html": _h},
    "email_text": {},
    "text": {"plain": _ESCAPERS["text"].line},
}
_TEMPLATE_FILES: dict[_Kind, str] = {
    "slack": "slack.md.j2",
    "mrkdwn": "slack.md.j2",
    "email": "email.html.j2",
    "email_text": "email.txt.j2",
    "text": "plain.txt.j2",
}
# Alerts shown in one batch message at most; the rest are counted ("… and 12 more"). Slack
# cuts messages at about 40,000 characters (Apprise at 35,000): 20 compact blocks stay far below.
BATCH_SHOWN: dict[_Kind, int] = {
    "slack": 20,
    "mrkdwn": 20,
    "email": 100,
    "email_text": 100,
    "text": 100,
}
TEMPLATES_DIR = Path(__file__).parent / "templates"


def _oneline(text: str) -> str:
    return Markup(_one_line(text)) if isinstance(text, Markup) else _one_line(text)


@cache
def _environment(kind: _Kind) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=kind == "email",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_FILTERS[kind], oneline=_oneline)
    return env


class MessageTemplate:
    """A compiled message template for one kind of target; renders one alert or a batch.

    The template gets `alerts` (AlertView list, at most BATCH_SHOWN), `alert` (the first of
    them), `heading` (escaped; "" for a single alert), `more` (alerts not shown), `total`,
    and `raw_heading`. Output is stripped of leading and trailing blank lines.
    """

    def __init__(self, kind: _Kind, template: Template, name: str) -> None:
        self.kind = kind
        self.name = name
        self._template = template

    def render(self, alerts: Sequence[Alert], heading: str = "") -> str:
        if not alerts:
            raise ValueError("nothing to render: no alerts")
        shown = [_view(self.kind, alert) for alert in alerts[: BATCH_SHOWN[self.kind]]]
        text = self._template.render(
            alerts=shown,
            alert=shown[0],
            heading=_ESCAPERS[self.kind].line(heading),
            raw_heading=heading,
            more=len(alerts) - len(shown),
            total=len(alerts),
        )
        return text.strip("\n")


@cache
def default_template(kind: _Kind) -> MessageTemplate:
    """The template shipped in monitor/alerts/templates/ for a style (or "mrkdwn")."""
    name = _TEMPLATE_FILES[kind]
    return MessageTemplate(kind, _environment(kind).get_template(name), name)


def _error_line(exc: BaseException, filename: str) -> int | None:
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def load_template(path: Path, style: Style) -> MessageTemplate:
    """A user's template file for a channel of `style`, compiled and tried on sample alerts.

    Raises ValueError naming the file and, where Jinja knows it, the line ("path:3: ...") when
    the file cannot be read, does not compile, or fails to render a single alert or a batch.
    """
    path = Path(path)
    env = _environment(style).overlay(loader=FileSystemLoader(path.parent))
    try:
        compiled = env.get_template(path.name)
    except TemplateNotFound:
        raise ValueError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read template: {exc}") from None
    except TemplateSyntaxError as exc:
        raise ValueError(f"{path}:{exc.lineno}: {exc.message}") from None
    template = MessageTemplate(style, compiled, str(path))
    try:
        template.render([sample_alert()])
        template.render([sample_alert(), sample_alert()], "2 alerts in the last 30 s")
    except Exception as exc:  # any template failure: undefined name, sandbox, bad filter use
        line = _error_line(exc, compiled.filename or str(path))
        where = f"{path}:{line}" if line else str(path)
        raise ValueError(f"{where}: {type(exc).__name__}: {exc}") from None
    return template


# ---------------------------------------------------------------------------------------------
# Slack


def slack_text(alert: Alert) -> str:
    """The alert in Slack mrkdwn: what Slack receives in the message text.

    First line: priority marker and *<url|title>* (bold title alone when the URL cannot be
    linked), then rule/watchlist/priority, sources and time, then the snippet as a quote with
    the matched words in bold. Untrusted text is entity-escaped (&, <, >), mention syntax is
    broken with a zero-width space, and mrkdwn control characters become look-alikes.
    """
    return default_template("mrkdwn").render([alert])


def slack_markdown(alert: Alert) -> str:
    """The same message as CommonMark: the body the Slack channel hands Apprise.

    Apprise 2.3 sends Slack a body declared as MARKDOWN through its CommonMark-to-mrkdwn
    converter, which yields exactly slack_text(alert) (the tests check this through the real
    plugin). Declared MARKDOWN is the one mode in which Apprise neither escapes our mrkdwn a
    second time nor turns escaped "&lt;!channel&gt;" back into a live mention. Mattermost
    renders this CommonMark natively.
    """
    return default_template("slack").render([alert])


def slack_batch_text(alerts: Sequence[Alert], heading: str) -> str:
    """A batch in Slack mrkdwn: the heading in bold, then a compact block per alert (at most
    BATCH_SHOWN["slack"], then "… and N more")."""
    return default_template("mrkdwn").render(alerts, heading)


def slack_batch_markdown(alerts: Sequence[Alert], heading: str) -> str:
    """slack_batch_text as CommonMark: what the Slack channel hands Apprise for a batch."""
    return default_template("slack").render(alerts, heading)


# ---------------------------------------------------------------------------------------------
# Email


def headline(alert: Alert) -> str:
    """The "[rule] title" line: no CR/LF/control characters, at most 200 chars."""
    return _shorten(f"[{_one_line(alert.rule)}] {_title(alert)}", SUBJECT_MAX)


def email_subject(alert: Alert) -> str:
    """The Subject header: headline(alert), so it can never carry a header injection."""
    return headline(alert)


def batch_subject(heading: str, count: int) -> str:
    """The Subject (or title) of a batch: the heading on one line, at most 200 chars."""
    return _shorten(_one_line(heading), SUBJECT_MAX) or f"{count} alerts"


def email_html(alert: Alert) -> str:
    """The HTML email body: every feed value escaped, only http(s) URLs linked.

    The URL is also shown as text, because Apprise derives the text/plain part from this HTML
    and drops link targets: the plain part then still carries the link.
    """
    return default_template("email").render([alert])


def email_batch_html(alerts: Sequence[Alert], heading: str) -> str:
    """A batch as one HTML email: the heading, then one section per alert."""
    return default_template("email").render(alerts, heading)


def email_text(alert: Alert) -> str:
    """The same facts as email_html in plain text, matched words in **double asterisks**."""
    return default_template("email_text").render([alert])


# ---------------------------------------------------------------------------------------------
# Console and generic targets


def plain_text(alert: Alert) -> str:
    """A compact block for a terminal or a generic target; matched words in [brackets].

    Control characters (ESC, CSI, bidi overrides) are removed, so a hostile title cannot move
    the cursor, recolour the terminal or hide text. Group mentions (@everyone, <@123>) get an
    invisible zero-width space, because a generic target may be Discord or Mattermost.
    """
    return default_template("text").render([alert])


def plain_batch(alerts: Sequence[Alert], heading: str) -> str:
    """A batch as plain text: the heading, then each alert's plain_text block."""
    return default_template("text").render(alerts, heading)


# ---------------------------------------------------------------------------------------------
# send-test


def sample_alert(published: datetime | None = None) -> Alert:
    """A realistic alert for `news-monitor send-test CHANNEL` and for trying templates.

    published defaults to now (UTC, whole minutes), so the test message reads as current.
    """
    text = (
        "DAMASCUS - The Syrian army said on Monday it had repelled an offensive by armed "
        "opposition groups in south-western Aleppo, after a week of heavy fighting and "
        "airstrikes around the Ramouseh district."
    )
    words = ("offensive", "Aleppo", "fighting")
    spans = [(text.index(word), text.index(word) + len(word)) for word in words]
    when = published or datetime.now(UTC).replace(second=0, microsecond=0)
    return Alert(
        watchlist="syria-conflict",
        rule="Fighting in Aleppo",
        priority="high",
        title="Syrian army repel armed opposition's advance in Aleppo (news-monitor test)",
        url="https://example.org/world/middle-east/aleppo-offensive",
        source="news-monitor send-test",
        published=when,
        snippet=make_snippet(text, spans),
        terms=words,
    )

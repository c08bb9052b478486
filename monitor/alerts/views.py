"""What a template sees: an alert with every field already escaped for the template's kind.

A template only ever receives values escaped for its output language (AlertView), plus
filters that escape (| slack, | html, | plain); the untrusted originals are reachable only as
`raw_alert` (and `raw_heading`). Rule and watchlist names are trusted (the analyst wrote them)
but go through the same escaping: one code path is easier to trust than two.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from markupsafe import Markup

from monitor.alerts.escape import (
    COMMONMARK,
    LINK_LABEL_LOOKALIKES,
    MRKDWN,
    PLAIN_MENTIONS,
    SLACK_MENTIONS,
    Dialect,
    defuse,
    flatten,
    html_line,
    one_line,
    safe_url,
    shorten,
)
from monitor.alerts.snippets import render_snippet
from monitor.records import Alert, Priority, Snippet

Style = Literal["slack", "email", "text"]
# A template "kind": a style, plus the two forms only the code itself renders (Slack mrkdwn,
# the plain-text email part).
Kind = Literal["slack", "mrkdwn", "email", "email_text", "text"]

_SLACK_MARKERS: dict[Priority, str] = {"urgent": "🚨", "high": "🔴", "normal": "🔵", "low": "⚪"}

# Lengths no real alert needs. Longer values are cut (with "…"; a URL that long is shown cut
# and not linked), so that a batch of BATCH_SHOWN alerts stays far below the template size
# bound (bounds.MESSAGE_MAX) even when a feed sends long titles and URLs full of characters
# that escaping multiplies ("&" is "&amp;" in HTML).
_TITLE_MAX = 500  # what the feed parsers keep anyway
_URL_MAX = 1000
_TEXT_MAX = 500  # the sources line, the terms line, the snippet (make_snippet gives ~240)
_NAMES_MAX = 50  # sources and terms kept in raw_alert
_RULES_MAX = 20  # rules named in one message (a story firing more is very rare)


def format_time(published: datetime | None) -> str:
    """UTC, minute precision ("2016-08-22 14:05 UTC"); naive datetimes are taken as UTC."""
    if published is None:
        return "time unknown"
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def sources_line(alert: Alert) -> tuple[str, str]:
    """("Source" or "Sources", the names joined), so every renderer names every source."""
    names = [one_line(name) for name in alert.all_sources()]
    names = [name for name in names if name]
    label = "Sources" if len(names) > 1 else "Source"
    return label, ", ".join(names) or "unknown"


def corroboration_line(alert: Alert) -> str:
    """How many outlets carry the story and how many are independent: "1 source",
    "5 outlets, 4 independent"; "single source" when its rules waited for more and none
    came ("2 outlets, 2 independent; 3 asked" when some did, not enough)."""
    outlets, independent = alert.corroboration()
    if alert.single_source:
        if independent <= 1:
            return "single source" + (f" ({outlets} outlets)" if outlets > 1 else "")
        return f"{outlets} outlets, {independent} independent; {alert.waits_for()} asked"
    return "1 source" if outlets == 1 else f"{outlets} outlets, {independent} independent"


def update_line(alert: Alert) -> str:
    """What a follow-up says first: "Update 1 of “Airstrike hits Aleppo market” (sent
    2026-12-01 06:02 UTC): 3 more independent outlets (4 in all)"; "" for a first alert."""
    u = alert.update
    if u is None:
        return ""
    sent = format_time(datetime.fromtimestamp(u.of_sent_at, UTC))
    changes = "; ".join(u.changes) or "more on the story"
    return f"Update {u.number} of “{shorten(one_line(u.of_title), 120)}” (sent {sent}): {changes}"


def casualties_line(alert: Alert) -> str:
    """The story's casualty figures as the article gives them: "at least 32 killed, 50
    injured"; "" when it gives none."""
    return str(alert.casualties)


def alert_title(alert: Alert) -> str:
    return one_line(alert.title) or "(no title)"


def _cut(alert: Alert) -> Alert:
    """The alert with its fields cut to the lengths above."""
    return replace(
        alert,
        title=shorten(alert.title, _TITLE_MAX),
        url=shorten(alert.url, _URL_MAX),
        source=shorten(alert.source, _TEXT_MAX),
        sources=tuple(shorten(name, _TEXT_MAX) for name in alert.sources[:_NAMES_MAX]),
        snippet=replace(alert.snippet, text=shorten(alert.snippet.text, _TEXT_MAX)),
        terms=alert.terms[:_NAMES_MAX],
    )


@dataclass(frozen=True, slots=True)
class _Escaper:
    """One kind's escaping: `line` for one line of untrusted text, `snippet` with its marks."""

    line: Callable[[str], str]
    snippet: Callable[[Snippet], str]


def _slack_escaper(dialect: Dialect) -> _Escaper:
    def line(text: str) -> str:
        return dialect.escape(defuse(text, SLACK_MENTIONS)).translate(LINK_LABEL_LOOKALIKES)

    def snippet(value: Snippet) -> str:
        return render_snippet(
            value, dialect.escape, dialect.bold, mentions=SLACK_MENTIONS, widen=True
        )

    return _Escaper(line, snippet)


def _email_line(text: str) -> Markup:
    """html_line with mentions defused too: a mail may be forwarded into a chat."""
    return text if isinstance(text, Markup) else html_line(defuse(text))


def _email_snippet(value: Snippet) -> Markup:
    return Markup(
        render_snippet(
            value,
            lambda t: html.escape(t, quote=True),
            lambda t: f"<mark><b>{t}</b></mark>",
            mentions=PLAIN_MENTIONS,
        )
    )


ESCAPERS: dict[Kind, _Escaper] = {
    "slack": _slack_escaper(COMMONMARK),
    "mrkdwn": _slack_escaper(MRKDWN),
    "email": _Escaper(_email_line, _email_snippet),
    "email_text": _Escaper(
        defuse,
        lambda value: render_snippet(value, str, "**{}**".format, mentions=PLAIN_MENTIONS),
    ),
    "text": _Escaper(
        defuse,
        lambda value: render_snippet(value, flatten, "[{}]".format, mentions=PLAIN_MENTIONS),
    ),
}


@dataclass(frozen=True, slots=True)
class RuleView:
    """One rule of a message, escaped for the template's kind."""

    rule: str
    watchlist: str
    priority: str
    terms: str  # its matched terms, comma-separated; "" when none


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert as a template sees it: every field already escaped for the template's style.

    `url` is the linkable http(s) URL or "" (never javascript: and the like); `url_text` is the
    URL as given, escaped, for showing as text. `raw_alert` is the untrusted Alert itself, its
    fields only cut to the lengths above: whatever a template prints from it is printed as the
    feed sent it (HTML templates still autoescape it).
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
    corroboration: str  # "1 source", "5 outlets, 4 independent", "single source"
    update: str  # update_line(): "" unless the alert follows up one sent before
    update_of: str  # the first message's headline, "" for a first alert
    time: str
    snippet: str  # matched words emphasised the style's way
    terms: str  # matched terms, comma-separated; "" when none
    rules: tuple[RuleView, ...]  # every rule of the message, the leading one first
    rule_names: str  # every rule's name, " · " between them
    more_rules: int  # rules past the first _RULES_MAX, counted but not listed
    raw_alert: Alert
    casualties: str = ""  # casualties_line(): "at least 32 killed, 50 injured"; "" if none
    events: str = ""  # the event types its rules matched, comma-separated; "" when none


def alert_view(kind: Kind, alert: Alert) -> AlertView:
    """The alert as a template of `kind` sees it; raw_alert is the alert cut to sane lengths."""
    esc = ESCAPERS[kind]
    url = (safe_url(alert.url) or "") if len(alert.url) <= _URL_MAX else ""
    alert = _cut(alert)
    fired = alert.rules()[:_RULES_MAX]
    rules = tuple(RuleView(rule=esc.line(f.rule) or esc.line("(unnamed)"),
                           watchlist=esc.line(f.watchlist), priority=esc.line(f.priority),
                           terms=esc.line(shorten(", ".join(f.terms[:_NAMES_MAX]), _TEXT_MAX)))
                  for f in fired)
    label, sources = sources_line(alert)
    sources = shorten(sources, _TEXT_MAX)
    return AlertView(
        priority=esc.line(alert.priority),
        marker=_SLACK_MARKERS.get(alert.priority, "•"),
        title=esc.line(alert_title(alert)),
        url=html_line(url) if kind == "email" else url,
        url_text=esc.line(alert.url),
        rule=esc.line(alert.rule) or esc.line("(unnamed)"),
        watchlist=esc.line(alert.watchlist),
        sources_label=label,
        sources=esc.line(sources),
        corroboration=esc.line(corroboration_line(alert)),
        update=esc.line(shorten(update_line(alert), _TEXT_MAX)),
        update_of=esc.line(shorten(alert.update.of_title, _TITLE_MAX)) if alert.update else "",
        time=format_time(alert.published),
        snippet=esc.snippet(alert.snippet),
        terms=esc.line(shorten(", ".join(alert.terms), _TEXT_MAX)),
        rules=rules,
        more_rules=len(alert.also) + 1 - len(fired),
        rule_names=esc.line(shorten(" · ".join(one_line(f.rule) or "(unnamed)"
                                               for f in fired), _TEXT_MAX)),
        raw_alert=alert,
        casualties=esc.line(casualties_line(alert)),
        events=esc.line(shorten(", ".join(alert.events()[:_NAMES_MAX]), _TEXT_MAX)),
    )


def _slack_filters(dialect: Dialect, escaper: _Escaper) -> dict[str, Callable[..., str]]:
    def link(label: str, url: str) -> str:
        target = safe_url(url) if url else None
        return dialect.link(target, label) if target else label

    return {"bold": dialect.bold, "link": link, "slack": escaper.line}


def oneline(text: str) -> str:
    """The | oneline filter: collapse whitespace, drop control characters, keep Markup safe."""
    return Markup(one_line(text)) if isinstance(text, Markup) else one_line(text)


# The filters each kind's templates get, on top of Jinja's own and | oneline.
FILTERS: dict[Kind, dict[str, Callable[..., str]]] = {
    "slack": _slack_filters(COMMONMARK, ESCAPERS["slack"]),
    "mrkdwn": _slack_filters(MRKDWN, ESCAPERS["mrkdwn"]),
    "email": {"html": _email_line},
    "email_text": {},
    "text": {"plain": ESCAPERS["text"].line},
}

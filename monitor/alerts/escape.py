"""Escaping one piece of untrusted text for each output language: pure functions.

Titles, snippets, source names and URLs come from feeds. Whatever reaches a message goes
through one of these: control characters dropped and whitespace collapsed (flatten,
one_line), mention syntax broken with an invisible zero-width space (defuse), Slack's
formatting characters swapped for look-alikes (the two Slack dialects), HTML escaped (html),
and only plain http(s) URLs turned into links (safe_url).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from markupsafe import Markup

ELLIPSIS = "…"
ZWSP = "\u200b"  # zero-width space: breaks mention syntax without changing what readers see

# Control characters except whitespace (whitespace is collapsed, not dropped), plus the bidi
# embedding/override/isolate controls that can make text display differently from what it is.
DROP_RE = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace())
    + "\u202a-\u202e\u2066-\u2069]"
)
_SPACE_RE = re.compile(r"\s+")

# Mentions that ping a whole channel or a person, in Slack, Discord, Mattermost, Rocket.Chat,
# Matrix and Zulip: <!channel>, <!here>, <!subteam^…>, <@U123>, <@&42> (a Discord role),
# <#C123>, and the bare group words (@everyone, @here, @channel, @all, @room, Zulip's
# @**all**). A zero-width space after "<" or "@" leaves the text readable and inert.
PLAIN_MENTIONS = (
    re.compile(r"<(?=[!@#&])"),
    re.compile(
        r"(?<!\w)@(?=[*_]*(?:everyone|here|channel|all|room|stream|topic)\b)", re.IGNORECASE
    ),
)
# Slack also links any bare @name; an address like user@example.org stays as it is.
SLACK_MENTIONS = (
    re.compile(r"<(?=[!@#])"),
    re.compile(r"(?<!\w)@(?=\w)"),
)


def flatten(text: str) -> str:
    """Drop control characters and collapse whitespace runs (newlines too) to one space.

    Does not strip the ends, so pieces of one line can be flattened separately and joined.
    """
    return _SPACE_RE.sub(" ", DROP_RE.sub("", text))


def one_line(text: str) -> str:
    return flatten(text).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def zwsp_positions(text: str, patterns: Sequence[re.Pattern[str]]) -> list[int]:
    """Where a zero-width space goes: the end of every match of every pattern."""
    return sorted({match.end() for pattern in patterns for match in pattern.finditer(text)})


def insert_zwsp(text: str, positions: Sequence[int]) -> str:
    pieces: list[str] = []
    previous = 0
    for position in positions:
        pieces += [text[previous:position], ZWSP]
        previous = position
    pieces.append(text[previous:])
    return "".join(pieces)


def defuse(text: str, patterns: Sequence[re.Pattern[str]] = PLAIN_MENTIONS) -> str:
    """One line of untrusted text with mention syntax broken by zero-width spaces.

    Idempotent: a defused mention no longer matches, so text can be defused twice.
    """
    text = one_line(text)
    return insert_zwsp(text, zwsp_positions(text, patterns))


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
    url = re.sub(r"[\t\r\n]", "", DROP_RE.sub("", url)).strip()
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


def html_line(text: str) -> Markup:
    """One line of text, HTML-escaped (quotes too) and marked safe for autoescaping."""
    return text if isinstance(text, Markup) else Markup(html.escape(one_line(text), quote=True))


# ---------------------------------------------------------------------------------------------
# Slack's two dialects

# Slack mrkdwn has no escape for its formatting characters, so untrusted text gets look-alikes:
# a title can then never open or close bold, italics, strike-through or code. The backslash is
# replaced too, because the CommonMark form (slack_markdown) would read it as an escape.
_SLACK_LOOKALIKES = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ˋ", "\\": "⧵"})
LINK_LABEL_LOOKALIKES = str.maketrans({"|": "∣"})  # "|" would end the URL part of <url|text>
_CM_SPECIAL_RE = re.compile(r"([<>\[\]#])")


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one Slack-like markup escapes text (character by character), bolds and links."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (safe url, escaped label)


def _mrkdwn_escape(text: str) -> str:
    text = flatten(text).translate(_SLACK_LOOKALIKES)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _commonmark_escape(text: str) -> str:
    # "&" stays raw: Apprise's CommonMark-to-mrkdwn step turns it into "&amp;" itself.
    return _CM_SPECIAL_RE.sub(r"\\\1", flatten(text).translate(_SLACK_LOOKALIKES))


MRKDWN = Dialect(
    escape=_mrkdwn_escape,
    bold=lambda text: f"*{text}*",
    link=lambda url, label: f"<{url.replace('&', '&amp;')}|{label}>",
)
COMMONMARK = Dialect(
    escape=_commonmark_escape,
    bold=lambda text: f"**{text}**",
    link=lambda url, label: f"[{label}](<{url}>)",
)

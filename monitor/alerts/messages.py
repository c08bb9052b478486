"""The messages each kind of target gets, by name: Slack, email, console and generic targets.

Thin functions over the default templates (template.py), plus the one-line subjects and
titles, which no template lays out: "[rule] title" for a single alert, the heading for a
batch. Subjects are one line (no header injection) with mentions defused, because generic
targets (json://, Discord, …) show the title next to the body.

Matched words are shown as: *bold* in Slack, <mark><b>…</b></mark> in HTML email,
**double asterisks** in the plain-text email part (a convention most readers know from
Markdown) and [brackets] on the console, where bold may not exist and brackets survive any
terminal or log file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.alerts.escape import defuse, one_line, shorten
from monitor.alerts.views import alert_title
from monitor.records import Alert

if TYPE_CHECKING:
    from monitor.alerts.template import MessageTemplate

SUBJECT_MAX = 200


def default_template(name: str) -> MessageTemplate:
    """The shipped template, imported at the first render: the outbox needs the subjects
    here, and Jinja2 loads only once a message is laid out."""
    from monitor.alerts.template import default_template as shipped

    return shipped(name)


# ---------------------------------------------------------------------------------------------
# Subjects and titles


def headline(alert: Alert) -> str:
    """The "[rule] title" line ("[rule +2] title" when the story fired two more rules, which
    the body names): no CR/LF/control characters, mentions defused, at most 200 chars."""
    more = f" +{len(alert.also)}" if alert.also else ""
    single = " (single source)" if alert.single_source else ""
    again = "Update: " if alert.update else ""
    return shorten(
        defuse(f"{again}[{one_line(alert.rule)}{more}] {alert_title(alert)}{single}"), SUBJECT_MAX
    )


def stories_heading(alerts: Sequence[Alert], prefix: str = "") -> str:
    """What a batch holds, never just a count: "3 stories: Fighting in Aleppo (2), ISIS
    claims an attack" — the leading rules, the most frequent first, with how many stories
    each leads when more than one; as many as fit a subject line, then "+N more". With a
    prefix: "Digest of 12 stories: …", "Quiet hours summary of 3 stories: …"."""
    count = len(alerts)
    noun = "story" if count == 1 else "stories"
    start = f"{prefix} of {count} {noun}: " if prefix else f"{count} {noun}: "
    leads: dict[str, int] = {}
    for alert in alerts:
        name = one_line(alert.rule) or "(unnamed)"
        leads[name] = leads.get(name, 0) + 1
    ranked = sorted(leads.items(), key=lambda item: -item[1])  # ties keep their order
    parts: list[str] = []
    room = SUBJECT_MAX - len(start) - len(" +999 more")
    for number, (name, times) in enumerate(ranked):
        part = f"{name} ({times})" if times > 1 else name
        if parts and sum(len(p) + 2 for p in parts) + len(part) > room:
            return start + ", ".join(parts) + f" +{len(ranked) - number} more"
        parts.append(shorten(part, room))
    return start + ", ".join(parts)


def email_subject(alert: Alert) -> str:
    """The Subject header: headline(alert), so it can never carry a header injection."""
    return headline(alert)


def batch_subject(heading: str, count: int) -> str:
    """The Subject (or title) of a batch: the heading on one line, mentions defused, at most
    200 chars."""
    return shorten(defuse(heading), SUBJECT_MAX) or f"{count} alerts"


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

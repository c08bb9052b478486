"""Delivery of alerts to one channel: the console, or any target Apprise knows.

send() delivers one alert, send_batch() several in one message (a burst, a digest, a
quiet-hours summary). What a message looks like comes from the channel's template: the
default one for its style, or a file named in its config (render.load_template).

A channel's send() and send_batch() return only once the target accepted the message and
raise DeliveryError otherwise, so the outbox can mark alerts sent only after a real acceptance
and retry the rest (DESIGN.md, "Reliability promises"). Nothing here retries: that is the
outbox's job.

Secrets live in channel URLs (passwords, tokens). They never reach a log line or a
DeliveryError: everything said about a URL goes through redact_url(), and Apprise's own
failure messages are scrubbed of every URL part that redact_url() hides.

Apprise (with requests and smtplib) and Jinja2 load only when a channel needs them: the
Apprise channel lives in apprisechannel.py, imported by make_channel for an Apprise URL,
and the console channel loads its default template at its first send. A daemon whose
channels are all consoles, or that has nothing to send yet, never pays for them
(tests/test_lazy_imports.py).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

from monitor.logs import mask_query, mask_url
from monitor.records import Alert

if TYPE_CHECKING:
    from monitor.alerts.apprisechannel import AppriseChannel
    from monitor.alerts.template import MessageTemplate
    from monitor.alerts.views import Style

__all__ = [
    "AppriseChannel",
    "Channel",
    "ConsoleChannel",
    "DeliveryError",
    "channel_style",
    "make_channel",
    "redact_url",
]

_STYLES: dict[str, Style] = {
    "slack": "slack",
    "mmost": "slack",
    "mmosts": "slack",
    "mailto": "email",
    "mailtos": "email",
}
_WEBHOOK_SCHEMES = ("webhook", "webhooks")  # webhook.py: JSON documents, not Apprise
_REASON_MAX = 200
DEFAULT_TIMEOUT = 60.0  # seconds for one whole Apprise call, pacing sleep included


def __getattr__(name: str) -> Any:
    """AppriseChannel, imported from its module when first asked for (PEP 562)."""
    if name == "AppriseChannel":
        from monitor.alerts.apprisechannel import AppriseChannel

        return AppriseChannel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DeliveryError(Exception):
    """The target did not accept the alert. str() is a short reason, safe to log and store."""


class Channel(Protocol):
    """Where alerts go. send() returns when the target accepted, raises DeliveryError if not.

    send_batch() sends several alerts as one message under a heading ("Digest: 12 alerts
    since 08:00 UTC", "5 alerts in the last 30 s"), with the same promise.
    """

    name: str

    async def send(self, alert: Alert) -> None: ...

    async def send_batch(self, alerts: Sequence[Alert], heading: str) -> None: ...


def _scheme(url: str) -> str:
    scheme, sep, _ = url.strip().partition("://")
    return scheme.lower() if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""


def channel_style(url: str) -> Style:
    """Which rendering a target gets, by URL scheme: Slack-like chat, email, or plain text."""
    return _STYLES.get(_scheme(url), "text")


def _apprise_url(url: str) -> str | None:
    """Apprise's own privacy-masked form of the URL, or None when Apprise cannot parse it."""
    from monitor.alerts.apprisechannel import instantiate

    try:
        service = instantiate(url)
    except Exception:  # any parse failure just means "not parseable"
        return None
    return service.url(privacy=True) if service else None


def redact_url(url: str) -> str:
    """The URL in a form safe for logs: Apprise's url(privacy=True), else "scheme://***".

    Header values (json://host/?+Authorization=...) and secret-looking parameters are masked
    on top (logs.mask_query), since Apprise prints those back as they are.
    """
    if _scheme(url) == "console":
        return "console://"
    if _scheme(url) in _WEBHOOK_SCHEMES:  # not Apprise's: path and secret= masked by logs
        return mask_url(url)
    masked = _apprise_url(url)
    if masked is None:
        return f"{_scheme(url) or 'unknown'}://***"
    return mask_query(masked)


@dataclass(frozen=True, slots=True)
class _Redactor:
    """Scrubs one URL's secrets out of messages: the URL itself and every part of it that
    redact_url() hides (password, tokens, header values)."""

    url: str
    shown: str
    secrets: tuple[str, ...]

    @classmethod
    def for_url(cls, url: str) -> _Redactor:
        shown = redact_url(url)
        candidates = set(re.split(r"[/:@?&=#,]+", url))
        if "://" in url:
            parts = urlsplit(url)
            candidates.update(value for _, value in parse_qsl(parts.query))
            candidates.update(filter(None, (parts.username, parts.password)))
        candidates |= {unquote(c) for c in candidates}
        secrets = [c for c in candidates if len(c) >= 3 and c not in shown]
        # Longest first, so a secret containing another is replaced whole.
        return cls(url, shown, tuple(sorted(secrets, key=len, reverse=True)))

    def scrub(self, text: str) -> str:
        """One short line with the URL and its secrets replaced."""
        text = " ".join(text.split()).replace(self.url, self.shown)
        for secret in self.secrets:
            text = text.replace(secret, "****")
        return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"


def _render(name: str, template: MessageTemplate, alerts: Sequence[Alert], heading: str) -> str:
    """The message text; a template that fails on these alerts, or runs past its time or size
    bound (render.RENDER_SECONDS, render.MESSAGE_MAX), is a DeliveryError.

    Blocking: channels call it in a worker thread, so a slow template never holds the loop.
    """
    from monitor.alerts.bounds import TemplateBoundError

    if not alerts:
        raise DeliveryError(f"{name}: empty batch")
    try:
        return template.render(alerts, heading)
    except TemplateBoundError as exc:
        raise DeliveryError(f"{name}: template {template.name}: {exc}") from None
    except Exception as exc:  # a user template can fail on data the trial render lacked
        raise DeliveryError(
            f"{name}: template {template.name} failed: {type(exc).__name__}"
        ) from None


class ConsoleChannel:
    """Prints alerts as plain text: the default channel, and the one to try rules with.

    Renders in a worker thread; sends are serialised, so messages print in the order sent.
    An operator's template is loaded (and checked) when the channel is built; the shipped
    one at the first send, so a console that sends nothing never loads Jinja2.
    """

    def __init__(
        self, name: str, stream: TextIO | None = None, *, template: Path | None = None
    ) -> None:
        self.name = name
        self._stream = stream
        self._own: MessageTemplate | None = None
        if template is not None:
            from monitor.alerts.template import load_template

            self._own = load_template(template, "text")
        self._lock = asyncio.Lock()

    @property
    def _template(self) -> MessageTemplate:
        if self._own is None:
            from monitor.alerts.template import default_template

            self._own = default_template("text")
        return self._own

    async def send(self, alert: Alert) -> None:
        await self.send_batch([alert], "")

    async def send_batch(self, alerts: Sequence[Alert], heading: str) -> None:
        async with self._lock:
            text = await asyncio.to_thread(_render, self.name, self._template, alerts, heading)
            self._write(text)

    def _write(self, text: str) -> None:
        # sys.stdout is looked up per send, so a redirected stdout (or pytest's capture) works.
        stream = self._stream or sys.stdout
        try:
            stream.write(text + "\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe or closed file
            raise DeliveryError(f"{self.name}: cannot write: {type(exc).__name__}") from None


def make_channel(
    name: str, url: str, *, stream: TextIO | None = None, template: Path | None = None
) -> Channel:
    """A channel for a configured URL: "console://" prints, "webhook(s)://" POSTs JSON
    documents (webhook.py), anything else goes to Apprise.

    template: a file replacing the channel's default template (for its style: Slack-like,
    email HTML, or plain text), used for single alerts and batches alike.

    Raises ValueError, naming the channel and the redacted URL, when Apprise cannot use it,
    and naming the file and line ("path:3: ...") when the template is missing or broken.
    """
    if _scheme(url) == "console":
        return ConsoleChannel(name, stream, template=template)
    if _scheme(url) in _WEBHOOK_SCHEMES:
        from monitor.alerts.webhook import WebhookChannel  # it imports DeliveryError from here

        if template is not None:
            raise ValueError(
                f"channel {name!r}: a webhook channel sends JSON documents; it takes no template"
            )
        try:
            return WebhookChannel(name, url, _Redactor.for_url(url).scrub)
        except ValueError as err:
            raise ValueError(f"channel {name!r}: {err}") from None
    from monitor.alerts.apprisechannel import AppriseChannel

    return AppriseChannel(name, url, template=template)

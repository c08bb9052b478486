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
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from apprise import AppriseAsset, NotifyFormat
from apprise.plugins.base import NotifyBase

from monitor.alerts.mail import MailThread, mail_thread, own_sender
from monitor.alerts.plugins import service_for
from monitor.alerts.render import (
    MessageTemplate,
    Style,
    TemplateBoundError,
    batch_subject,
    default_template,
    headline,
    load_template,
)
from monitor.logs import mask_query, mask_url
from monitor.records import Alert

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
# No :emoji: expansion: it would rewrite untrusted titles, and nothing we send needs it.
_ASSET = AppriseAsset(interpret_emojis=False)


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
    try:
        service = apprise.Apprise.instantiate(url, asset=_ASSET)
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


def _apprise_converts_markdown() -> bool:
    """Whether this Apprise is one whose Slack handling the tests verified (2.3 and later).

    Slack-style channels send CommonMark declared as MARKDOWN (render.slack_markdown). Apprise
    2.3 converts that to mrkdwn and leaves escaped text alone; 1.x instead re-escapes the body
    and rebuilds "<!channel>"-like mentions from escaped text.
    """
    numbers = re.findall(r"\d+", apprise.__version__)[:2]
    return tuple(int(n) for n in numbers) >= (2, 3)


def _render(name: str, template: MessageTemplate, alerts: Sequence[Alert], heading: str) -> str:
    """The message text; a template that fails on these alerts, or runs past its time or size
    bound (render.RENDER_SECONDS, render.MESSAGE_MAX), is a DeliveryError.

    Blocking: channels call it in a worker thread, so a slow template never holds the loop.
    """
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
    """

    def __init__(
        self, name: str, stream: TextIO | None = None, *, template: Path | None = None
    ) -> None:
        self.name = name
        self._stream = stream
        self._template = load_template(template, "text") if template else default_template("text")
        self._lock = asyncio.Lock()

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


@dataclass(frozen=True, slots=True)
class _Message:
    title: str
    body: str
    body_format: NotifyFormat


_FORMATS: dict[Style, NotifyFormat] = {
    "slack": NotifyFormat.MARKDOWN,
    "email": NotifyFormat.HTML,
    "text": NotifyFormat.TEXT,
}


def _title(style: Style, alerts: Sequence[Alert], heading: str) -> str:
    """Slack-like: no title (see render.slack_markdown). Email and text: the subject, which is
    "[rule] title" for a single alert and the heading for a batch, mentions defused (json://,
    Discord and the like show the title next to the body)."""
    if style == "slack":
        return ""
    if len(alerts) == 1 and not heading:
        return headline(alerts[0])
    return batch_subject(heading, len(alerts))


def _message(
    style: Style, template: MessageTemplate, name: str, alerts: Sequence[Alert], heading: str
) -> _Message:
    """What Apprise is asked to send for one style.

    Slack-like: CommonMark declared as MARKDOWN and no title, see render.slack_markdown.
    Email: the HTML body (Apprise adds the text/plain alternative itself) and the subject.
    Text: the one-line headline as title and the plain block as body, declared TEXT so that
    targets which render HTML or Markdown escape it.
    """
    body = _render(name, template, alerts, heading)
    return _Message(_title(style, alerts, heading), body, _FORMATS[style])


class AppriseChannel:
    """One Apprise target. Its Apprise object is built once and kept, because Apprise paces
    requests per service instance (request_rate_per_sec: Slack 1.2 s, email 5.5 s): a fresh
    object per alert would drop that pacing and let a burst hit the target's rate limit.

    Sends on one channel are serialised (the plugin instance holds the pacing clock), and each
    renders and sends in a worker thread, so the event loop never blocks on a slow template,
    the network or the pacing sleep.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        template: Path | None = None,
    ) -> None:
        self.name = name
        self.style: Style = channel_style(url)
        self._template = (
            load_template(template, self.style) if template else default_template(self.style)
        )
        self._redactor = _Redactor.for_url(url)
        self.safe_url = self._redactor.shown
        self._timeout = timeout
        if self.style == "slack" and not _apprise_converts_markdown():
            raise ValueError(
                f"channel {name!r}: Slack-style channels need Apprise >= 2.3 (found "
                f"{apprise.__version__}); older versions can turn escaped mentions back into "
                "live ones"
            )
        self._apprise = apprise.Apprise(asset=_ASSET)
        service = service_for(url, _ASSET)
        if service is None or not self._apprise.add(service):
            raise ValueError(
                f"channel {name!r}: Apprise does not accept the URL {self.safe_url}"
                " (unknown scheme or missing/invalid parts)"
            )
        self._lock = asyncio.Lock()
        self._mail_headers: dict[str, str] | None = None
        self._mailer = own_sender(self.service) if self.style == "email" else None

    @property
    def service(self) -> NotifyBase:
        """The Apprise plugin instance behind this channel (one URL, one service)."""
        return self._apprise[0]

    async def send(self, alert: Alert) -> None:
        await self.send_batch([alert], "")

    async def send_batch(self, alerts: Sequence[Alert], heading: str) -> None:
        async with self._lock:
            ok, reason = await asyncio.to_thread(self._deliver, alerts, heading)
        if not ok:
            raise DeliveryError(f"{self.name}: {reason}")

    def _deliver(self, alerts: Sequence[Alert], heading: str) -> tuple[bool, str]:
        """Render, then send. Runs in a worker thread; a failed render raises DeliveryError."""
        message = _message(self.style, self._template, self.name, alerts, heading)
        if self.style != "email":
            return self._notify(message)
        thread = mail_thread(alerts, self.name)
        if self._mailer is not None:  # sets the Message-ID a reply names (mail.py)
            ok, reason = self._mailer.send(message.title, message.body, message.body_format,
                                           thread, self._timeout)
            return ok, self._redactor.scrub(reason)
        self._thread_headers(thread)
        return self._notify(message)

    def _thread_headers(self, thread: MailThread) -> None:
        """Without our own sender, Apprise sends: the thread ids go in its plugin's extra
        headers (the first mail names its thread in References). Sends on a channel are
        serialised, so setting them for this one send is safe."""
        service = self.service
        if not hasattr(service, "headers"):
            return
        if self._mail_headers is None:
            self._mail_headers = dict(service.headers)  # the URL's own +Header=value
        ids = thread.references or ((thread.message_id,) if thread.message_id else ())
        service.headers = {**self._mail_headers,
                           **MailThread(None, thread.in_reply_to, ids).headers()}

    def _notify(self, message: _Message) -> tuple[bool, str]:
        """Blocking send; returns (accepted, short reason). Runs in a worker thread."""
        try:
            with self._apprise.notify(
                body=message.body,
                title=message.title,
                body_format=message.body_format,
                interpret_escapes=False,
                timeout=self._timeout,
                log_level=logging.WARNING,  # what result.logs() keeps, for the reason
            ) as result:
                return bool(result), self._reason(result)
        except Exception as exc:  # any failure inside Apprise is a failed delivery
            return False, self._redactor.scrub(f"{type(exc).__name__}: {exc}")

    def _reason(self, result: apprise.AppriseResult) -> str:
        """The last WARNING-or-worse line Apprise logged for this call, scrubbed of secrets."""
        if result:
            return ""
        lines = [
            entry.message
            for entry in result.logs()
            if entry.level in ("WARNING", "ERROR", "CRITICAL")
        ]
        status = result.status.name.lower()
        return self._redactor.scrub(f"{status}: {lines[-1]}" if lines else status)


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
            raise ValueError(f"channel {name!r}: a webhook channel sends JSON documents; "
                             "it takes no template")
        try:
            return WebhookChannel(name, url, _Redactor.for_url(url).scrub)
        except ValueError as err:
            raise ValueError(f"channel {name!r}: {err}") from None
    return AppriseChannel(name, url, template=template)

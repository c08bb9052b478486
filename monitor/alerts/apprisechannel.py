"""Delivery through Apprise: every target it knows (Slack, Mattermost, email, json://, …).

Its own module so that Apprise, requests and smtplib load only when a configured channel
needs them (channels.make_channel imports it for an Apprise URL, redact_url to mask one).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import apprise
from apprise import AppriseAsset, NotifyFormat
from apprise.plugins.base import NotifyBase

from monitor.alerts.channels import (
    DEFAULT_TIMEOUT,
    DeliveryError,
    _Redactor,
    _render,
    channel_style,
)
from monitor.alerts.mail import MailThread, mail_thread, own_sender
from monitor.alerts.plugins import service_for
from monitor.alerts.render import (
    MessageTemplate,
    Style,
    batch_subject,
    default_template,
    headline,
    load_template,
)
from monitor.records import Alert

__all__ = ["AppriseChannel", "instantiate"]

# No :emoji: expansion: it would rewrite untrusted titles, and nothing we send needs it.
_ASSET = AppriseAsset(interpret_emojis=False)


def instantiate(url: str) -> NotifyBase | None:
    """Apprise's plugin for the URL (raises when Apprise cannot parse it)."""
    return apprise.Apprise.instantiate(url, asset=_ASSET)


def _apprise_converts_markdown() -> bool:
    """Whether this Apprise is one whose Slack handling the tests verified (2.3 and later).

    Slack-style channels send CommonMark declared as MARKDOWN (render.slack_markdown). Apprise
    2.3 converts that to mrkdwn and leaves escaped text alone; 1.x instead re-escapes the body
    and rebuilds "<!channel>"-like mentions from escaped text.
    """
    numbers = re.findall(r"\d+", apprise.__version__)[:2]
    return tuple(int(n) for n in numbers) >= (2, 3)


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
            ok, reason = self._mailer.send(
                message.title, message.body, message.body_format, thread, self._timeout
            )
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
        service.headers = {
            **self._mail_headers,
            **MailThread(None, thread.in_reply_to, ids).headers(),
        }

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

"""Delivery of one alert to one channel: the console, or any target Apprise knows.

A channel's send() returns only once the target accepted the alert and raises DeliveryError
otherwise, so the outbox can mark an alert sent only after a real acceptance and retry the
rest (DESIGN.md, "Reliability promises"). Nothing here retries: that is the outbox's job.

Secrets live in channel URLs (passwords, tokens). They never reach a log line or a
DeliveryError: everything said about a URL goes through redact_url(), and Apprise's own
failure messages are scrubbed of every URL part that redact_url() hides.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from dataclasses import dataclass
from typing import Literal, Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from apprise import AppriseAsset, NotifyFormat
from apprise.plugins.base import NotifyBase

from monitor.alerts.render import email_html, email_subject, headline, plain_text, slack_markdown
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

Style = Literal["slack", "email", "text"]

_STYLES: dict[str, Style] = {
    "slack": "slack",
    "mmost": "slack",
    "mmosts": "slack",
    "mailto": "email",
    "mailtos": "email",
}
# Query keys whose values are secrets even when Apprise prints them back in url(privacy=True):
# "+Header=value" sets an HTTP header (Authorization, X-Api-Key, ...) on json/xml/form targets.
_SECRET_KEY_RE = re.compile(r"pass|secret|token|key|auth|sig", re.IGNORECASE)
_REASON_MAX = 200
DEFAULT_TIMEOUT = 60.0  # seconds for one whole Apprise call, pacing sleep included
# No :emoji: expansion: it would rewrite untrusted titles, and nothing we send needs it.
_ASSET = AppriseAsset(interpret_emojis=False)


class DeliveryError(Exception):
    """The target did not accept the alert. str() is a short reason, safe to log and store."""


class Channel(Protocol):
    """Where alerts go. send() returns when the target accepted, raises DeliveryError if not."""

    name: str

    async def send(self, alert: Alert) -> None: ...


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


def _mask_query(url: str) -> str:
    """Mask values of header (+Name=) and secret-looking query parameters."""
    head, sep, query = url.partition("?")
    if not sep:
        return url
    masked = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        name = unquote(key)
        if eq and value and (name.startswith("+") or _SECRET_KEY_RE.search(name)):
            value = "****"
        masked.append(f"{key}{eq}{value}")
    return f"{head}?{'&'.join(masked)}"


def redact_url(url: str) -> str:
    """The URL in a form safe for logs: Apprise's url(privacy=True), else "scheme://***".

    Header values (json://host/?+Authorization=...) and secret-looking parameters are masked
    on top, since Apprise prints those back as they are.
    """
    if _scheme(url) == "console":
        return "console://"
    masked = _apprise_url(url)
    if masked is None:
        return f"{_scheme(url) or 'unknown'}://***"
    return _mask_query(masked)


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


class ConsoleChannel:
    """Prints alerts as plain text: the default channel, and the one to try rules with."""

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, alert: Alert) -> None:
        # sys.stdout is looked up per send, so a redirected stdout (or pytest's capture) works.
        stream = self._stream or sys.stdout
        try:
            stream.write(plain_text(alert) + "\n\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe or closed file
            raise DeliveryError(f"{self.name}: cannot write: {type(exc).__name__}") from None


@dataclass(frozen=True, slots=True)
class _Message:
    title: str
    body: str
    body_format: NotifyFormat


def _message(style: Style, alert: Alert) -> _Message:
    """What Apprise is asked to send for one style.

    Slack-like: CommonMark declared as MARKDOWN and no title, see render.slack_markdown.
    Email: the HTML body (Apprise adds the text/plain alternative itself) and the subject.
    Text: the one-line headline as title and the plain block as body, declared TEXT so that
    targets which render HTML or Markdown escape it.
    """
    if style == "slack":
        return _Message("", slack_markdown(alert), NotifyFormat.MARKDOWN)
    if style == "email":
        return _Message(email_subject(alert), email_html(alert), NotifyFormat.HTML)
    return _Message(headline(alert), plain_text(alert), NotifyFormat.TEXT)


class AppriseChannel:
    """One Apprise target. Its Apprise object is built once and kept, because Apprise paces
    requests per service instance (request_rate_per_sec: Slack 1.2 s, email 5.5 s): a fresh
    object per alert would drop that pacing and let a burst hit the target's rate limit.

    Sends on one channel are serialised (the plugin instance holds the pacing clock), and each
    runs in a worker thread so the event loop never blocks on the network or the pacing sleep.
    """

    def __init__(self, name: str, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.name = name
        self.style: Style = channel_style(url)
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
        if not self._apprise.add(url):
            raise ValueError(
                f"channel {name!r}: Apprise does not accept the URL {self.safe_url}"
                " (unknown scheme or missing/invalid parts)"
            )
        self._lock = asyncio.Lock()

    @property
    def service(self) -> NotifyBase:
        """The Apprise plugin instance behind this channel (one URL, one service)."""
        return self._apprise[0]

    async def send(self, alert: Alert) -> None:
        message = _message(self.style, alert)
        async with self._lock:
            ok, reason = await asyncio.to_thread(self._notify, message)
        if not ok:
            raise DeliveryError(f"{self.name}: {reason}")

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


def make_channel(name: str, url: str, *, stream: TextIO | None = None) -> Channel:
    """A channel for a configured URL: "console://" prints, anything else goes to Apprise.

    Raises ValueError, naming the channel and the redacted URL, when Apprise cannot use it.
    """
    if _scheme(url) == "console":
        return ConsoleChannel(name, stream)
    return AppriseChannel(name, url)

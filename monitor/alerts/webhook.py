"""The structured webhook channel: each message POSTed as one JSON document, optionally signed.

Chat and email channels send text for people; a webhook feeds another program (a ticketing
system, a SIEM, an analyst's notebook), which wants the evidence as fields rather than a
layout to scrape. So `webhook://host[:port]/path` (http) and `webhooks://host[:port]/path`
(https) send the alerts' records as JSON, in the shape of WebhookDocument, whose JSON Schema
ships as config/schema/webhook.schema.json (`news-monitor schema -o config/schema`).

Like every channel, send() returns only once the receiver answered 2xx and raises
DeliveryError otherwise (another status, a redirect, a timeout, a refused connection), so the
outbox retries. Redirects are not followed: the operator chose this URL, a server's Location
was not chosen by anyone, and channel URLs are not checked by the address guard
(sources/guard.py checks only what servers hand us).

With `secret=...` in the URL's query, the body carries an HMAC-SHA256 signature in
X-News-Monitor-Signature: "sha256=" + hex HMAC(secret, exact body bytes), GitHub's
X-Hub-Signature-256 scheme. The time of sending (`sent_at`) is inside the body, so it is
signed too: a receiver can refuse replays of an old body. The secret is never sent, logged
or put in a DeliveryError (channels.redact_url masks it; logs masks `secret=` values).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from monitor import __version__
from monitor.alerts.channels import DeliveryError
from monitor.alerts.webhookfacts import WebhookCasualties, webhook_casualties
from monitor.records import Alert, Fired, Update

__all__ = [
    "SIGNATURE_HEADER",
    "WEBHOOK_SCHEMES",
    "WebhookChannel",
    "WebhookDocument",
    "parse_webhook_url",
    "sign",
    "webhook_document",
    "webhook_schema",
]

WEBHOOK_SCHEMES = {"webhook": "http", "webhooks": "https"}
SIGNATURE_HEADER = "X-News-Monitor-Signature"
VERSION = 1
TIMEOUT = 60.0  # seconds for one POST: connect, send and the receiver's answer
_URL_FORM = "write webhook://host[:port]/path or webhooks://host[:port]/path[?secret=...]"


class _Model(BaseModel):
    """A part of the document: no field that is not described here is ever sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookHit(_Model):
    """One occurrence of one rule term in the story."""

    term: str = Field(description="the term as the watchlist (or a catalog) wrote it")
    field: Literal["title", "text"] = Field(
        description="where it was found: the title, or the text (summary and article text) "
                    "of the entry at the rule's `url`")
    start: int = Field(ge=0, description="offset of the first character, in Unicode code "
                                         "points, into the title or the text")
    end: int = Field(ge=0, description="offset just past the last character")
    concept: str | None = Field(description="the place or group an alias stands for "
                                            "(\"Aleppo\" for a hit on \"Halab\"), the event "
                                            "type a phrase signals (\"airstrike\" for \"air "
                                            "raid\"), else null")
    kind: Literal["place", "group", "event"] | None = Field(
        description="\"place\", \"group\" or \"event\" when the rule lists the term among "
                    "its places or groups, or it is a phrase of an event type the rule lists "
                    "under events; null for keywords and query words")


class WebhookRule(_Model):
    """A watch rule that fired for the story, with its evidence."""

    watchlist: str = Field(description="the watchlist's name")
    name: str = Field(description="the rule's name")
    priority: Literal["low", "normal", "high", "urgent"]
    score: float | None = Field(
        description="the rule's score on this story; null for alerts queued by a version "
                    "that did not keep it, and for alerts not raised by a rule (a refused "
                    "configuration reload)")
    terms: list[str] = Field(description="the rule's distinct matched terms, in reading order")
    hits: list[WebhookHit] = Field(
        description="every hit, title first then in text order; empty when not kept")
    url: str = Field(description="the entry the rule fired on, whose title and text the hits' "
                                 "offsets refer to (the story's `url` unless a later source's "
                                 "entry fired it)")


class WebhookSource(_Model):
    """A source that carried the story."""

    name: str = Field(description="the source's name in monitor.yaml")
    first_seen: datetime | None = Field(
        description="when news-monitor first saw the story on this source (UTC); null when "
                    "not known (send-test, a configuration alert)")
    outlet: str | None = Field(
        None, description="the outlet the source's article belongs to: its registrable "
                          "domain (reuters.com for feeds.reuters.com); sources with the same "
                          "outlet are not independent; null when not known")


class WebhookSnippet(_Model):
    """The excerpt a chat message would show, with the matched words' spans."""

    text: str
    marks: list[tuple[int, int]] = Field(
        description="[start, end] offsets into `text` of the matched words")


class WebhookUpdate(_Model):
    """What an update follows up: the story's first message on this channel."""

    number: int = Field(ge=1, description="1 for the story's first update on this channel")
    title: str = Field(description="the first message's headline (untrusted)")
    sent_at: datetime = Field(description="when the first message was sent (UTC)")
    changes: list[str] = Field(description="what changed since the channel last heard of the "
                                           "story (\"3 more independent outlets (4 in all)\", "
                                           "\"now also: Manbij\", \"Rule (high) fired\", "
                                           "\"Toll rose: at least 32 → 45 killed\")")


class WebhookAlert(_Model):
    """One story, and every rule it fired for this channel (one message names them all)."""

    story: str | None = Field(
        description="the story key: alerts with the same key are the same story, however "
                    "many sources carried it; null when the alert is not from a story "
                    "(send-test, a configuration alert)")
    rules: list[WebhookRule] = Field(
        min_length=1, description="the rules that fired, the leading one first (highest "
                                  "priority, then highest score)")
    title: str = Field(description="the story's title as the source gave it (untrusted)")
    url: str = Field(description="the article's URL as the source gave it (untrusted; may "
                                 "be empty)")
    sources: list[WebhookSource] = Field(
        min_length=1, description="every source that carried the story by the time it was "
                                  "sent, first the one that raised the alert, then in the "
                                  "order they carried it")
    outlets: int = Field(ge=1, description="how many sources carried the story")
    independent: int = Field(ge=1, description="how many distinct outlets (registrable "
                                               "domains) those sources are")
    single_source: bool = Field(
        False, description="its rules asked for more independent outlets (min_sources) and "
                           "their wait ran out before enough carried the story")
    published: datetime | None = Field(
        description="when the source says it was published (UTC), null when it did not say")
    snippet: WebhookSnippet
    terms: list[str] = Field(description="distinct matched terms of all its rules, in "
                                         "reading order")
    places: list[str] = Field(
        description="the places its rules matched (the place an alias stands for, else the "
                    "name as matched), in reading order")
    groups: list[str] = Field(description="the groups its rules matched, likewise")
    update_of: WebhookUpdate | None = Field(
        None, description="set when this alert follows up one sent before on the story "
                          "(same `story`): it escalated; null for a first alert")
    casualties: WebhookCasualties = Field(
        default_factory=WebhookCasualties,
        description="the casualty figures the article gives for its own event: killed, "
                    "injured, kidnapped, displaced, each {count, qualifier, text} or null")
    events: list[str] = Field(
        [], description="the event types its rules matched (canonical names of the event "
                        "catalog: airstrike, shelling, armed clash ...), in reading order")


class WebhookDocument(_Model):
    """What one POST carries: one message of the channel (one story, a burst, a digest)."""

    version: Literal[1] = Field(
        description="the document format; a field removed or changing meaning bumps it")
    id: str = Field(pattern="^[0-9a-f]{32}$", description=(
        "the message's id: the same on every attempt to send this message (a retry, or a "
        "resend after a crash), so a receiver can drop duplicates"))
    sent_at: datetime = Field(description="when this attempt was made (UTC); signed with "
                                          "the body, so a receiver can refuse old replays")
    heading: str = Field(description="the batch heading (\"3 stories: Fighting in Aleppo "
                                     "(2), ISIS claims\"), \"\" for one story")
    alerts: list[WebhookAlert] = Field(min_length=1)


def webhook_schema() -> dict[str, Any]:
    """The JSON Schema of the document, as shipped in config/schema/webhook.schema.json."""
    schema = WebhookDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "news-monitor webhook document"
    return schema


def _rule(fired: Fired) -> WebhookRule:
    return WebhookRule(
        watchlist=fired.watchlist, name=fired.rule, priority=fired.priority,
        score=fired.score, terms=list(fired.terms), url=fired.url,
        hits=[WebhookHit(term=h.term, field=h.field, start=h.start, end=h.end,
                         concept=h.concept, kind=_kind(h.kind)) for h in fired.hits])


_KINDS: dict[str | None, Literal["place", "group", "event"]] = {
    "place": "place", "group": "group", "event": "event"}


def _kind(kind: str | None) -> Literal["place", "group", "event"] | None:
    return _KINDS.get(kind)


def _sources(alert: Alert) -> list[WebhookSource]:
    names = alert.all_sources()
    times = dict(zip(names, alert.carried_at, strict=False))
    outlets = dict(zip(names, alert.outlets, strict=False))
    ordered = [alert.source, *(n for n in names if n != alert.source)]
    return [WebhookSource(name=name, first_seen=datetime.fromtimestamp(times[name], UTC)
                          if name in times else None, outlet=outlets.get(name) or None)
            for name in ordered]


def _alert(alert: Alert) -> WebhookAlert:
    fired = alert.rules()
    hits = sorted((h for f in fired for h in f.hits), key=lambda h: (h.field != "title",
                                                                     h.start))
    carried, independent = alert.corroboration()
    return WebhookAlert(
        story=alert.story or None,
        rules=[_rule(f) for f in fired],
        title=alert.title, url=alert.url,
        sources=_sources(alert),
        outlets=carried, independent=independent,
        single_source=alert.single_source,
        published=alert.published,
        snippet=WebhookSnippet(text=alert.snippet.text, marks=list(alert.snippet.marks)),
        terms=list(dict.fromkeys(t for f in fired for t in f.terms)),
        places=list(dict.fromkeys(h.concept or h.term for h in hits if h.kind == "place")),
        groups=list(dict.fromkeys(h.concept or h.term for h in hits if h.kind == "group")),
        update_of=_update(alert.update),
        casualties=webhook_casualties(alert.casualties),
        events=list(alert.events()),
    )


def _update(update: Update | None) -> WebhookUpdate | None:
    if update is None:
        return None
    return WebhookUpdate(number=update.number, title=update.of_title,
                         sent_at=datetime.fromtimestamp(update.of_sent_at, UTC),
                         changes=list(update.changes))


def webhook_document(channel: str, alerts: Sequence[Alert], heading: str,
                     sent_at: datetime) -> WebhookDocument:
    """The document for one message. Its id hashes the channel, the heading and which alerts
    these are (story, rules, title, url), not sent_at nor the sources (a retry may name one
    more): every attempt at the same message carries the same id."""
    parts = [_alert(a) for a in alerts]
    identity = [[a.story, [[f.watchlist, f.rule] for f in a.rules()], a.title, a.url]
                for a in alerts]
    content = json.dumps([channel, heading, identity], ensure_ascii=False)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
    return WebhookDocument(version=VERSION, id=digest, sent_at=sent_at.astimezone(UTC),
                           heading=heading, alerts=parts)


def sign(secret: str, body: bytes) -> str:
    """The X-News-Monitor-Signature value: "sha256=" + hex HMAC-SHA256(secret, body)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where to POST (an http(s) URL without the secret) and the signing secret, if any."""

    post_url: str
    secret: str | None


def parse_webhook_url(url: str) -> WebhookTarget:
    """The target of a webhook(s):// URL; ValueError saying what is wrong (without the
    secret) when it is malformed. Query parameters other than secret= go to the receiver."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"the webhook URL's port is not a number from 1 to 65535; {_URL_FORM}"
                         ) from None
    scheme = parts.scheme.lower()
    if scheme not in WEBHOOK_SCHEMES:
        raise ValueError(f"not a webhook URL; {_URL_FORM}")
    if not parts.hostname:
        raise ValueError(f"the webhook URL has no host; {_URL_FORM}")
    if port == 0:
        raise ValueError(f"the webhook URL's port is 0; {_URL_FORM}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    secrets = [value for key, value in query if key == "secret"]
    if len(secrets) > 1:
        raise ValueError("the webhook URL gives secret= more than once")
    if secrets and not secrets[0]:
        raise ValueError("the webhook URL's secret= is empty")
    rest = urlencode([(key, value) for key, value in query if key != "secret"])
    post_url = urlunsplit((WEBHOOK_SCHEMES[scheme], parts.netloc, parts.path or "/", rest, ""))
    try:
        httpx.URL(post_url)
    except httpx.InvalidURL:
        raise ValueError(f"the webhook URL is not a valid address; {_URL_FORM}") from None
    return WebhookTarget(post_url, secrets[0] if secrets else None)


class WebhookChannel:
    """POSTs each message as one JSON document (see the module docstring). Sends on one
    channel are serialised, so a receiver sees messages in the order they were sent.

    `scrub` hides the URL's secrets (the redactor channels.py builds for any channel URL).
    """

    def __init__(self, name: str, url: str, scrub: Callable[[str], str], *,
                 timeout: float = TIMEOUT) -> None:
        self.name = name
        self._target = parse_webhook_url(url)
        self._scrub = scrub
        self._timeout = timeout
        self._lock = asyncio.Lock()

    async def send(self, alert: Alert) -> None:
        await self.send_batch([alert], "")

    async def send_batch(self, alerts: Sequence[Alert], heading: str) -> None:
        if not alerts:
            raise DeliveryError(f"{self.name}: empty batch")
        document = webhook_document(self.name, alerts, heading, datetime.now(UTC))
        body = json.dumps(document.model_dump(mode="json"), ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json",
                   "User-Agent": f"news-monitor/{__version__}"}
        if self._target.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._target.secret, body)
        async with self._lock:
            reason = await self._post(body, headers)
        if reason:
            raise DeliveryError(f"{self.name}: {reason}")

    async def _post(self, body: bytes, headers: dict[str, str]) -> str:
        """POST once; "" when the receiver answered 2xx, else a short reason free of
        secrets (the receiver's body is not quoted: it may echo what we sent)."""
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                response = await client.post(self._target.post_url, content=body,
                                             headers=headers)
        except Exception as exc:  # a refused connection, a timeout, TLS: a failed attempt
            return self._scrub(f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            return ""
        return f"HTTP {response.status_code} {response.reason_phrase}".strip()

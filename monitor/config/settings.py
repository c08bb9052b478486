"""The shape of monitor.yaml and of watchlist files, as pydantic models, and their JSON Schemas.

Models check what one value (or one mapping) can tell on its own; what needs files, catalogs
or other layers is checked by loading.py and watchlists.py. Descriptions here are what editors
show from the JSON Schemas (`news-monitor schema`), so they are written for the person
editing the file.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from monitor import __version__
from monitor.config.minimums import CasualtyMinimums
from monitor.config.values import (
    Duration,
    IPBlock,
    PriorityName,
    Size,
    check_state_url,
    check_timezone,
    cron_trigger,
    is_loopback,
)


class FileModel(BaseModel):
    """A mapping in a config file: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PollSettings(FileModel):
    """How sources are polled.

    A source polls every `interval` until it has a week of history; then its interval
    adapts to how often it really publishes, between `min_interval` and `max_interval`.
    A source with its own `interval` keeps it. Servers' Cache-Control max-age, Expires,
    RSS <ttl> and Retry-After are honoured up to `max_interval`; failures back off
    exponentially up to `max_backoff`.
    """

    interval: Duration = Field(300.0, gt=0, description="time between polls of a new source")
    min_interval: Duration = Field(120.0, gt=0, description="fastest adaptive polling")
    max_interval: Duration = Field(3600.0, gt=0, description="slowest adaptive polling")
    concurrency: int = Field(20, ge=1, le=1000, description="polls in flight at once")
    per_host: int = Field(2, ge=1, le=100, description="requests in flight to one host")
    timeout: Duration = Field(20.0, gt=0, description="whole-request time limit")
    max_bytes: Size = Field(10_000_000, description="largest body read from a source")
    max_backoff: Duration = Field(21600.0, gt=0, description="longest wait after failures")
    failing_after: int = Field(
        5, ge=1, description="errors in a row that mark a source failing; the poll that "
                             "reaches it sends one notice to the health_alerts channels")
    silence_factor: float | None = Field(
        4.0, ge=0,
        description="a source with no new item for this many times its usual gap between "
                    "items (known from a day of history and a few items) is reported "
                    "silent; 0 or null: never")
    max_articles: int = Field(20, ge=1, description="article pages fetched per poll of a source")
    article_concurrency: int = Field(
        4, ge=1, le=100, description="article pages of one source fetched at once")
    article_budget: Duration = Field(
        60.0, gt=0, description="time one poll may spend fetching its article pages")
    parse_timeout: Duration = Field(
        30.0, gt=0,
        description="time parsing one poll's bodies may take before the poll counts as failed")
    allow_private: tuple[IPBlock, ...] = Field(
        (), description="IP addresses or CIDR blocks (10.0.0.0/8, 192.168.1.20, fd00::/8) that "
                        "links found in feeds may reach although they are private, loopback "
                        "or link-local; other such links are refused")
    alert_window: Duration = Field(
        86400.0, gt=0,
        description="on a source's first poll (or after its URL changed) only entries "
                    "published this recently alert; the rest, and undated ones, are only "
                    "recorded as seen")
    max_age: Duration = Field(
        3 * 86400.0, gt=0,
        description="entries published longer ago than this never alert (they are still "
                    "recorded as seen); a date in the future counts as now")
    user_agent: str = f"news-monitor/{__version__} (+https://github.com/news-monitor)"

    @model_validator(mode="after")
    def _ordered(self) -> PollSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval is longer than max_interval")
        return self


class DeliverySettings(FileModel):
    """How the outbox retries a channel that does not accept an alert."""

    retry_base: Duration = Field(30.0, gt=0, description="wait after the first failure")
    retry_max: Duration = Field(3600.0, gt=0, description="longest wait between attempts")
    max_attempts: int = Field(12, ge=1, description="attempts before an alert is failed")
    max_age: Duration = Field(86400.0, gt=0, description="age after which it is failed")
    check_every: Duration = Field(2.0, gt=0, description="how often the outbox is checked")
    health_every: Duration = Field(
        60.0, ge=0, description="at most one source-health message per channel this often; "
                                "what happens meanwhile goes together in the next one")


SOURCE_KINDS = ("feed", "site", "sitemap")


class SourceConfig(FileModel):
    """One source: exactly one of `feed`, `site` or `sitemap`, a URL or a local file."""

    name: str = Field(min_length=1)
    feed: str | None = Field(None, min_length=1,
                             description="RSS, Atom, RDF or JSON Feed: URL or file")
    site: str | None = Field(None, min_length=1,
                             description="a page listing articles: URL or file")
    sitemap: str | None = Field(None, min_length=1,
                                description="a (news) sitemap or sitemap index: URL or file")
    links: str | None = Field(None, min_length=1,
                              description="CSS selector of article links on a site page")
    fetch_article: bool = Field(False, description="fetch each new article's page for its text")
    allow_private: bool = Field(
        False, description="links found in this source may reach private, loopback and "
                           "CGNAT addresses (an intranet source); link-local ones, where "
                           "cloud metadata answers, only through poll.allow_private")
    interval: Duration | None = Field(None, gt=0, description="fixed time between polls")
    min_interval: Duration | None = Field(None, gt=0)
    max_interval: Duration | None = Field(None, gt=0)
    alert_window: Duration | None = Field(
        None, gt=0, description="this source's poll.alert_window: on its first poll, how "
                                "recent an entry must be to alert")
    max_age: Duration | None = Field(
        None, gt=0, description="this source's poll.max_age: older entries never alert")
    silence_factor: float | None = Field(
        None, ge=0, description="this source's poll.silence_factor; 0: never report it silent")
    enabled: bool = True

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        given = [k for k in SOURCE_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a source needs exactly one of feed, site or sitemap"
                             + (f" (found {', '.join(given)})" if given else ""))
        if self.links is not None and self.site is None:
            raise ValueError("links (a CSS selector) only applies to a site source")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in SOURCE_KINDS if getattr(self, k) is not None)


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class QuietHours(FileModel):
    """Hours when a channel holds its alerts; one summary goes out when they end."""

    start: str = Field(description="HH:MM, in the channel's timezone")
    end: str = Field(description="HH:MM; may be earlier than start (overnight)")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _HHMM.match(value.strip()):
            raise ValueError(f"expected a time of day such as 22:00, found {value!r}")
        return value.strip()

    def minutes(self) -> tuple[int, int]:
        return tuple(int(h) * 60 + int(m) for h, m in  # type: ignore[return-value]
                     (t.split(":") for t in (self.start, self.end)))


class ChannelConfig(FileModel):
    """Where alerts go and how: at once, grouped, or in digests."""

    url: str = Field(min_length=3, description="an Apprise URL, or console://")
    group_wait: Duration = Field(30.0, ge=0, description="wait to gather a burst; 0 = at once")
    digest: str | None = Field(None, description="cron (m h dom mon dow): send digests only")
    timezone: str = Field("UTC", description="for digest and quiet_hours")
    max_per_hour: int | None = Field(None, ge=1, description="messages; the rest go to a digest")
    quiet_hours: QuietHours | None = None
    min_priority: PriorityName = Field("low", description="lower priorities are not sent here")
    template: str | None = Field(None, description="a Jinja2 file replacing the default")
    max_updates: int = Field(3, ge=0, le=100, description="follow-ups per story when it "
                             "escalates (more outlets, a new place or group); 0 = none")
    update_interval: Duration = Field(1800.0, ge=0, description="at least this long between "
                                      "a story's messages here")
    update_outlets: int = Field(3, ge=1, description="new independent outlets that make "
                                "an update")

    @field_validator("digest")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            cron_trigger(value, "UTC")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)


class HealthSettings(FileModel):
    """The HTTP listener for /healthz, /readyz, /metrics and the Atom alert feeds.

    The feeds carry the desk's alerts, so they are served by default only when the listener
    is on a loopback address (only this machine can reach it); anywhere else they need
    `feeds: true`, and should have a `feed_token`.
    """

    listen: str = Field("127.0.0.1:9464", pattern=r"^[^\s:]*:\d{1,5}$",
                        description="host:port; 0.0.0.0:9464 in a container")
    enabled: bool = True
    feeds: bool | None = Field(
        None, description="serve the Atom alert feeds /feeds/alerts.atom and "
                          "/feeds/WATCHLIST.atom; default: only when `listen` is a loopback "
                          "address (127.0.0.1, localhost)")
    feed_token: SecretStr | None = Field(
        None, min_length=16,
        description="when set, feed requests must carry it as `Authorization: Bearer TOKEN` "
                    "or `?token=TOKEN`; write it as ${FEED_TOKEN}, at least 16 characters")

    @property
    def loopback(self) -> bool:
        """Whether `listen` is reachable from this machine only."""
        return is_loopback(self.listen.rpartition(":")[0])

    @property
    def feeds_on(self) -> bool:
        """Whether the alert feeds are served: as set, else only on a loopback listener."""
        return self.loopback if self.feeds is None else self.feeds

    @field_validator("listen")
    @classmethod
    def _port(cls, value: str) -> str:
        if int(value.rpartition(":")[2]) > 65535:
            raise ValueError(f"port {value.rpartition(':')[2]} is out of range (0-65535)")
        return value


class MonitorFile(FileModel):
    """The shape of monitor.yaml."""

    state: str = Field("sqlite:///state/monitor.db",
                       description="sqlite:///path (relative to this file) or "
                                   "postgresql://user@host/db (several replicas)")
    poll: PollSettings = PollSettings()
    delivery: DeliverySettings = DeliverySettings()
    keep_text: Duration = Field(30 * 86400.0, gt=0, description="how long article text is kept")
    keep_entries: Duration = Field(180 * 86400.0, gt=0,
                                   description="how long seen entries and sent alerts are kept")
    health: HealthSettings = HealthSettings()
    lease: Duration = Field(
        30.0, ge=1, le=3600,
        description="how long a replica's claim on a source or a channel lasts unless "
                    "renewed; a replica that dies has its work taken over after this")
    sources: list[SourceConfig] = []
    channels: dict[str, ChannelConfig] = {}
    health_alerts: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description="channels told when a source starts failing, recovers or falls "
                          "silent; default: the channel named admin, if there is one; [] "
                          "for none (status still shows it)")
    watchlists: list[str] = ["watchlists/*.yaml"]
    places: str = Field("places.yaml", description="your additions to the gazetteer, if any")
    groups: str = Field("groups.yaml", description="your additions to the groups catalog")
    events: str = Field("events.yaml", description="your additions to the event catalog "
                                                   "(event types and their phrases)")
    gazetteer: str = Field(
        "gazetteer", description="folder of GeoNames extracts imported with `news-monitor "
                                 "places import` (villages); missing means none")

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return check_state_url(value)


def _terms(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [item, {"type": "array", "items": item}]}


Names = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_terms),
                  WithJsonSchema(_one_or_many({"type": "string", "minLength": 1}))]


class WeightedTerm(FileModel):
    """A term written as a mapping, to give it a weight or make it case-exact."""

    term: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0, description="how much a hit adds to the rule's score")
    exact_case: bool = Field(False, description="match only as written, e.g. IS or UN")


TermEntry = Annotated[str, Field(min_length=1)] | WeightedTerm
_WEIGHTED_TERM_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["term"],
    "properties": {"term": {"type": "string", "minLength": 1},
                   "weight": {"type": "number", "exclusiveMinimum": 0},
                   "exact_case": {"type": "boolean"}}}
Terms = Annotated[tuple[TermEntry, ...], BeforeValidator(_terms), WithJsonSchema(_one_or_many(
    {"anyOf": [{"type": "string", "minLength": 1}, _WEIGHTED_TERM_SCHEMA]}))]


def _surge_flag(value: Any) -> Any:
    return {} if value is True else value


class SurgeConfig(FileModel):
    """`surge:` on a rule or a watchlist: alert when its stories suddenly outnumber its own
    baseline (the same hours over the past 14 days)."""

    by: Literal["watchlist", "rule", "place", "group", "event"] | None = Field(
        None, description="what to count stories by: the whole watchlist, the rule, or each "
                          "place, group or event type the rule matched (default: where it "
                          "is written)")
    window: Duration = Field(3600.0, gt=0, description="stories are counted over this window")
    min_stories: int = Field(5, ge=2, description="fewer stories than this in the window is "
                                                  "never a surge")


Surge = Annotated[SurgeConfig | None, BeforeValidator(_surge_flag)]


class RuleConfig(FileModel, CasualtyMinimums):
    name: str = Field(min_length=1)
    places: Terms = Field((), description="place names, expanded from the gazetteer")
    within: bool = Field(False, description="places also cover their regions and larger towns")
    groups: Terms = Field((), description="group names, expanded from the groups catalog")
    events: Names = Field((), description="event types (airstrike, shelling, armed clash, "
                                          "suicide bombing, abduction ...), expanded from "
                                          "the event catalog into their phrases")
    keywords: Terms = Field((), description="words and phrases, matched as written; a final "
                                            "* makes a prefix (bomb*); no regular expressions")
    exclude: Terms = Field((), description="terms that stop the rule from firing")
    query: str | None = Field(None, description="a boolean query: AND OR NOT NEAR/n, "
                                                "\"phrases\", title: text: and @aliases")
    priority: PriorityName = "normal"
    min_score: float = Field(0.0, ge=0, description="the rule fires only at this score or more")
    mute_until: datetime | date | None = Field(None, description="no alerts before this date")
    min_sources: int = Field(1, ge=1, le=50, description="hold the alert until this many "
                             "independent outlets (registrable domains) carry the story")
    wait: Duration = Field(7200.0, gt=0, description="with min_sources: how long to wait "
                           "for them; then it is sent, marked single source")
    single_source_priority: PriorityName | None = Field(
        None, description="the rule's priority for a story only one outlet carries")
    surge: Surge = Field(None, description="true, or {by, window, min_stories}: alert when "
                                           "its stories surge")
    notify: Names | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> RuleConfig:
        if not (self.places or self.groups or self.events or self.keywords or self.query):
            raise ValueError("a rule needs at least one of places, groups, events, keywords "
                             "or query")
        return self


class WatchlistFile(FileModel, CasualtyMinimums):
    """The shape of one file under watchlists/."""

    name: str = Field(min_length=1)
    notify: Names | None = None
    aliases: dict[str, Terms] = Field({}, description="named term lists for @name in queries")
    surge: Surge = Field(None, description="true, or {by, window, min_stories}: alert when "
                                           "the watchlist's stories surge")
    rules: list[RuleConfig] = Field(min_length=1)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of monitor.yaml and of watchlist files, for editors and CI."""
    schemas = {}
    for name, model in (("monitor", MonitorFile), ("watchlist", WatchlistFile)):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"news-monitor {name} file"
        schemas[name] = schema
    return schemas

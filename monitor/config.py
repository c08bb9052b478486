"""monitor.yaml and watchlist files: pydantic models, loading, and checks with file:line:col.

`load_config()` is the one way in. It either returns a fully checked `Config` or raises
`ConfigError` holding every problem found (not just the first), each located in its file, so
`news-monitor check` can show an analyst all of them at once.
"""

from __future__ import annotations

import difflib
import functools
import glob
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from monitor import __version__
from monitor.alerts.channels import channel_style
from monitor.alerts.render import load_template
from monitor.catalog import Catalog, CatalogError
from monitor.match import QueryError, parse_query
from monitor.match.spec import RuleSpec, Term
from monitor.records import PRIORITIES, Priority
from monitor.sources.sites import SelectorError, check_selector
from monitor.yamlpos import Located, Problem, load_yaml

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.I)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
               "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_duration(value: Any) -> float:
    """'90s', '5m', '1h30m', '7d' or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m, 2h or 7d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value).strip().lower()
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if text[pos:m.start()].strip():
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos == 0 or text[pos:].strip():
        raise ValueError(f"bad duration '{value}': use a number and a unit, such as "
                         "30s, 5m, 2h, 1h30m or 7d")
    return total


def format_duration(seconds: float) -> str:
    """Seconds as people read them: 45s, 5m, 1.5h, 2d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


def parse_size(value: Any) -> int:
    """'10MB', '512KiB' or a number of bytes → bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(str(value))
    if not m or isinstance(value, bool):
        raise ValueError(f"bad size '{value}': use a number and a unit, such as 512KB or 10MB")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def _known_priority(value: Any, info: ValidationInfo) -> Any:
    if value not in PRIORITIES:
        raise ValueError(f"{info.field_name} must be one of {', '.join(PRIORITIES)}")
    return value


PriorityName = Annotated[Priority, BeforeValidator(_known_priority)]
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0},
              {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+$"}],
    "description": "a duration: 30s, 5m, 2h, 1h30m, 7d, or seconds"})]
Size = Annotated[int, BeforeValidator(parse_size), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 1},
              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([kKmMgG]i?[bB]|[bB])?\s*$"}],
    "description": "a size: 512KB, 10MB, 1MiB, or bytes"})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PollSettings(_Model):
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
    failing_after: int = Field(5, ge=1, description="errors in a row that mark a source failing")
    max_articles: int = Field(20, ge=1, description="article pages fetched per poll of a source")
    article_concurrency: int = Field(4, ge=1, le=100)
    article_budget: Duration = Field(60.0, gt=0)
    parse_timeout: Duration = Field(30.0, gt=0)
    allow_private: tuple[str, ...] = ()
    user_agent: str = f"news-monitor/{__version__} (+https://github.com/news-monitor)"

    @model_validator(mode="after")
    def _ordered(self) -> PollSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval is longer than max_interval")
        return self


class DeliverySettings(_Model):
    """How the outbox retries a channel that does not accept an alert."""

    retry_base: Duration = Field(30.0, gt=0, description="wait after the first failure")
    retry_max: Duration = Field(3600.0, gt=0, description="longest wait between attempts")
    max_attempts: int = Field(12, ge=1, description="attempts before an alert is failed")
    max_age: Duration = Field(86400.0, gt=0, description="age after which it is failed")
    check_every: Duration = Field(2.0, gt=0, description="how often the outbox is checked")


SOURCE_KINDS = ("feed", "site", "sitemap")


class SourceConfig(_Model):
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
    interval: Duration | None = Field(None, gt=0, description="fixed time between polls")
    min_interval: Duration | None = Field(None, gt=0)
    max_interval: Duration | None = Field(None, gt=0)
    enabled: bool = True
    allow_private: bool = False

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


class QuietHours(_Model):
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


class ChannelConfig(_Model):
    """Where alerts go and how: at once, grouped, or in digests."""

    url: str = Field(min_length=3, description="an Apprise URL, or console://")
    group_wait: Duration = Field(30.0, ge=0, description="wait to gather a burst; 0 = at once")
    digest: str | None = Field(None, description="cron (m h dom mon dow): send digests only")
    timezone: str = Field("UTC", description="for digest and quiet_hours")
    max_per_hour: int | None = Field(None, ge=1, description="messages; the rest go to a digest")
    quiet_hours: QuietHours | None = None
    min_priority: PriorityName = Field("low", description="lower priorities are not sent here")
    template: str | None = Field(None, description="a Jinja2 file replacing the default")

    @field_validator("digest")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            cron_trigger(value, "UTC")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{value}' (e.g. UTC, Europe/Paris, "
                             f"Asia/Damascus)") from None
        return value


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A crontab line (minute hour day month weekday) as an APScheduler trigger."""
    try:
        return CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
    except ValueError as err:
        raise ValueError(f"bad cron '{expression}': {err} (use minute hour day month "
                         f"weekday, e.g. '0 8 * * *')") from None


class HealthSettings(_Model):
    """The HTTP listener for /healthz, /readyz and /metrics."""

    listen: str = Field("127.0.0.1:9464", pattern=r"^[^\s:]*:\d{1,5}$",
                        description="host:port; 0.0.0.0:9464 in a container")
    enabled: bool = True


class MonitorFile(_Model):
    """The shape of monitor.yaml."""

    state: str = "sqlite:///state/monitor.db"
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
    watchlists: list[str] = ["watchlists/*.yaml"]
    places: str = Field("places.yaml", description="your additions to the gazetteer, if any")
    groups: str = Field("groups.yaml", description="your additions to the groups catalog")


def _terms(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [item, {"type": "array", "items": item}]}


Names = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_terms),
                  WithJsonSchema(_one_or_many({"type": "string", "minLength": 1}))]


class WeightedTerm(_Model):
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


class RuleConfig(_Model):
    name: str = Field(min_length=1)
    places: Terms = Field((), description="place names, expanded from the gazetteer")
    within: bool = Field(False, description="places also cover their regions and larger towns")
    groups: Terms = Field((), description="group names, expanded from the groups catalog")
    keywords: Terms = ()
    exclude: Terms = Field((), description="terms that stop the rule from firing")
    query: str | None = None
    priority: PriorityName = "normal"
    min_score: float = Field(0.0, ge=0, description="the rule fires only at this score or more")
    mute_until: datetime | date | None = Field(None, description="no alerts before this date")
    notify: Names | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> RuleConfig:
        if not (self.places or self.groups or self.keywords or self.query):
            raise ValueError("a rule needs at least one of places, groups, keywords or query")
        return self


class WatchlistFile(_Model):
    """The shape of one file under watchlists/."""

    name: str = Field(min_length=1)
    notify: Names | None = None
    aliases: dict[str, Terms] = Field({}, description="named term lists for @name in queries")
    rules: list[RuleConfig] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Source:
    """A source as the pipeline sees it: its location resolved against the config."""

    name: str
    location: str  # http(s) URL or absolute file path
    interval: float  # the starting interval, or the fixed one when `fixed`
    kind: str = "feed"  # feed | site | sitemap
    links: str | None = None  # CSS selector (site)
    fetch_article: bool = False
    min_interval: float = 120.0
    max_interval: float = 3600.0
    fixed: bool = False  # the config set this source's interval: do not adapt it
    allow_private: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.location).hostname or "" if "://" in self.location else ""


@dataclass(frozen=True)
class Channel:
    name: str
    url: str
    group_wait: float = 0.0
    digest: str | None = None
    timezone: str = "UTC"
    max_per_hour: int | None = None
    quiet_hours: tuple[int, int] | None = None  # (start, end) minutes of the day
    min_priority: Priority = "low"
    template: Path | None = None

    @property
    def digest_cron(self) -> str | None:
        """When this channel's digests go out: its own cron, or hourly when a rate limit
        needs somewhere to send the rest."""
        return self.digest or ("0 * * * *" if self.max_per_hour else None)


@dataclass(frozen=True)
class Config:
    """A checked configuration, ready to run."""

    path: Path
    settings: MonitorFile
    state_url: str
    sources: tuple[Source, ...]
    channels: tuple[Channel, ...]
    rules: tuple[RuleSpec, ...]
    watchlist_files: tuple[Path, ...]
    notes: tuple[Problem, ...] = ()  # worth knowing, not wrong: shown by `check`

    @property
    def watchlist_count(self) -> int:
        return len({r.watchlist for r in self.rules})

    def summary(self) -> str:
        return (f"{self.path}: ok — {len(self.sources)} sources, {self.watchlist_count} "
                f"watchlists, {len(self.rules)} rules, {len(self.channels)} channels")


class ConfigError(Exception):
    """Every problem found in a configuration, each with file:line:col."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


DEFAULT_CHANNEL = Channel("console", "console://")


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of monitor.yaml and of watchlist files, for editors and CI."""
    schemas = {}
    for name, model in (("monitor", MonitorFile), ("watchlist", WatchlistFile)):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"news-monitor {name} file"
        schemas[name] = schema
    return schemas


def load_config(path: str | Path, env: dict[str, str] | None = None) -> Config:
    """Load monitor.yaml and its watchlists; raise ConfigError listing every problem."""
    path = Path(path)
    base = path.resolve().parent
    problems: list[Problem] = []
    main = load_yaml(path, str(path), env)
    settings = _validate(main, MonitorFile, problems)
    if settings is None:
        raise ConfigError(problems or main.problems)
    channels = tuple(_channel(n, c, base, main, problems)
                     for n, c in settings.channels.items()) or (DEFAULT_CHANNEL,)
    sources = _sources(settings, base, main, problems)
    files = _watchlist_files(settings, base, main, problems)
    ctx = _Loading(path, channels, functools.partial(_catalog, settings, base, problems), env,
                   problems, [], {})
    if (base / settings.places).is_file() or (base / settings.groups).is_file():
        ctx.catalog  # noqa: B018 - the user's own catalog files are checked even if unused
    rules: list[RuleSpec] = []
    for file in files:
        rules.extend(_load_watchlist(file, ctx))
    if problems:
        raise ConfigError(problems)
    # `sources` holds the resolved sources: the validated models would double what 10,000
    # sources cost for as long as the daemon runs.
    settings = settings.model_copy(update={"sources": []})
    return Config(path=path, settings=settings, state_url=_state_url(settings.state, base),
                  sources=sources, channels=channels, rules=tuple(rules),
                  watchlist_files=tuple(files), notes=tuple(ctx.notes))


def _catalog(settings: MonitorFile, base: Path, problems: list[Problem]) -> Catalog | None:
    """The gazetteer and groups catalog, with the user's files next to the config if any."""
    places, groups = base / settings.places, base / settings.groups
    key = tuple((p, p.stat().st_mtime_ns if p.is_file() else None) for p in (places, groups))
    try:
        return _load_catalog(key)
    except CatalogError as err:
        problems.append(_catalog_problem(str(err), places))
        return None


@functools.lru_cache(maxsize=8)
def _load_catalog(key: tuple[tuple[Path, int | None], ...]) -> Catalog:
    """Cached by file and modification time: reloads (and tests) reuse the loaded data."""
    (places, places_mtime), (groups, groups_mtime) = key
    return Catalog.load(places_file=places if places_mtime is not None else None,
                        groups_file=groups if groups_mtime is not None else None)


def _catalog_problem(message: str, fallback: Path) -> Problem:
    m = re.match(r"^(.+?):(\d+):(\d+): (.*)$", message, re.S)
    if m:
        return Problem(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4))
    return Problem(str(fallback), 1, 1, message)


def _channel(name: str, c: ChannelConfig, base: Path, located: Located,
             problems: list[Problem]) -> Channel:
    template = None
    if c.template is not None:
        template = Path(c.template) if Path(c.template).is_absolute() else base / c.template
        if not template.is_file():
            problems.append(located.problem(("channels", name, "template"),
                                            f"template file not found: {c.template}"))
        else:
            try:
                load_template(template, channel_style(c.url))
            except ValueError as err:
                problems.append(located.problem(("channels", name, "template"),
                                                f"bad template: {err}"))
    return Channel(name, c.url, group_wait=c.group_wait, digest=c.digest, timezone=c.timezone,
                   max_per_hour=c.max_per_hour,
                   quiet_hours=c.quiet_hours.minutes() if c.quiet_hours else None,
                   min_priority=c.min_priority, template=template)


def _validate(located: Located, model: type[_Model], problems: list[Problem]) -> Any:
    problems.extend(located.problems)
    if located.problems:
        return None
    if not isinstance(located.data, dict):
        problems.append(located.problem((), f"expected a mapping of keys at the top of the "
                                            f"file, found {type(located.data).__name__}"))
        return None
    try:
        return model.model_validate(located.data)
    except ValidationError as err:
        problems.extend(_explain(err, located, model))
        return None


def _explain(err: ValidationError, located: Located, model: type[_Model]) -> list[Problem]:
    found = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        kind = e["type"]
        if kind == "extra_forbidden":
            found.append(located.problem(loc, _unknown_key(loc, model), key=True))
        elif kind == "missing":
            found.append(located.problem(loc[:-1], f"missing required key '{loc[-1]}'"))
        else:
            message = e["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in loc)
            found.append(located.problem(loc, f"{where}: {message}" if where else message))
    return found


def _unknown_key(loc: tuple, model: type[_Model]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(model, loc[:-1])
    hint = difflib.get_close_matches(key, allowed, n=1)
    tail = f"; did you mean '{hint[0]}'?" if hint else (
        f"; allowed here: {', '.join(sorted(allowed))}" if allowed else "")
    return f"unknown key '{key}'{tail}"


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    """Walk the model along `path` to list the keys valid where an unknown one was found."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _sources(settings: MonitorFile, base: Path, located: Located,
             problems: list[Problem]) -> tuple[Source, ...]:
    result, names = [], set()
    for i, s in enumerate(settings.sources):
        if s.name in names:
            problems.append(located.problem(("sources", i, "name"),
                                            f"two sources are named '{s.name}'"))
        names.add(s.name)
        written = getattr(s, s.kind)
        location = _feed_location(written, base)
        if location is None:
            problems.append(located.problem(("sources", i, s.kind),
                                            f"{s.kind} file not found: {written}"))
            continue
        if s.links is not None:
            try:
                check_selector(s.links)
            except SelectorError as err:
                problems.append(located.problem(("sources", i, "links"),
                                                f"bad CSS selector: {err}"))
        poll = settings.poll
        if s.enabled:
            result.append(Source(
                s.name, location, s.interval or poll.interval, kind=s.kind, links=s.links,
                fetch_article=s.fetch_article, min_interval=s.min_interval or poll.min_interval,
                max_interval=s.max_interval or poll.max_interval, fixed=s.interval is not None,
                allow_private=s.allow_private))
    return tuple(result)


def _feed_location(feed: str, base: Path) -> str | None:
    if re.match(r"^https?://", feed, re.I):
        return feed
    path = Path(feed.removeprefix("file://")).expanduser()
    path = path if path.is_absolute() else base / path
    return str(path) if path.is_file() else None


def _watchlist_files(settings: MonitorFile, base: Path, located: Located,
                     problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    for i, pattern in enumerate(settings.watchlists):
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        found = sorted(Path(p) for p in glob.glob(full)) if glob.has_magic(full) else (
            [Path(full)] if Path(full).is_file() else [])
        if not found:
            problems.append(located.problem(("watchlists", i),
                                            f"no watchlist file matches '{pattern}'"))
        files.extend(f for f in found if f not in files)
    return files


def _display(file: Path, config_path: Path) -> str:
    """Show watchlist paths the way the user reaches them from the config."""
    try:
        return str(config_path.parent / file.resolve().relative_to(config_path.resolve().parent))
    except ValueError:
        return str(file)


@dataclass
class _Loading:
    """What loading the watchlists needs to know and where it reports."""

    config_path: Path
    channels: tuple[Channel, ...]
    load_catalog: Callable[[], Catalog | None]
    env: dict[str, str] | None
    problems: list[Problem]
    notes: list[Problem]
    seen: dict[str, str]  # watchlist name -> file that defined it
    _catalog: Catalog | None | bool = False  # False: not loaded yet

    @property
    def catalog(self) -> Catalog | None:
        """Loaded on first use: watchlists of keywords and queries alone start without
        the gazetteer's ~0.3 s and 16 MB."""
        if self._catalog is False:
            self._catalog = self.load_catalog()
        return self._catalog  # type: ignore[return-value]


def _load_watchlist(file: Path, ctx: _Loading) -> list[RuleSpec]:
    """Validate one watchlist. The shape checks (pydantic) and the meaning checks (names,
    notify targets, queries) both run on the raw data, so one file reports all its problems
    at once rather than one per `check`."""
    located = load_yaml(file, _display(file, ctx.config_path), ctx.env)
    before = len(ctx.problems)
    wl = _validate(located, WatchlistFile, ctx.problems)
    if isinstance(located.data, dict):
        _check_meaning(located, ctx)
    if wl is None or len(ctx.problems) > before:
        return []
    default = wl.notify if wl.notify is not None else tuple(c.name for c in ctx.channels)
    aliases = {name: _terms_of(entries, "keywords", ("aliases", name), located, ctx, False)
               for name, entries in wl.aliases.items()}
    specs = []
    for i, rule in enumerate(wl.rules):
        def expand(kind: str, entries: tuple, i: int = i, rule: RuleConfig = rule) -> tuple:
            return _terms_of(entries, kind, ("rules", i, kind), located, ctx, rule.within)
        specs.append(RuleSpec(
            watchlist=wl.name, name=rule.name, places=expand("places", rule.places),
            groups=expand("groups", rule.groups), keywords=expand("keywords", rule.keywords),
            exclude=expand("exclude", rule.exclude), query=rule.query, aliases=aliases,
            priority=rule.priority, min_score=rule.min_score,
            mute_until=_utc(rule.mute_until),
            channels=tuple(rule.notify if rule.notify is not None else default)))
    return specs


def _terms_of(entries: tuple, kind: str, path: tuple, located: Located, ctx: _Loading,
              within: bool) -> tuple[Term, ...]:
    """The Terms a category stands for: keywords as written; places and groups expanded from
    the catalogs, or taken as written (with a note) when the catalog does not know them."""
    found: list[Term] = []
    for j, entry in enumerate(entries):
        text, weight, exact = ((entry, 1.0, False) if isinstance(entry, str)
                               else (entry.term, entry.weight, entry.exact_case))
        if kind in ("places", "groups") and ctx.catalog is not None:
            try:
                expanded = (ctx.catalog.place_terms(text, within=within) if kind == "places"
                            else ctx.catalog.group_terms(text))
            except LookupError as err:
                ctx.notes.append(located.problem(
                    (*path, j), f"note: {_lookup_message(err)}; matching '{text}' as written"))
            else:
                found.extend(replace(t, weight=weight) for t in expanded)
                continue
        found.append(Term(text, weight=weight, exact_case=exact))
    return tuple(found)


def _utc(value: datetime | date | None) -> datetime | None:
    """A date means its midnight, UTC; a naive time is UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _lookup_message(err: LookupError) -> str:
    return str(err.args[0]) if err.args else str(err)


def _check_meaning(located: Located, ctx: _Loading) -> None:
    data, known = located.data, {c.name for c in ctx.channels}
    name = data.get("name")
    if isinstance(name, str):
        if name in ctx.seen:
            ctx.problems.append(located.problem(
                ("name",), f"watchlist name '{name}' is also used by {ctx.seen[name]}"))
        ctx.seen[name] = located.file
    _check_notify(data.get("notify"), ("notify",), known, located, ctx.problems)
    aliases = data.get("aliases")
    declared = list(aliases) if isinstance(aliases, dict) else []
    rules = data.get("rules")
    names: set[str] = set()
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        rule_name = rule.get("name")
        if isinstance(rule_name, str):
            if rule_name in names:
                ctx.problems.append(located.problem(
                    ("rules", i, "name"),
                    f"two rules in this watchlist are named '{rule_name}'"))
            names.add(rule_name)
        _check_notify(rule.get("notify"), ("rules", i, "notify"), known, located, ctx.problems)
        if isinstance(rule.get("query"), str):
            _check_query(rule["query"], declared, ("rules", i, "query"), located, ctx.problems)


def _check_notify(notify: Any, path: tuple, known: set[str], located: Located,
                  problems: list[Problem]) -> None:
    if isinstance(notify, str):
        notify = [notify]  # located at the key itself: ("notify", 0) falls back to it
    for j, name in enumerate(notify if isinstance(notify, list) else []):
        if isinstance(name, str) and name not in known:
            problems.append(located.problem(
                (*path, j), f"notify names no channel '{name}' (channels: "
                            f"{', '.join(sorted(known))})"))


def _check_query(query: str, aliases: list[str], path: tuple, located: Located,
                 problems: list[Problem]) -> None:
    try:
        parse_query(query, aliases=aliases)
    except QueryError as err:
        line, col = located.where(path)
        offset = _query_column(located, path, err.position)
        problems.append(Problem(located.file, line, col + offset, f"bad query: {err}"))


def _query_column(located: Located, path: tuple, position: int) -> int:
    """Column offset of a query character, allowing for the quote that opens the scalar."""
    line, col = located.where(path)
    lines = located.text.splitlines()
    opener = lines[line - 1][col - 1:col] if line <= len(lines) else ""
    return position + (1 if opener in ("'", '"') else 0)


def _state_url(state: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config's folder, not the working dir."""
    prefix = "sqlite:///"
    if state.startswith(prefix) and not state.startswith(prefix + "/"):
        rest = state[len(prefix):]
        if rest and rest != ":memory:":
            return prefix + str((base / rest).resolve())
    return state

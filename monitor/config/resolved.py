"""What loading produces: a configuration resolved against its folder and catalogs, checked,
and ready to run (or every problem that stops it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from monitor.config.settings import MonitorFile
from monitor.match import Matcher
from monitor.match.spec import RuleSpec
from monitor.records import Priority
from monitor.yamlpos import Problem


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
    allow_private: bool = False  # links found here may reach private addresses
    alert_window: float = 86400.0  # first poll: only entries this recent alert (freshness)
    max_age: float = 3 * 86400.0  # older entries never alert
    silence_factor: float | None = 4.0  # silent after this many usual gaps; None/0: never

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
    max_updates: int = 3  # follow-ups per story when it escalates
    update_interval: float = 1800.0  # seconds at least between a story's messages
    update_outlets: int = 3  # new independent outlets that make an update

    @property
    def digest_cron(self) -> str | None:
        """When this channel's digests go out: its own cron, or hourly when a rate limit
        needs somewhere to send the rest."""
        return self.digest or ("0 * * * *" if self.max_per_hour else None)


DEFAULT_CHANNEL = Channel("console", "console://")


@dataclass(frozen=True)
class Config:
    """A checked configuration, ready to run.

    `matcher` is `rules` compiled, once: loading compiles them to prove they compile, and
    whoever runs the rules can take this one instead of compiling them again."""

    path: Path
    settings: MonitorFile
    state_url: str
    sources: tuple[Source, ...]
    channels: tuple[Channel, ...]
    rules: tuple[RuleSpec, ...]
    watchlist_files: tuple[Path, ...]
    matcher: Matcher = field(compare=False, repr=False)
    notes: tuple[Problem, ...] = ()  # worth knowing, not wrong: shown by `check`
    places: Mapping[str, str] = field(default_factory=dict)  # concept -> place taken as
    health_channels: tuple[str, ...] = ()  # where source-health notices go (health_alerts)

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

"""load_config(): monitor.yaml, its sources, channels, catalogs and watchlists, checked.

It either returns a Config ready to run or raises ConfigError holding every problem found
(not just the first), each located in its file, so `news-monitor check` can show an analyst
all of them at once. Checks that belong to higher layers come in as `checks` (hooks.py).
"""

from __future__ import annotations

import functools
import glob
import re
from pathlib import Path
from urllib.parse import urlsplit

from monitor.catalog import Catalog, CatalogError
from monitor.catalog.events import EventCatalog
from monitor.catalog.extracts import ExtractKey, extract_keys
from monitor.config.hooks import Checks, problem_from
from monitor.config.problems import already_located, validate
from monitor.config.resolved import DEFAULT_CHANNEL, Channel, Config, ConfigError, Source
from monitor.config.settings import ChannelConfig, MonitorFile, SourceConfig
from monitor.config.watchlists import Loading, compile_rules, load_watchlist
from monitor.match.spec import RuleSpec
from monitor.yamlpos import Located, Problem, load_yaml

_NO_CHECKS = Checks()


def load_config(path: str | Path, env: dict[str, str] | None = None, *,
                checks: Checks = _NO_CHECKS) -> Config:
    """Load monitor.yaml and its watchlists; raise ConfigError listing every problem.

    `env` replaces os.environ for ${VAR}s. `checks` are the higher layers' checks of
    channels, templates and selectors (monitor.checks.load_checked passes the real ones);
    without them those are skipped and everything else is still checked, rules compiled.
    """
    path = Path(path)
    base = path.resolve().parent
    problems: list[Problem] = []
    main = load_yaml(path, str(path), env)
    settings = validate(main, MonitorFile, problems)
    if settings is None:
        raise ConfigError(problems or main.problems)
    channels = tuple(_channel(n, c, base, main, checks, problems)
                     for n, c in settings.channels.items()) or (DEFAULT_CHANNEL,)
    sources = _sources(settings, base, main, checks, problems)
    health = _health_channels(settings, channels, main, problems)
    files = _watchlist_files(settings, base, main, problems)
    ctx = Loading(path, channels, functools.partial(_catalog, settings, base, problems), env,
                  problems, load_events=functools.partial(_events, settings, base, problems))
    if (base / settings.events).is_file():
        ctx.events  # noqa: B018 - the user's own event catalog is checked even if unused
    if ((base / settings.places).is_file() or (base / settings.groups).is_file()
            or extract_keys(base / settings.gazetteer)):
        ctx.catalog  # noqa: B018 - the user's own catalog files are checked even if unused
    rules: list[RuleSpec] = []
    for file in files:
        rules.extend(load_watchlist(file, ctx))
    matcher = compile_rules(rules, ctx) if not problems else None
    if problems or matcher is None:
        raise ConfigError(problems)
    # `sources` holds the resolved sources: the validated models would double what 10,000
    # sources cost for as long as the daemon runs.
    settings = settings.model_copy(update={"sources": []})
    return Config(path=path, settings=settings, state_url=_state_url(settings.state, base),
                  sources=sources, channels=channels, rules=tuple(rules),
                  watchlist_files=tuple(files), matcher=matcher, notes=tuple(ctx.notes),
                  places=dict(ctx.places), health_channels=health)


def _health_channels(settings: MonitorFile, channels: tuple[Channel, ...], located: Located,
                     problems: list[Problem]) -> tuple[str, ...]:
    """Where source-health notices go: the channels `health_alerts` lists, each of which
    must exist (a typo would silence them), else the `admin` channel if there is one."""
    names = [c.name for c in channels]
    if settings.health_alerts is None:
        return ("admin",) if "admin" in names else ()
    for i, name in enumerate(settings.health_alerts):
        if name not in names:
            problems.append(located.problem(("health_alerts", i), (
                f"health_alerts names no channel '{name}' (channels: {', '.join(names)})")))
    return tuple(dict.fromkeys(n for n in settings.health_alerts if n in names))


def _catalog(settings: MonitorFile, base: Path, problems: list[Problem]) -> Catalog | None:
    """The gazetteer and groups catalog, with the user's files next to the config if any,
    and the GeoNames extracts imported into the `gazetteer:` folder."""
    places, groups = base / settings.places, base / settings.groups
    key = tuple((p, p.stat().st_mtime_ns if p.is_file() else None) for p in (places, groups))
    extracts = base / settings.gazetteer
    try:
        return _load_catalog(key, extracts, extract_keys(extracts))
    except CatalogError as err:
        problems.append(already_located(str(err), str(places)))
        return None


@functools.lru_cache(maxsize=8)
def _load_catalog(key: tuple[tuple[Path, int | None], ...], extracts: Path,
                  extract_files: tuple[ExtractKey, ...]) -> Catalog:
    """Cached by file and modification time (and, for the extracts, size and inode, which
    every import changes): reloads (and tests) reuse the loaded data, and see a new import."""
    (places, places_mtime), (groups, groups_mtime) = key
    return Catalog.load(places_file=places if places_mtime is not None else None,
                        groups_file=groups if groups_mtime is not None else None,
                        extracts=extracts if extract_files else None)


def _events(settings: MonitorFile, base: Path, problems: list[Problem]) -> EventCatalog | None:
    """The event catalog, with the user's events.yaml next to the config if there is one."""
    user = base / settings.events
    try:
        return _load_events(user, user.stat().st_mtime_ns if user.is_file() else None)
    except CatalogError as err:
        problems.extend(err.problems or [already_located(str(err), str(user))])
        return None


@functools.lru_cache(maxsize=8)
def _load_events(user: Path, mtime: int | None) -> EventCatalog:
    """Cached by file and modification time, as the catalog is."""
    return EventCatalog.load(user if mtime is not None else None)


def _channel(name: str, c: ChannelConfig, base: Path, located: Located, checks: Checks,
             problems: list[Problem]) -> Channel:
    """The channel, with its template rendered and the channel built as the daemon will
    (checks). A broken template is reported at `template`, and the URL is then still tried
    without it, so one `check` reports both."""
    template = None
    usable = None
    if c.template is not None:
        template = Path(c.template) if Path(c.template).is_absolute() else base / c.template
        if not template.is_file():
            problems.append(located.problem(("channels", name, "template"),
                                            f"template file not found: {c.template}"))
        else:
            found = problem_from(checks.template, (template, c.url), located,
                                 ("channels", name, "template"), "bad template: ")
            problems.extend([found] if found else [])
            usable = None if found else template
    found = problem_from(checks.channel, (name, c.url, usable), located,
                         ("channels", name, "url"), "")
    problems.extend([found] if found else [])
    return Channel(name, c.url, group_wait=c.group_wait, digest=c.digest, timezone=c.timezone,
                   max_per_hour=c.max_per_hour,
                   quiet_hours=c.quiet_hours.minutes() if c.quiet_hours else None,
                   min_priority=c.min_priority, template=template,
                   max_updates=c.max_updates, update_interval=c.update_interval,
                   update_outlets=c.update_outlets)


def _sources(settings: MonitorFile, base: Path, located: Located, checks: Checks,
             problems: list[Problem]) -> tuple[Source, ...]:
    result, names = [], set()
    for i, s in enumerate(settings.sources):
        if s.name in names:
            problems.append(located.problem(("sources", i, "name"),
                                            f"two sources are named '{s.name}'"))
        names.add(s.name)
        location = _location(s, i, base, located, problems)
        if location is None:
            continue
        if s.links is not None:
            found = problem_from(checks.selector, (s.links,), located, ("sources", i, "links"),
                                 "bad CSS selector: ")
            problems.extend([found] if found else [])
        poll = settings.poll
        if s.enabled:
            result.append(Source(
                s.name, location, s.interval or poll.interval, kind=s.kind, links=s.links,
                fetch_article=s.fetch_article, min_interval=s.min_interval or poll.min_interval,
                max_interval=s.max_interval or poll.max_interval, fixed=s.interval is not None,
                allow_private=s.allow_private,
                alert_window=s.alert_window or poll.alert_window,
                max_age=s.max_age or poll.max_age,
                silence_factor=(s.silence_factor if s.silence_factor is not None
                                else poll.silence_factor) or None))
    return tuple(result)


def _location(s: SourceConfig, i: int, base: Path, located: Located,
              problems: list[Problem]) -> str | None:
    """Where the source is read: an http(s) URL with a host, or an existing file."""
    written = getattr(s, s.kind)
    if re.match(r"^https?://", written, re.I):
        try:
            host = urlsplit(written).hostname
        except ValueError:
            host = None
        if host:
            return written
        problems.append(located.problem(("sources", i, s.kind),
                                        f"{s.kind} URL has no host name: {written}"))
        return None
    path = Path(written.removeprefix("file://")).expanduser()
    path = path if path.is_absolute() else base / path
    if path.is_file():
        return str(path)
    problems.append(located.problem(("sources", i, s.kind), f"{s.kind} file not found: {written}"))
    return None


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


def _state_url(state: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config's folder, not the working dir."""
    prefix = "sqlite:///"
    if state.startswith(prefix) and not state.startswith(prefix + "/"):
        rest = state[len(prefix):]
        if rest and rest != ":memory:":
            return prefix + str((base / rest).resolve())
    return state

"""Watchlist files → RuleSpecs, with every term, query and notify target checked where it is
written, and the rules compiled the way the daemon compiles them.

Terms are checked by the matcher's own rules (match.check_term, match.parse_query), at the
term's file:line:col. Then the rules are compiled into the Matcher the daemon will run: what
only compiling can tell (a query of NOTs alone, an empty alias, a catalog name that cannot be
matched) is a located problem too, so nothing `check` accepts can fail later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from monitor.catalog import Catalog
from monitor.catalog.events import EventCatalog
from monitor.config.minimums import minimums
from monitor.config.problems import inside_scalar, validate
from monitor.config.resolved import Channel
from monitor.config.settings import RuleConfig, SurgeConfig, WatchlistFile
from monitor.match import Matcher, QueryError, TermError, check_term, parse_query
from monitor.match.spec import RuleSpec, Term
from monitor.records import Corroboration, SurgeWatch
from monitor.yamlpos import Located, Path_, Problem, load_yaml


@dataclass
class Loading:
    """What loading the watchlists needs to know and where it reports."""

    config_path: Path
    channels: tuple[Channel, ...]
    load_catalog: Callable[[], Catalog | None]
    env: dict[str, str] | None
    problems: list[Problem]
    notes: list[Problem] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)  # concept -> the place it was taken as
    seen: dict[str, str] = field(default_factory=dict)  # watchlist name -> file that defined it
    origin: dict[str, Path] = field(default_factory=dict)  # watchlist name -> its file
    _catalog: Catalog | None | bool = False  # False: not loaded yet
    # the event catalog (shipped + the user's events.yaml); None when it did not load
    load_events: Callable[[], EventCatalog | None] = EventCatalog.load
    _events: EventCatalog | None | bool = False

    @property
    def catalog(self) -> Catalog | None:
        """Loaded on first use: watchlists of keywords and queries alone start without
        the gazetteer's ~0.3 s and 16 MB."""
        if self._catalog is False:
            self._catalog = self.load_catalog()
        return self._catalog  # type: ignore[return-value]

    @property
    def events(self) -> EventCatalog | None:
        """Loaded on first use, like the catalog (a few milliseconds)."""
        if self._events is False:
            self._events = self.load_events()
        return self._events  # type: ignore[return-value]


def display(file: Path, config_path: Path) -> str:
    """Show watchlist paths the way the user reaches them from the config."""
    try:
        return str(config_path.parent / file.resolve().relative_to(config_path.resolve().parent))
    except ValueError:
        return str(file)


def load_watchlist(file: Path, ctx: Loading) -> list[RuleSpec]:
    """Validate one watchlist. The shape checks (pydantic) and the meaning checks (names,
    notify targets, queries) both run on the raw data, and terms are checked whenever the
    shape is right, so one file reports all its problems at once rather than one per
    `check`. The rules returned are only used when no problem was found anywhere."""
    located = load_yaml(file, display(file, ctx.config_path), ctx.env)
    wl = validate(located, WatchlistFile, ctx.problems)
    if isinstance(located.data, dict):
        _check_meaning(located, ctx)
    if wl is None:
        return []
    ctx.origin[wl.name] = file
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
            events=_events_of(rule.events, ("rules", i, "events"), located, ctx),
            exclude=expand("exclude", rule.exclude), query=rule.query, aliases=aliases,
            priority=rule.priority, min_score=rule.min_score,
            mute_until=_utc(rule.mute_until), corroboration=_corroboration(rule),
            surges=_surges(rule.surge, "rule") + _surges(wl.surge, "watchlist"),
            channels=tuple(rule.notify if rule.notify is not None else default),
            minimums=minimums(rule, wl)))
    return specs


def _surges(surge: SurgeConfig | None, where: str) -> tuple[SurgeWatch, ...]:
    if surge is None:
        return ()
    return (SurgeWatch(surge.by or where, surge.window, surge.min_stories),)  # type: ignore[arg-type]


def _corroboration(rule: RuleConfig) -> Corroboration | None:
    if rule.min_sources <= 1 and rule.single_source_priority is None:
        return None
    return Corroboration(rule.min_sources, rule.wait, rule.single_source_priority)


def _terms_of(entries: tuple, kind: str, path: tuple, located: Located, ctx: Loading,
              within: bool) -> tuple[Term, ...]:
    """The Terms a category stands for: keywords as written; places and groups expanded from
    the catalogs, or taken as written (with a note) when the catalog does not know them.
    Every term taken as written is checked as a term, at its place in the file."""
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
                if kind == "places":
                    _place_taken(ctx, text, expanded, located, (*path, j))
                continue
        _check_written(text, (*path, j) if isinstance(entry, str) else (*path, j, "term"),
                       located, ctx.problems)
        found.append(Term(text, weight=weight, exact_case=exact))
    return tuple(found)


def _events_of(names: tuple[str, ...], path: tuple, located: Located, ctx: Loading
               ) -> tuple[Term, ...]:
    """The phrases of the event types a rule names. An unknown name is an error, not a
    note: taken as written, "airstrikes" would match and "air strike" would not, and a
    misspelt type ("shellings") would quietly match nothing the catalog knows."""
    if not names or ctx.events is None:
        return ()
    found: list[Term] = []
    for j, name in enumerate(names):
        try:
            found.extend(ctx.events.terms(name))
        except LookupError as err:  # (*path, j) is the key's own place for `events: name`
            ctx.problems.append(located.problem((*path, j), f"events: {_lookup_message(err)}"))
    return tuple(found)


def _place_taken(ctx: Loading, text: str, expanded: tuple[Term, ...], located: Located,
                 path: Path_) -> None:
    """Remember which place a name was taken as (for `test`), and note the other readings
    of an ambiguous name (for `check`)."""
    catalog = ctx.catalog
    assert catalog is not None
    if expanded and expanded[0].concept:
        ctx.places.setdefault(expanded[0].concept, str(catalog.place(text)))
    note = catalog.reading_note(text)
    if note is not None:
        ctx.notes.append(located.problem(path, f"note: {note}"))


def _check_written(text: str, path: Path_, located: Located, problems: list[Problem]) -> None:
    try:
        check_term(text)
    except TermError as err:
        where = ".".join(str(p) for p in path)
        problems.append(inside_scalar(located, path, err.position, f"{where}: {err.message}"))


def _utc(value: datetime | date | None) -> datetime | None:
    """A date means its midnight, UTC; a naive time is UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _lookup_message(err: LookupError) -> str:
    return str(err.args[0]) if err.args else str(err)


def _check_meaning(located: Located, ctx: Loading) -> None:
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
        problems.append(inside_scalar(located, path, err.position, f"bad query: {err}"))


def compile_rules(rules: list[RuleSpec], ctx: Loading) -> Matcher | None:
    """The rules compiled as the daemon compiles them, or None with the problems added.

    Compiling stops at the first rule at fault; only then is each rule compiled alone, so
    that every rule at fault is reported at once (rare, so a valid config pays nothing)."""
    try:
        return Matcher.compile(rules)
    except QueryError as err:
        before = len(ctx.problems)
        for rule in rules:
            _compile_alone(rule, ctx)
        if len(ctx.problems) == before:  # only together: say what the compiler said
            ctx.problems.append(_compile_problem(err, ctx))
    except Exception as err:  # a fault in compiling: refuse the config, do not stop
        ctx.problems.append(Problem(str(ctx.config_path), 1, 1, "unexpected problem compiling "
                                    f"the watch rules: {type(err).__name__}: {err}"))
    return None


def _compile_alone(rule: RuleSpec, ctx: Loading) -> None:
    try:
        Matcher.compile([rule])
    except QueryError as err:
        ctx.problems.append(_compile_problem(err, ctx))


def _compile_problem(err: QueryError, ctx: Loading) -> Problem:
    """Where in its watchlist file the rule (and part) a compile error names is written."""
    file = ctx.origin.get(err.watchlist or "")
    if file is None:
        return Problem(str(ctx.config_path), 1, 1, f"cannot compile the rules: {err}")
    located = load_yaml(file, display(file, ctx.config_path), ctx.env)
    rules = located.data.get("rules") if isinstance(located.data, dict) else None
    index = next((i for i, rule in enumerate(rules if isinstance(rules, list) else [])
                  if isinstance(rule, dict) and rule.get("name") == err.rule), None)
    if index is None:
        return located.problem((), f"rule '{err.rule}': {err.message}")
    part = err.part or "rule"
    if part == "query":
        return inside_scalar(located, ("rules", index, "query"), err.position,
                             f"bad query: {err.message} at {err.position}")
    path = _part_path(part, index)
    return located.problem(path, f"{'.'.join(str(p) for p in path)}: {err.message}")


def _part_path(part: str, rule: int) -> Path_:
    """QueryError.part ("keywords[2]", "aliases.aid[0]", "rule") as a path in the file.
    Places and groups point at their key: one name there may stand for many terms."""
    kind, _, index = part.partition("[")
    number = int(index.rstrip("]")) if index.rstrip("]").isdigit() else None
    if kind.startswith("aliases."):
        return ("aliases", kind.removeprefix("aliases."), *([number] if number is not None
                                                            else []))
    if kind in ("keywords", "exclude") and number is not None:
        return ("rules", rule, kind, number)
    if kind in ("places", "groups"):
        return ("rules", rule, kind)
    return ("rules", rule)

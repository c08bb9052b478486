"""What the commands print: a rule's explanation for `test`, what `once` found (the `status`
tables are in cli_status.py). Every value that came from a server is printed as text:
control characters escaped, never read as Rich markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import click

from monitor import logs

if TYPE_CHECKING:
    from monitor.facts import Casualties
    from monitor.freshness import HeldBack
    from monitor.match.spec import RuleSpec
    from monitor.pipeline import Found
    from monitor.records import Alert, Document, Match


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def print_explained(
    alert: Alert, match: Match, document: Document, places: Mapping[str, str] | None = None
) -> None:
    """A rule that fired: what it is, every term that hit (for a place, which place it was
    taken as; for an event phrase, which event type it signals), where and as which words,
    and the snippet with the matched words in [brackets]."""
    rendered = plain_block(alert).splitlines()
    click.echo(logs.printable(f"{rendered[0]}  score {match.score:g}"))
    from monitor.geo import point_label

    seen: dict[tuple[str, str | None, str | None], tuple[dict[str, int], dict[str, None]]] = {}
    points = {(h.term, h.concept): h.point for h in match.hits if h.point is not None}
    for h in match.hits:
        fields, surfaces = seen.setdefault((h.term, h.concept, h.kind), ({}, {}))
        fields[h.field] = fields.get(h.field, 0) + 1
        surfaces[getattr(document, h.field)[h.start : h.end]] = None
    for (term, concept, kind), (fields, surfaces) in seen.items():
        label = f"{term} ({concept})" if concept and concept != term else term
        if kind == "event":
            label = f"{term} (event: {concept})"
        elif places and concept in places:
            label = f"{term} → {places[concept]}"
        point = points.get((term, concept))
        if point is not None:
            label += f" [{point_label(point)}]"
        where = ", ".join(f"{field} ×{n}" for field, n in sorted(fields.items(), reverse=True))
        words = ", ".join(f"“{w}”" for w in list(surfaces)[:5])
        click.echo(logs.printable(f"  hit: {label} — {where}: {words}"))
    for line in rendered[1:]:
        click.echo(logs.printable(line))
    click.echo()


def plain_block(alert: Alert) -> str:
    """The console's message for one alert, as the shipped plain.txt.j2 lays it out (the
    same escaped fields, alerts.views), without Jinja2: `test` prints one per rule that
    fires, and importing the template engine and compiling the template was a tenth of its
    start. tests/test_report_plain.py holds it to the template's output."""
    from monitor.alerts.views import alert_view

    a = alert_view("text", alert)
    lines = [a.update] if a.update else []
    lines += [f"[{a.priority}] {a.rule} ({a.watchlist})", f"  {a.title}"]
    lines += [f"  {value}" for value in (a.casualties, a.url_text) if value]
    lines.append(f"  {a.sources_label.lower()}: {a.sources} ({a.corroboration}) · {a.time}")
    lines += [f"  events: {a.events}"] if a.events else []
    lines += [f"  {a.snippet}"] if a.snippet else []
    if len(a.rules) > 1:
        lines.append("  rules:")
        lines += [
            f"    [{r.priority}] {r.rule} ({r.watchlist})" + (f": {r.terms}" if r.terms else "")
            for r in a.rules
        ]
        lines += [f"    … and {a.more_rules} more"] if a.more_rules else []
    return "\n".join(lines).strip("\n")


def print_found(found: Found, as_json: bool, dry_run: bool) -> None:
    from monitor.geo import point_fields

    for match in found.matches:
        if as_json:
            click.echo(
                logs.printable_json(
                    {
                        "watchlist": match.watchlist,
                        "rule": match.rule,
                        "priority": match.priority,
                        "score": match.score,
                        "title": found.entry.title,
                        "url": found.entry.url,
                        "source": found.entry.source,
                        "channels": list(match.channels),
                        "published": iso(found.entry.published),
                        "hits": [
                            {
                                "term": h.term,
                                "field": h.field,
                                "start": h.start,
                                "end": h.end,
                                **point_fields(h.point),
                            }
                            for h in match.hits
                        ],
                    }
                )
            )
        elif dry_run:
            terms = ", ".join(dict.fromkeys(h.term for h in match.hits))
            link = found.entry.url or "no link"
            line = (
                f"would alert [{match.rule}] {found.entry.title}  ({link})"
                f"  → {', '.join(match.channels)}; matched: {terms}"
            )
            click.echo(logs.printable(line))


def print_held(held: Mapping[str, HeldBack], as_json: bool) -> None:
    """A line per source whose new entries were recorded without alerting, and why: a
    first poll that alerted three of a hundred items should say so, not look broken."""
    for name, counts in sorted(held.items()):
        if as_json:
            click.echo(logs.printable_json({"source": name, "held_back": counts.as_dict()}))
        else:
            click.echo(logs.printable(f"{name}: {counts.describe()}"))


def short_of(short: Sequence[Match], rules: Sequence[RuleSpec]) -> list[dict[str, str]]:
    """The rules whose words matched but whose casualty minimums the article's figures do
    not meet, each with what it asks ("60 killed")."""
    asked = {(r.watchlist, r.name): r.minimums.describe() for r in rules}
    return [
        {"watchlist": m.watchlist, "rule": m.rule, "asks": asked.get((m.watchlist, m.rule), "")}
        for m in short
    ]


def print_figures(figures: Casualties, short: Sequence[Match], rules: Sequence[RuleSpec]) -> None:
    """What `test` shows of the article's casualty figures: each with the words it was read
    from, and the rules they kept from firing."""
    for figure in figures.figures():
        click.echo(logs.printable(f"casualties: {figure} — “{figure.text}”"))
    if not figures.figures():
        click.echo("casualties: none reported for the article's own event")
    for item in short_of(short, rules):
        click.echo(
            logs.printable(
                f"not fired: [{item['watchlist']} / {item['rule']}] its words "
                f"matched, but it asks for at least {item['asks']}"
            )
        )

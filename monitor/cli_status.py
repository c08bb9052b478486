"""`news-monitor status`: every source's state and health, the outbox, the source-health
notices and the replicas at work (its own module, so monitor/cli.py stays readable)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor import logs
from monitor.cli_options import config_option

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.records import SourceState
    from monitor.store import HealthRow



@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status(config_path: Path, as_json: bool) -> None:
    """Show every source's health, the outbox's state (held: waiting for corroboration),
    the health notices, the replicas at work and the surges on now."""
    from monitor.cli import _load, _store
    from monitor.service import utcnow

    config = _load(config_path)
    with _store(config) as store:
        states = store.source_states()
        counts = store.alert_counts()
        notices = store.health_notices()
        replicas = [{"replica": r.owner, "polling": r.sources, "channels": list(r.channels)}
                    for r in store.replicas(utcnow())]
        surging = [{"topic": r.topic, "since": r.started_at.isoformat(), "line": r.line,
                    "peak": r.peak} for r in store.surge_rows(limit=200) if r.ended_at is None]
    rows = source_rows(states, config)
    shown = [notice_row(n) for n in notices]
    if as_json:
        click.echo(json.dumps({"sources": rows, "alerts": counts, "health_notices": shown,
                               "replicas": replicas, "surges": surging}, indent=2))
        return
    print_status(rows, counts, replicas, shown)
    for surge in surging:
        click.echo(logs.printable(f"surging since {surge['since']}: {surge['line']}"))


def health_of(state: SourceState, failing_after: int) -> tuple[str, str | None]:
    """A source's health and since when: failing once its errors in a row reach
    failing_after (whether or not the notice went out yet), silent while announced so."""
    from monitor.report import iso

    if state.error_count >= failing_after or (state.health == "failing" and state.error_count):
        return "failing", iso(state.failing_since or state.last_error_at)
    if state.health == "silent":
        return "silent", iso(state.last_new_at)
    return "ok", None


def source_rows(states: list[SourceState], config: Config) -> list[dict[str, Any]]:
    from monitor.report import iso

    active = {s.name for s in config.sources}
    failing_after = config.settings.poll.failing_after
    rows = []
    for s in states:
        health, since = health_of(s, failing_after)
        rows.append({
            "source": s.name, "kind": s.kind, "active": s.name in active,
            "failing": health == "failing", "health": health, "health_since": since,
            "announced": s.health, "announced_at": iso(s.health_at),
            "last_check": iso(s.last_check_at), "last_success": iso(s.last_success_at),
            "last_new": iso(s.last_new_at),
            "next_check": iso(s.next_check_at), "interval": s.interval,
            "entries_seen": s.entries_seen, "errors": s.error_count,
            "last_error": s.last_error, "last_error_at": iso(s.last_error_at),
        })
    return rows


def notice_row(n: HealthRow) -> dict[str, Any]:
    from monitor.report import iso

    return {"source": n.source, "channel": n.channel, "event": n.event, "text": n.text,
            "state": n.state, "attempts": n.attempts, "created_at": iso(n.created_at),
            "sent_at": iso(n.sent_at), "last_error": n.last_error}


def print_status(rows: list[dict[str, Any]], counts: dict[str, int],
                 replicas: list[dict[str, Any]], notices: list[dict[str, Any]]) -> None:
    """The status tables. Every value is shown as text (rich Text, never markup) with control
    characters escaped: a source's last error can quote a server's reason phrase, and
    "[/bold]" or "[link=…]" from a server must print as it is."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from monitor.config import format_duration

    def text(value: object) -> Text:
        return Text(logs.printable(str(value)))

    table = Table(title="sources")
    for column in ("source", "kind", "health", "last check", "last success", "next check",
                   "every", "seen", "errors", "last error"):
        table.add_column(column)
    for r in rows:
        name = r["source"] if r["active"] else f"{r['source']} (removed)"
        if r["health"] != "ok":
            name += f" ({r['health']})"
        health = f"{r['health']} since {r['health_since']}" if r["health_since"] else r["health"]
        every = format_duration(r["interval"]) if r["interval"] else ""
        table.add_row(*map(text, (
            name, r["kind"], health, r["last_check"] or "never", r["last_success"] or "never",
            r["next_check"] or "", every, r["entries_seen"], r["errors"],
            logs.printable(r["last_error"] or "")[:80])),
            style="red" if r["errors"] else "yellow" if r["health"] != "ok" else None)
    console = Console(width=None if sys.stdout.isatty() else 240)  # pipes: no wrapping
    console.print(table)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet"
    console.print(text(f"alerts: {summary}"))
    waiting = sum(n["state"] == "pending" for n in notices)
    if notices:
        console.print(text(f"health notices ({waiting} waiting to be sent):"))
    for n in notices[:20]:
        state = n["state"] if n["state"] == "sent" else (
            f"waiting, {n['attempts']} failed attempts: {n['last_error']}" if n["attempts"]
            else "waiting")
        console.print(text(f"  {n['created_at']} → {n['channel']} ({state}): {n['text']}"))
    for r in replicas:  # processes holding live leases: what each is doing now
        channels = ", ".join(r["channels"]) or "none"
        console.print(text(f"replica {r['replica']}: polling {r['polling']} sources, "
                           f"delivering to {channels}"))

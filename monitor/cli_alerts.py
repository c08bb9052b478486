"""`news-monitor alerts` and `news-monitor surges`: what the outbox and the surge detector
recorded, as a table or JSON lines."""

from __future__ import annotations

from pathlib import Path

import click

from monitor import logs
from monitor.cli_options import config_option


@click.command(name="alerts")
@config_option
@click.option("--since", default="1d", show_default=True, help="How far back, e.g. 6h, 7d.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def list_alerts(config_path: Path, since: str, as_json: bool) -> None:
    """List recent alerts and their delivery state (pending, held for corroboration,
    digest, sent, failed), each with how many outlets carry its story / how many of them
    are independent, and the casualty figures its article gives ("at least 32 killed")."""
    from monitor.cli import _duration_option, _load, _seconds, _store
    from monitor.outlets import independent as count_independent
    from monitor.report import iso
    from monitor.service import utcnow

    age = _duration_option(since, "--since")
    config = _load(config_path)
    with _store(config) as store:
        rows = store.alert_rows(since=utcnow() - _seconds(age))
        carried = store.story_carriers(r.story for r in rows)
    for r in rows:
        outlets = carried.get(r.story, ())
        independent = count_independent(c.outlet for c in outlets)
        if as_json:
            click.echo(logs.printable_json({
                "id": r.id, "watchlist": r.watchlist, "rule": r.rule, "rules": list(r.rules),
                "channel": r.channel,
                "state": r.state, "attempts": r.attempts, "created": iso(r.created_at),
                "sent": iso(r.sent_at), "error": r.last_error, "title": r.title,
                "url": r.url, "sources": [c.source for c in outlets],
                "outlets": len(outlets), "independent": independent,
                "single_source": r.single_source,
                "casualties": r.casualties.as_json()}))
        else:
            more = f" +{len(r.rules) - 1}" if len(r.rules) > 1 else ""
            figures = f"  {r.casualties}" if r.casualties.figures() else ""
            line = (f"{iso(r.created_at)}  {r.state:<7} {r.channel:<12} [{r.rule}{more}] "
                    f"{r.title[:70]}  ({len(outlets)}/{independent}){figures}"
                    + (f"  ({r.last_error})" if r.last_error else ""))
            click.echo(logs.printable(line))
    if not rows and not as_json:
        click.echo(f"no alerts in the last {since}")


@click.command(name="surges")
@config_option
@click.option("--since", default="7d", show_default=True, help="How far back, e.g. 1d, 14d.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def list_surges(config_path: Path, since: str, as_json: bool) -> None:
    """List the surges of watched topics (`surge:` on a watchlist or rule): when each
    started and ended, its count against the baseline."""
    from monitor.cli import _duration_option, _load, _seconds, _store
    from monitor.report import iso
    from monitor.service import utcnow

    age = _duration_option(since, "--since")
    config = _load(config_path)
    with _store(config) as store:
        rows = store.surge_rows(since=utcnow() - _seconds(age))
    for r in rows:
        if as_json:
            click.echo(logs.printable_json({
                "id": r.id, "topic": r.topic, "started": iso(r.started_at),
                "ended": iso(r.ended_at), "count": r.count, "expected": round(r.expected, 2),
                "peak": r.peak, "line": r.line}))
        else:
            ended = iso(r.ended_at) if r.ended_at else "on now"
            click.echo(logs.printable(f"{iso(r.started_at)}  {ended:<20}  {r.line}"
                                      f" (peak {r.peak})"))
    if not rows and not as_json:
        click.echo(f"no surges in the last {since}")

"""`news-monitor alerts` and `news-monitor surges`: what the outbox and the surge detector
recorded, as a table or JSON lines; alerts also as GeoJSON (geoexport.py) or CAP 1.2
(geocap.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor import logs
from monitor.cli_options import config_option

if TYPE_CHECKING:
    from monitor.config import Config

EXPORT_LIMIT = 1000  # alerts --geojson / --cap: the newest, as the table lists at most


@click.command(name="alerts")
@config_option
@click.option("--since", default="1d", show_default=True, help="How far back, e.g. 6h, 7d.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.option("--geojson", "as_geojson", is_flag=True,
              help="Print one GeoJSON FeatureCollection: a Feature per alert at its places' "
                   "coordinates (geometry null when it has none).")
@click.option("--cap", "as_cap", is_flag=True,
              help="Print CAP 1.2 <alert> documents, one per line, for emergency-management "
                   "systems.")
def list_alerts(config_path: Path, since: str, as_json: bool, as_geojson: bool,
                as_cap: bool) -> None:
    """List recent alerts and their delivery state (pending, held for corroboration,
    digest, sent, failed), each with how many outlets carry its story / how many of them
    are independent, and the casualty figures its article gives ("at least 32 killed").
    --geojson and --cap list each alert once (not once per channel), as the /feeds/ of the
    health listener do, newest first, at most 1000; --cap lists each follow-up too, as a
    CAP Update."""
    from monitor.cli import _duration_option, _load, _seconds, _store
    from monitor.outlets import independent as count_independent
    from monitor.report import iso
    from monitor.service import utcnow

    if as_json + as_geojson + as_cap > 1:
        raise click.UsageError("choose one of --json, --geojson and --cap")
    age = _duration_option(since, "--since")
    config = _load(config_path)
    if as_geojson or as_cap:
        _export(config, utcnow() - _seconds(age), "cap" if as_cap else "geojson")
        return
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


def _export(config: Config, since: datetime, kind: str) -> None:
    """The alerts recorded since then as GeoJSON or CAP lines."""
    from monitor.cli import _store

    with _store(config) as store:
        found = [f for f in store.feed_alerts(None, EXPORT_LIMIT, updates=kind == "cap")
                 if _aware(f.created_at) >= since]
        carriers = store.story_carriers(f.story for f in found)
    if kind == "geojson":
        from monitor.geoexport import render_geojson

        click.echo(render_geojson(found, carriers).decode("utf-8"))
        return
    from monitor.geocap import cap_line, default_sender

    sender = default_sender()
    for f in found:
        alert = f.alert.carried_by(carriers.get(f.story, ()))
        click.echo(cap_line(alert, f.story, f.created_at, sender))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

"""The `news-monitor` command: run, once, check, backtest (and `test`, in monitor.cli_article;
`places`, in monitor.cli_places; `status`, in monitor.cli_status; `alerts` and `surges`, in
monitor.cli_alerts)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor import __version__, logs
from monitor.cli_alerts import list_alerts, list_surges
from monitor.cli_article import test_article
from monitor.cli_extract import extract_command
from monitor.cli_options import config_option
from monitor.cli_places import places
from monitor.cli_startup import QuickExitGroup, collection_paused, leave_quickly
from monitor.cli_status import status

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.store import Store

# Commands import what they use when they run: `--version`, `--help` and `check` must not pay
# for the store, the fetcher or the daemon (see bench/startup.py).


@click.group(cls=QuickExitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="news-monitor")
@click.option("-v", "--verbose", count=True, help="More log detail (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors in the log.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="NEWS_MONITOR_LOG_FORMAT",
    help="json: one object per line, for log shippers. Secrets are masked and "
    "control characters escaped in both.",
)
def main(verbose: int, quiet: bool, log_format: str) -> None:
    """Watch news feeds, match watch rules, send alerts.

    Start with `news-monitor check` to validate the configuration, `news-monitor once
    --dry-run` to see what would alert now, then `news-monitor run`.
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logs.setup(level, log_format)
    if verbose < 2:
        for noisy in ("httpx", "httpcore", "apscheduler", "apprise", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


main.add_command(places)
main.add_command(status)
main.add_command(list_alerts)
main.add_command(list_surges)
main.add_command(extract_command)
main.add_command(test_article)


@main.command()
@config_option
def check(config_path: Path) -> None:
    """Validate monitor.yaml and every watchlist; print problems as file:line:col.

    Checks what the daemon will do with them: every channel is built (Apprise parses its
    URL, its template renders) and the rules are compiled, so a config `check` accepts,
    `run` and a reload accept too.
    """
    leave_quickly()
    config = _load(config_path)
    for note in config.notes:
        click.echo(str(note), err=True)
    click.echo(config.summary())


@main.command()
@config_option
def run(config_path: Path) -> None:
    """Run the daemon until SIGINT or SIGTERM.

    A state database that does not answer (PostgreSQL restarting, or not up yet) is waited
    for, with backoff; /readyz says why meanwhile. Other commands fail at once instead."""
    import asyncio

    from monitor.daemon import exit_now, install_signal_handlers, run_daemon
    from monitor.store import StoreError

    config = _load(config_path)

    async def go() -> None:
        stop, reload = asyncio.Event(), asyncio.Event()
        install_signal_handlers(stop, reload)
        try:
            await run_daemon(config, stop, reload)
        except StoreError as err:  # it answered, but cannot be used: waiting would not help
            click.echo(f"{config.path}: state: {err}", err=True)
            exit_now(1)
        exit_now(0)  # stopped and committed: worker threads still busy are not waited for

    asyncio.run(go())


@main.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Poll and match, but record and send nothing.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per alert on stdout (console alerts go to stderr).",
)
def once(config_path: Path, dry_run: bool, as_json: bool) -> None:
    """Poll every source once, queue and send the alerts, and exit."""
    import asyncio

    from monitor.report import print_found, print_held
    from monitor.service import Monitor

    config = _load(config_path)

    async def go() -> int:
        with _store(config) as store:
            monitor = Monitor(config, store, stream=sys.stderr if as_json else None)
            try:
                cycle = await monitor.poll_all(
                    dry_run=dry_run, report=lambda found: print_found(found, as_json, dry_run))
                print_held(cycle.held, as_json)
                if not dry_run:
                    delivered = await monitor.drain_outbox()
                    await monitor.send_health(flush=True)
                    logging.getLogger("monitor").info(
                        "polled %d sources (%d failed): %d new entries, %d alerts queued; "
                        "sent %d, retrying %d, failed %d",
                        cycle.polled,
                        cycle.failed,
                        cycle.new_entries,
                        cycle.alerts,
                        delivered.sent,
                        delivered.retried,
                        delivered.failed,
                    )
            finally:
                await monitor.aclose()
            return 0

    code = asyncio.run(go())
    from monitor.daemon import exit_now

    exit_now(code)  # a parse abandoned at its deadline may still hold a worker thread


@main.command()
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write monitor.schema.json, watchlist.schema.json, "
    "events.schema.json and webhook.schema.json into this folder "
    "(default: print them as one JSON object).",
)
def schema(out_dir: Path | None) -> None:
    """The JSON Schema of monitor.yaml, watchlist and events files, for editors and CI,
    and of the documents webhook:// channels send, for their receivers.

    Point an editor at them with a first line such as
    `# yaml-language-server: $schema=schema/monitor.schema.json`.
    """
    from monitor.alerts.webhook import webhook_schema
    from monitor.catalog.eventfiles import events_schema
    from monitor.config import json_schemas

    schemas = {**json_schemas(), "events": events_schema(), "webhook": webhook_schema()}
    if out_dir is None:
        click.echo(json.dumps(schemas, indent=2))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        path = out_dir / f"{name}.schema.json"
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {path}")


@main.command(name="send-test")
@config_option
@click.argument("channel")
def send_test(config_path: Path, channel: str) -> None:
    """Send a sample alert to CHANNEL now, to check its URL, credentials and layout."""
    import asyncio

    from monitor.alerts import DeliveryError, make_channel, redact_url
    from monitor.alerts.render import sample_alert

    config = _load(config_path)
    found = {c.name: c for c in config.channels}
    if channel not in found:
        click.echo(
            f"no channel '{channel}' in {config.path} (channels: {', '.join(sorted(found))})",
            err=True,
        )
        sys.exit(2)
    target = found[channel]
    try:
        sender = make_channel(target.name, target.url, template=target.template)
        asyncio.run(sender.send(sample_alert()))
    except (DeliveryError, ValueError) as err:
        reason = logs.printable(str(err))
        click.echo(f"{channel} ({redact_url(target.url)}): not delivered: {reason}", err=True)
        sys.exit(1)
    click.echo(f"{channel} ({redact_url(target.url)}): sample alert accepted")


@main.command(name="backtest")
@config_option
@click.option(
    "--since",
    default="7d",
    show_default=True,
    help="Replay entries first seen this long ago or later, e.g. 24h, 7d.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def backtest_cmd(config_path: Path, since: str, as_json: bool) -> None:
    """Replay stored entries against the rules as they are now in the files and list the
    alerts that would be added and dropped compared with the alerts actually created."""
    from monitor.backtest import backtest, limits
    from monitor.report import iso, print_held
    from monitor.service import utcnow

    age = _duration_option(since, "--since")
    config = _load(config_path)
    with _store(config) as store:
        report = backtest(
            store,
            config.matcher,
            utcnow() - _seconds(age),
            *limits(config),
            surges={(r.watchlist, r.name): r.surges for r in config.rules if r.surges},
        )
    if as_json:

        def rows(changes):
            return [
                {
                    "watchlist": c.watchlist,
                    "rule": c.rule,
                    "title": c.title,
                    "url": c.url,
                    "source": c.source,
                    "seen": iso(c.seen_at),
                }
                for c in changes
            ]

        click.echo(
            logs.printable_json(
                {
                    "entries": report.entries,
                    "stories": report.stories,
                    "without_text": report.without_text,
                    "unchanged": report.unchanged,
                    "added": rows(report.added),
                    "dropped": rows(report.dropped),
                    "held_back": {
                        name: held.as_dict() for name, held in sorted(report.held.items())
                    },
                    "surges": [
                        {
                            "topic": s.topic,
                            "started": iso(s.started_at),
                            "ended": iso(s.ended_at),
                            "line": s.line,
                        }
                        for s in report.surges
                    ],
                },
                indent=2,
            )
        )
        return
    print_held(report.held, as_json=False)
    for sign, changes in (("+", report.added), ("-", report.dropped)):
        for c in changes:
            line = (
                f"{sign} {iso(c.seen_at)}  [{c.watchlist} / {c.rule}] {c.title[:80]}"
                f"  ({c.url or c.source})"
            )
            click.echo(logs.printable(line))
    for surge in report.surges:
        ended = iso(surge.ended_at) if surge.ended_at else "still on"
        click.echo(logs.printable(f"surge {iso(surge.started_at)} → {ended}  {surge.line}"))
    click.echo(
        f"{report.entries} entries ({report.stories} stories) since {since}: "
        f"{len(report.added)} alerts would be added, {len(report.dropped)} dropped, "
        f"{report.unchanged} unchanged"
        + (
            f"; {report.without_text} replayed on their title only (text older than keep_text)"
            if report.without_text
            else ""
        )
    )


# -- helpers ---------------------------------------------------------------------------


def _duration_option(value: str, name: str) -> float:
    from monitor.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=name) from None


def _load(config_path: Path) -> Config:
    """The configuration every command runs on, loaded with every layer's checks, or exit 1
    with each problem as file:line:col. Never a traceback: what cannot be explained better
    is still one line naming the file."""
    with collection_paused():
        from monitor.checks import load_checked
        from monitor.config import ConfigError

        try:
            config = load_checked(config_path)
        except ConfigError as err:
            for problem in err.problems:
                click.echo(str(problem), err=True)
            n = len(err.problems)
            click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing was run.", err=True)
            sys.exit(1)
        except Exception as err:  # a fault in loading: still a message, not a traceback
            click.echo(f"{config_path}: unexpected problem: {type(err).__name__}: {err}", err=True)
            sys.exit(1)
    logs.REDACTOR.add_urls(c.url for c in config.channels)
    logs.REDACTOR.add_source_urls(s.location for s in config.sources)
    return config


@contextmanager
def _store(config: Config) -> Iterator[Store]:
    from monitor.store import Store, StoreError

    try:
        store = Store.open(config.state_url)
    except StoreError as err:
        hint = (
            "; is it running? (`news-monitor run` waits for it; this command does not)"
            if err.unreachable
            else ""
        )
        click.echo(f"{config.path}: state: {err}{hint}", err=True)
        sys.exit(1)
    try:
        yield store
    finally:
        store.close()


def _seconds(value: float):
    from datetime import timedelta

    return timedelta(seconds=value)

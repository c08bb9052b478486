"""`news-monitor test SOURCE`: which rules an article would fire, and why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor import logs
from monitor.cli_options import config_option
from monitor.cli_startup import collections_paused, leave_quickly

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.records import Document


@click.command(name="test")
@config_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"matches": [{watchlist, rule, score, hits}]} instead of text.',
)
@click.argument("source")
@collections_paused
def test_article(config_path: Path, as_json: bool, source: str) -> None:
    """Show which rules an article would fire, and why, with the casualty figures it
    reports and the rules whose min_killed (…) those figures fall short of.

    SOURCE is an article URL, an HTML or text file (first line = title), or - for stdin.
    Exits 0 when some rule fires, 1 when none does (like grep), 2 on errors.
    """
    leave_quickly()
    from monitor.cli import _load
    from monitor.facts import FiguresOf
    from monitor.geo import point_fields
    from monitor.pipeline import Found, make_alert
    from monitor.report import print_explained, print_figures, short_of

    config = _load(config_path)
    document, origin = _read_article(source, config)
    figures, short = FiguresOf(document.title, document.text), []
    matches = config.matcher.match(document, figures, short)
    if as_json:
        click.echo(
            logs.printable_json(
                {
                    "title": document.title,
                    "matches": [
                        {
                            "watchlist": m.watchlist,
                            "rule": m.rule,
                            "priority": m.priority,
                            "score": m.score,
                            "hits": [
                                {
                                    "term": h.term,
                                    "field": h.field,
                                    "start": h.start,
                                    "end": h.end,
                                    **({"concept": h.concept} if h.concept else {}),
                                    **({"kind": h.kind} if h.kind else {}),
                                    **point_fields(h.point),
                                }
                                for h in m.hits
                            ],
                        }
                        for m in matches
                    ],
                    "casualties": figures().as_json(),
                    "short_of_minimums": short_of(short, config.rules),
                },
                indent=2,
            )
        )
    else:
        from monitor.records import Entry

        entry = Entry(
            source=origin,
            key=origin,
            url=source if "://" in source else "",
            title=document.title,
            summary=document.text,
        )
        found = Found(entry, document, tuple(matches), figures)
        for m in matches:
            print_explained(make_alert(found, m), m, document, config.places)
        print_figures(figures(), short, config.rules)
        if not matches:
            title = logs.printable(document.title or origin)
            click.echo(
                f"no rule fires on “{title}” "
                f"({config.watchlist_count} watchlists, {len(config.rules)} rules)"
            )
    sys.exit(0 if matches else 1)


def _read_article(source: str, config: Config) -> tuple[Document, str]:
    """The article to test: fetched, read from a file, or from stdin."""
    from monitor.extract import decode_page, extract_html, extract_text, looks_like_html

    if source == "-":
        content, origin = sys.stdin.read(), "stdin"
    elif "://" in source:
        content, origin = _fetch_page(source, config), source
    else:
        try:  # bytes: a page saved in windows-1256 names its charset in a <meta>
            content, origin = decode_page(Path(source).read_bytes()), source
        except OSError as err:
            click.echo(f"{source}: cannot read: {err.strerror or err}", err=True)
            sys.exit(2)
    document = extract_html(content) if looks_like_html(content) else extract_text(content)
    return document, origin


def _fetch_page(url: str, config: Config) -> str:
    import asyncio

    from monitor.extract import decode_page
    from monitor.sources.fetch import FetchError, Trust, fetch, make_client
    from monitor.sources.guard import AddressPolicy

    poll = config.settings.poll
    trust = Trust.of(url, AddressPolicy.of(poll.allow_private))  # redirects elsewhere: checked

    async def get() -> str:
        async with make_client(
            timeout=poll.timeout,
            user_agent=poll.user_agent,
            concurrency=1,
            allow_private=poll.allow_private,
        ) as client:
            got = await fetch(
                url, client=client, timeout=poll.timeout, max_bytes=poll.max_bytes, trust=trust
            )
            return decode_page(got.body, got.content_type)

    try:
        return asyncio.run(get())
    except FetchError as err:
        click.echo(f"{url}: {err}", err=True)
        sys.exit(2)

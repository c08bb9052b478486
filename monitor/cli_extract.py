"""`news-monitor extract PAGE...`: what a source's article pages give with `fetch_article`.

Each PAGE (an http(s) URL, an HTML file, or a gzipped `.html.gz` as saved from a browser or
a benchmark) goes through the same extractor the pipeline uses (monitor.extract), and the
command shows its text and metadata, and which reading chose the text (trafilatura, the
publisher-marked body, the heuristic, JSON-LD): so an operator can see, before writing
rules, what words the alerts of a source will be matched against.

Files are read as bytes, so their encoding is found as a fetched page's is (BOM, <meta
charset>, detection; for a URL, the HTTP charset first). URLs are fetched as the daemon
fetches article pages, with the `poll:` settings of the configuration when there is one
(time limit, size limit, user agent, `allow_private`), else their defaults. The URL
given is trusted as a configured source's own address is; a redirect from it to another
private address is refused unless `allow_private` lists it. Everything printed from a page
has its control characters escaped: a page is untrusted input and this is a terminal.
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli_options import config_option
from monitor.logs import printable, printable_json

MAX_GZIP = 50_000_000  # bytes a .html.gz may expand to before we stop reading it


@click.command(name="extract")
@config_option
@click.argument("pages", nargs=-1, required=True, metavar="PAGE...")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per page and line: page, path, title, byline, published, "
                   "updated, language, canonical_url, image, text.")
def extract_command(config_path: Path, pages: tuple[str, ...], as_json: bool) -> None:
    """Show the article text and metadata extracted from each PAGE.

    PAGE is a URL, an HTML file or an .html.gz file; URLs are fetched with the config's
    poll settings (its defaults when the file does not exist). The output names the
    reading that chose the text: trafilatura, marked-body (the element the publisher marked as the
    article body), heuristic (the densest block) or json-ld. Exits 2 if a page cannot be
    read or fetched (the other pages are still shown).
    """
    from monitor.extract import extract_article

    failed = False
    poll = _poll_settings(config_path) if any("://" in p for p in pages) else None
    for page in pages:
        try:
            body, url, content_type = _read(page, poll)
        except OSError as err:
            click.echo(f"{printable(page)}: cannot read: {err.strerror or err}", err=True)
            failed = True
            continue
        except _FetchFailed as err:
            click.echo(f"{printable(page)}: {err}", err=True)
            failed = True
            continue
        article = extract_article(body, url, content_type)
        record = _record(page, article)
        click.echo(printable_json(record) if as_json else _text(record))
    if failed:
        sys.exit(2)


class _FetchFailed(Exception):
    pass


def _poll_settings(config_path: Path) -> Any:
    """The configuration's poll settings, or their defaults when there is no such file;
    exit 1 with the problems of a configuration that does not load."""
    from monitor.checks import load_checked
    from monitor.config import ConfigError
    from monitor.config.settings import PollSettings

    if not config_path.exists():
        return PollSettings()
    try:
        return load_checked(config_path).settings.poll
    except ConfigError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


def _read(page: str, poll: Any) -> tuple[bytes, str, str | None]:
    """The page's bytes, its URL ("" for a file) and its Content-Type (None for a file)."""
    if page.startswith(("http://", "https://")):
        return _fetch(page, poll)
    data = Path(page).read_bytes()
    if page.endswith(".gz") or data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
            try:
                data = unzipped.read(MAX_GZIP)
            except (OSError, EOFError) as err:
                raise OSError(f"not a readable gzip file: {err}") from None
    return data, "", None


def _fetch(url: str, poll: Any) -> tuple[bytes, str, str | None]:
    from monitor.sources.fetch import FetchError, Trust, fetch, make_client
    from monitor.sources.guard import AddressPolicy

    trust = Trust.of(url, AddressPolicy.of(poll.allow_private))

    async def get() -> tuple[bytes, str, str | None]:
        async with make_client(timeout=poll.timeout, user_agent=poll.user_agent,
                               concurrency=1, allow_private=poll.allow_private) as client:
            got = await fetch(url, client=client, timeout=poll.timeout,
                              max_bytes=poll.max_bytes, trust=trust)
            return got.body, got.url, got.content_type

    try:
        import asyncio  # here: `--version` and `--help` import no event loop

        return asyncio.run(get())
    except FetchError as err:
        raise _FetchFailed(str(err)) from None


def _record(page: str, article: Any) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {"page": page, "path": article.path, "title": article.title,
            "byline": article.byline, "published": when(article.published),
            "updated": when(article.updated), "language": article.language,
            "canonical_url": article.canonical_url, "image": article.image,
            "text": article.text}


def _text(record: dict[str, Any]) -> str:
    lines = [f"== {printable(record['page'])}"]
    for key in ("title", "byline", "published", "updated", "language", "canonical_url",
                "image", "path"):
        value = record[key]
        lines.append(f"{key + ':':<15}{printable(str(value)) if value else '-'}")
    text = record["text"]
    lines.append(f"{'characters:':<15}{len(text)}")
    lines.append("")
    lines.append(printable(text, keep="\n") if text else "(no text found)")
    lines.append("")
    return "\n".join(lines)

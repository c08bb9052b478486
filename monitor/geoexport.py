"""Alerts as GeoJSON (RFC 7946): `news-monitor alerts --geojson` and /feeds/alerts.geojson.

One Feature per alert, as the Atom feed lists alerts (a story once per leading rule,
whatever the channels it went to). Its geometry is a Point, or a MultiPoint when it names
several places, of the coordinates the gazetteer gave its place hits (every rule of the
message, in reading order, each place once), as [longitude, latitude] (RFC 7946 §3.1.1),
rounded to 5 decimals (about a metre). An alert whose rules matched no place with
coordinates (keywords or groups alone, a place defined only in places.yaml) is kept with
"geometry": null, which RFC 7946 §3.2 allows for an unlocated feature: a map skips it, a
consumer that counts alerts still sees it.

Properties: id (the Atom entry's id, so both feeds name an alert alike), title, url, rule,
watchlist, priority, rules (every rule of the message), time (when it was recorded),
published, sources, and places: [{name, lat, lon}, with km and near for a place a `near:`
rule brought in]. Everything in them came from a feed or a config file: it is bounded here
(lengths, counts) and json.dumps escapes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.records import Alert, Carrier, Point

if TYPE_CHECKING:
    from monitor.store import FeedAlert

MAX_PLACES = 50  # places one alert lists (and maps)
_TEXT_MAX, _NAME_MAX, _URL_MAX, _RULES_MAX, _SOURCES_MAX = 500, 200, 2000, 20, 20
GEOJSON_TYPE = "application/geo+json"  # RFC 7946 §12
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Located:
    """A place an alert names, with its point (the first hit on it that has one)."""

    name: str
    point: Point


def alert_places(alert: Alert, limit: int = MAX_PLACES) -> tuple[Located, ...]:
    """The places of the alert's rules that have coordinates, in reading order (title
    first), each once: the alert's map."""
    hits = sorted((h for f in alert.rules() for h in f.hits
                   if h.kind == "place" and h.point is not None),
                  key=lambda h: (h.field != "title", h.start))
    found: dict[str, Located] = {}
    for h in hits:
        name = _cut(h.concept or h.term, _NAME_MAX)
        if name not in found and h.point is not None:
            found[name] = Located(name, h.point)
            if len(found) >= limit:
                break
    return tuple(found.values())


def _cut(text: str, limit: int) -> str:
    """Untrusted text on one line, at most `limit` characters, lone surrogates (which
    UTF-8 cannot carry) replaced."""
    text = _SURROGATE.sub("\ufffd", " ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _position(point: Point) -> list[float]:
    return [round(point.lon, 5), round(point.lat, 5)]


def geometry(places: Sequence[Located]) -> dict[str, Any] | None:
    """Point for one place, MultiPoint for several, None (null) for none."""
    if not places:
        return None
    if len(places) == 1:
        return {"type": "Point", "coordinates": _position(places[0].point)}
    return {"type": "MultiPoint", "coordinates": [_position(p.point) for p in places]}


def _place(located: Located) -> dict[str, Any]:
    point = located.point
    out: dict[str, Any] = {"name": located.name, "lat": round(point.lat, 5),
                           "lon": round(point.lon, 5)}
    if point.near:
        out.update(km=point.km, near=_cut(point.near, _NAME_MAX), radius=point.radius)
    return out


def feature(alert: Alert, feature_id: str, recorded: datetime) -> dict[str, Any]:
    """One alert as a GeoJSON Feature (see the module docstring)."""
    places = alert_places(alert)
    url = _cut(alert.url, _URL_MAX) if len(alert.url) <= _URL_MAX else ""
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": geometry(places),
        "properties": {
            "title": _cut(alert.title, _TEXT_MAX),
            "url": url,
            "rule": _cut(alert.rule, _NAME_MAX),
            "watchlist": _cut(alert.watchlist, _NAME_MAX),
            "priority": alert.priority,
            "rules": [_cut(f.rule, _NAME_MAX) for f in alert.rules()[:_RULES_MAX]],
            "time": _time(recorded),
            "published": _time(alert.published),
            "sources": [_cut(s, _NAME_MAX) for s in alert.all_sources()[:_SOURCES_MAX]],
            "places": [_place(p) for p in places],
        },
    }


def feature_collection(found: Sequence[FeedAlert], carriers: Mapping[str, Sequence[Carrier]]
                       ) -> dict[str, Any]:
    """The FeatureCollection of these FeedAlerts (store.feed_alerts: newest first), each
    naming every source that carried its story."""
    from monitor.alertfeed import entry_id  # the feed's ids; imported here: no cycle

    features = []
    for one in found:
        alert = one.alert.carried_by(carriers.get(one.story, ()))
        features.append(feature(alert, entry_id(one), one.created_at))
    return {"type": "FeatureCollection", "features": features}


def render_geojson(found: Sequence[FeedAlert], carriers: Mapping[str, Sequence[Carrier]]
                   ) -> bytes:
    """The FeatureCollection as UTF-8 JSON (no NaN: every number is a real coordinate)."""
    return json.dumps(feature_collection(found, carriers), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")

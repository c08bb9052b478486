"""Alerts as GeoJSON: valid RFC 7946 (a schema written from the RFC, strict validator), the
coordinates those of the alert's places in [longitude, latitude] order, unlocated alerts
with a null geometry, hostile text as plain JSON strings; and end to end, a real daemon
with a `near:` rule whose alerts `alerts --geojson`, /feeds/alerts.geojson and the CAP
exports carry at the gazetteer's coordinates of the town the article named."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree

from monitor.catalog import Catalog
from monitor.geoexport import feature_collection, render_geojson
from monitor.records import Alert, Carrier, Fired, Hit, Point, Snippet
from monitor.store import FeedAlert
from tests.capcheck import check_cap
from tests.conftest import rss_feed, run_cli, wait_until, write_config
from tests.test_alert_feed import fetch, start

SCHEMA = json.loads((Path(__file__).parent / "data" / "geojson.schema.json").read_text())
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SAFIRA = Point(36.07696, 37.37251, 23.5, "Aleppo", 30.0)
ALEPPO = Point(36.20124, 37.16117)


def valid(document: Any) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def alert(hits: tuple[Hit, ...], **changes: object) -> Alert:
    base = Alert(watchlist="syria", rule="Around Aleppo", priority="high",
                 title="Shelling near Aleppo", url="https://news.example.org/safira",
                 source="Wire", published=NOW, snippet=Snippet("text"), terms=(), hits=hits)
    return replace(base, **changes)


def test_the_schema_refuses_what_rfc_7946_does_not_allow() -> None:
    """The validator the tests rely on fails on a latitude out of range, a feature without
    geometry, and a Feature carrying coordinates."""
    for bad in ({"type": "Point", "coordinates": [37.1, 136.2]},
                {"type": "Feature", "properties": {}},
                {"type": "Feature", "geometry": None, "properties": {}, "coordinates": [1, 2]},
                {"type": "FeatureCollection", "features": [{"type": "Point",
                                                            "coordinates": [1, 2]}]}):
        assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(bad), bad


def test_an_alert_is_a_feature_at_its_places_in_longitude_latitude_order() -> None:
    hits = (Hit("Al-Safira", "title", 0, 9, "As Safīrah", "place", SAFIRA),
            Hit("Halab", "text", 27, 32, "Aleppo", "place", ALEPPO),
            Hit("Halab", "text", 40, 45, "Aleppo", "place", ALEPPO),
            Hit("shelling", "text", 0, 8))
    collection = feature_collection([FeedAlert(1, "story1", NOW, alert(hits))], {})
    valid(collection)
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "MultiPoint",
                                   "coordinates": [[37.37251, 36.07696], [37.16117, 36.20124]]}
    props = feature["properties"]
    assert props["places"] == [
        {"name": "As Safīrah", "lat": 36.07696, "lon": 37.37251, "km": 23.5, "near": "Aleppo",
         "radius": 30.0},
        {"name": "Aleppo", "lat": 36.20124, "lon": 37.16117}]
    assert (props["title"], props["url"], props["rule"], props["watchlist"],
            props["priority"], props["time"]) == (
        "Shelling near Aleppo", "https://news.example.org/safira", "Around Aleppo", "syria",
        "high", "2026-11-30T12:00:00Z")
    assert feature["id"].startswith("urn:uuid:")


def test_one_place_is_a_point_and_none_is_a_null_geometry() -> None:
    one = alert((Hit("Halab", "text", 0, 5, "Aleppo", "place", ALEPPO),))
    none = alert((Hit("shelling", "text", 0, 8), Hit("Nowhere", "text", 9, 16, "Nowhere",
                                                      "place")))
    collection = feature_collection([FeedAlert(2, "s2", NOW, one),
                                     FeedAlert(1, "s1", NOW, none)], {})
    valid(collection)
    located, unlocated = collection["features"]
    assert located["geometry"] == {"type": "Point", "coordinates": [37.16117, 36.20124]}
    assert unlocated["geometry"] is None and unlocated["properties"]["places"] == []


def test_the_places_of_every_rule_of_the_message_are_mapped() -> None:
    other = Fired("syria", "Idlib", "normal", ("Idlib",),
                  hits=(Hit("Idlib", "text", 50, 55, "Idlib", "place", Point(35.93, 36.63)),))
    lead = alert((Hit("Halab", "text", 0, 5, "Aleppo", "place", ALEPPO),), also=(other,))
    collection = feature_collection([FeedAlert(1, "s", NOW, lead)],
                                    {"s": [Carrier("Wire", NOW, "example.org"),
                                           Carrier("Other", NOW, "other.org")]})
    valid(collection)
    props = collection["features"][0]["properties"]
    assert [p["name"] for p in props["places"]] == ["Aleppo", "Idlib"]
    assert props["rules"] == ["Around Aleppo", "Idlib"] and props["sources"] == ["Wire", "Other"]


def test_hostile_text_stays_plain_json_strings() -> None:
    hostile = '"}]}, {"type": "Point"\x00\ud800 ' + "x" * 5000
    bad = alert((Hit(hostile, "text", 0, 5, hostile, "place", ALEPPO),), title=hostile,
                rule=hostile, source=hostile)
    body = render_geojson([FeedAlert(1, "s", NOW, bad)], {})
    collection = json.loads(body.decode("utf-8"))
    valid(collection)
    [feature] = collection["features"]
    assert len(feature["properties"]["title"]) <= 500
    assert feature["properties"]["title"].startswith('"}]}, {"type": "Point"')


# --- end to end -----------------------------------------------------------------------------

NEAR = {"title": "Shelling hits Al-Safira", "link": "https://news.example.org/safira",
        "description": "Government shelling hit Al-Safira on Monday, residents said."}
FAR = {"title": "Shelling hits Salqin", "link": "https://news.example.org/salqin",
       "description": "Government shelling hit Salqin on Monday, residents said."}


def test_a_near_rule_alerts_and_every_export_carries_the_towns_coordinates(site, tmp_path):
    """A real daemon polls a feed with an article naming only Al-Safira (~23 km from
    Aleppo) and one naming only Salqin (~64 km): the `near: {place: Aleppo, km: 30}` rule
    alerts on the first alone, and `alerts --geojson`, /feeds/alerts.geojson, `alerts --cap`
    and /feeds/alerts.cap place that alert at Al-Safira's gazetteer coordinates."""
    site.feeds["/f.xml"] = rss_feed(NEAR, FAR)
    config = write_config(tmp_path, sources=[{"name": "Wire", "feed": site.url("/f.xml"),
                                              "interval": "1s"}],
                          rules=[{"name": "Around Aleppo", "near": {"place": "Aleppo", "km": 30},
                                  "priority": "high"}])
    safira = Catalog.load().place("As Safirah")
    daemon, port = start(config)
    try:
        def exported() -> dict[str, Any] | None:
            result = run_cli("alerts", "--geojson", "-c", str(config))
            assert result.returncode == 0, result.stderr
            data = json.loads(result.stdout)
            return data if data["features"] else None

        assert wait_until(exported, every=0.5)
        status, headers, body = fetch(f"http://127.0.0.1:{port}/feeds/alerts.geojson")
        cap_status, _, cap_body = fetch(f"http://127.0.0.1:{port}/feeds/alerts.cap")
    finally:
        daemon.stop()
    from_cli = exported()
    cap_lines = run_cli("alerts", "--cap", "-c", str(config))
    assert cap_lines.returncode == 0, cap_lines.stderr
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    from_feed = json.loads(body)
    for collection in (from_cli, from_feed):
        valid(collection)
        [feature] = collection["features"]  # Salqin is beyond 30 km: no alert
        assert feature["properties"]["url"] == NEAR["link"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [
            round(safira.longitude, 5), round(safira.latitude, 5)]}
        [place] = feature["properties"]["places"]
        assert place["near"] == "Aleppo" and 18 <= place["km"] <= 26
    assert from_cli["features"][0]["id"] == from_feed["features"][0]["id"]
    circle = (round(safira.latitude, 5), round(safira.longitude, 5), 30.0)
    [line] = cap_lines.stdout.splitlines()
    assert check_cap(etree.fromstring(line.encode()))["info"][0]["circles"] == [circle]
    assert cap_status == 200
    [message] = etree.fromstring(cap_body).iter("{urn:oasis:names:tc:emergency:cap:1.2}alert")
    assert check_cap(message)["info"][0]["circles"] == [circle]

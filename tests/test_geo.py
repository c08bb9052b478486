"""Coordinates on place hits and `near:` radius rules (real gazetteer, real config loading,
real matcher)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.catalog import Catalog
from monitor.config import Config, ConfigError, load_config
from monitor.geo import km_between
from monitor.records import Document, Hit, Point
from monitor.store.codec import alert_from_json, alert_to_json
from tests.test_alerts_render import make_alert
from tests.test_config import MONITOR

ALEPPO = (36.20124, 37.16117)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def config(tmp_path: Path, rules: str) -> Path:
    (tmp_path / "watchlists").mkdir(exist_ok=True)
    (tmp_path / "feed.xml").write_text("<rss/>")
    (tmp_path / "watchlists" / "w.yaml").write_text(
        "name: syria\nrules:\n" + rules, encoding="utf-8")
    path = tmp_path / "monitor.yaml"
    path.write_text(MONITOR, encoding="utf-8")
    return path


def loaded(tmp_path: Path, rules: str) -> Config:
    return load_config(config(tmp_path, rules), env={})


def place_hits(cfg: Config, text: str) -> list[Hit]:
    matches = cfg.matcher.match(Document(title="", text=text))
    return [h for m in matches for h in m.hits if h.kind == "place"]


def problems(tmp_path: Path, rules: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(config(tmp_path, rules), env={})
    return [str(p) for p in err.value.problems]


def test_the_towns_of_the_tests_lie_where_the_tests_say(catalog: Catalog) -> None:
    """The distances the near: tests rely on, from the gazetteer's own coordinates."""
    def km(name: str) -> float:
        place = catalog.place(name)
        assert place.latitude is not None and place.longitude is not None
        return km_between(*ALEPPO, place.latitude, place.longitude)

    assert 18 <= km("As Safirah") <= 26  # Al-Safira, south-east of Aleppo
    assert 40 <= km("Azaz") <= 48
    assert 58 <= km("Salqin") <= 70  # Salqin, in Idlib's north-west


def test_near_fires_on_a_town_20_km_away_and_not_on_one_60_km_away(tmp_path: Path) -> None:
    cfg = loaded(tmp_path, "  - name: Around Aleppo\n    near: {place: Aleppo, km: 30}\n")
    near = "Government shelling hit Al-Safira on Monday, residents said."
    far = "Government shelling hit Salqin on Monday, residents said."
    assert cfg.matcher.match(Document(title="", text=near))
    assert not cfg.matcher.match(Document(title="", text=far))
    hits = place_hits(cfg, near)  # "Al-Safira", and "Safira" in it: both the town's names
    assert {h.concept for h in hits} == {"As Safīrah"}
    hit = hits[0]
    assert hit.point is not None and hit.point.near == "Aleppo"
    assert hit.point.radius == 30.0
    assert hit.point.km is not None and 18 <= hit.point.km <= 26


def test_near_fires_on_the_place_it_names_too(tmp_path: Path) -> None:
    cfg = loaded(tmp_path, "  - name: Around Aleppo\n    near: {place: Aleppo, km: 30}\n")
    hits = place_hits(cfg, "Clashes were reported in Halab overnight.")
    assert {h.concept for h in hits} == {"Aleppo"}
    assert hits[0].point == Point(*ALEPPO, 0.0, "Aleppo", 30.0)


def test_a_larger_radius_takes_in_the_farther_town(tmp_path: Path) -> None:
    cfg = loaded(tmp_path, "  - name: Around Aleppo\n    near: [{place: Aleppo, km: 50}]\n")
    assert {h.concept for h in place_hits(cfg, "Turkish artillery shelled Azaz.")} == {"I‘zāz"}
    assert not place_hits(cfg, "Government shelling hit Salqin on Monday.")


def test_near_joins_the_places_of_the_rule(tmp_path: Path) -> None:
    """A rule's place condition holds on a place of `places:` or of `near:`; the other
    categories still have to hold."""
    cfg = loaded(tmp_path, "  - name: R\n    places: [Idlib]\n"
                           "    near: {place: Aleppo, km: 30}\n    keywords: [shelling]\n")
    assert cfg.matcher.match(Document(title="", text="Shelling in Idlib."))
    assert cfg.matcher.match(Document(title="", text="Shelling in Al-Safira."))
    assert not cfg.matcher.match(Document(title="", text="A market opened in Al-Safira."))


def test_every_place_hit_carries_the_gazetteers_coordinates(tmp_path: Path) -> None:
    cfg = loaded(tmp_path, "  - name: R\n    places: [Aleppo, Syria, Idlib Governorate]\n"
                           "    within: true\n")
    hits = place_hits(cfg, "From Halab to Azaz, in Syria; Idlib Governorate was quiet.")
    points = {h.concept: h.point for h in hits}
    assert points["Aleppo"] == Point(*ALEPPO)
    damascus = (33.5102, 36.29128)  # a country's point is its capital's
    assert points["Syria"] is not None
    assert km_between(points["Syria"].lat, points["Syria"].lon, *damascus) < 1
    azaz = points["I‘zāz"]  # brought in by within: its own point
    assert azaz is not None and 40 <= km_between(*ALEPPO, azaz.lat, azaz.lon) <= 48
    assert all(h.point is not None for h in hits)


def test_check_names_an_unknown_near_place_and_a_bad_radius_where_written(
        tmp_path: Path) -> None:
    [found] = problems(tmp_path, "  - name: R\n    near: {place: Nowhereville Qqq, km: 30}\n")
    assert found.endswith("watchlists/w.yaml:4:19: near: unknown place 'Nowhereville Qqq' "
                          "(not in the gazetteer; you can define it in places.yaml)")
    found = problems(tmp_path, "  - name: R\n    near: {place: Aleppo, km: 900}\n")
    assert len(found) == 1 and "watchlists/w.yaml:4:11: rules.0.near.0.km" in found[0]
    assert "less than or equal to 500" in found[0]
    found = problems(tmp_path, "  - name: R\n    near: {place: Aleppo, km: 0}\n")
    assert len(found) == 1 and "greater than 0" in found[0]
    found = problems(tmp_path, "  - name: R\n    near: {place: Aleppo}\n")
    assert len(found) == 1 and "km" in found[0]


def test_a_radius_that_takes_in_too_many_places_keeps_the_nearest_and_says_so(
        tmp_path: Path) -> None:
    """500 km around Frankfurt holds more of the gazetteer's towns than MAX_PLACES."""
    from monitor.catalog.nearby import MAX_PLACES

    cfg = loaded(tmp_path, "  - name: R\n    near: {place: Frankfurt am Main, km: 500}\n")
    [note] = [str(n) for n in cfg.notes if "near:" in str(n)]
    assert "watchlists/w.yaml:4:42: note: near: 500 km around Frankfurt am Main takes in" in note
    assert f"only the nearest {MAX_PLACES:,}" in note and "use a smaller km" in note
    assert place_hits(cfg, "A protest in Offenbach am Main.")  # next door: kept
    assert not place_hits(cfg, "A protest in Bergamo.")  # 497 km: within, but beyond those kept


def test_hit_points_survive_the_outbox_and_old_rows_still_load() -> None:
    near = Point(36.07696, 37.37251, 23.5, "Aleppo", 30.0)
    hits = (Hit("Al-Safira", "text", 0, 9, "As Safīrah", "place", near),
            Hit("Halab", "text", 20, 25, "Aleppo", "place", Point(*ALEPPO)),
            Hit("shelling", "text", 30, 38))
    alert = make_alert(hits=hits)
    assert alert_from_json(alert_to_json(alert)).hits == hits
    old = alert_to_json(make_alert(hits=(Hit("Halab", "text", 20, 25, "Aleppo", "place"),)))
    assert '"place"]' in old  # rows of earlier versions end at the kind
    assert alert_from_json(old).hits[0].point is None


def test_webhook_documents_carry_each_place_hits_coordinates() -> None:
    import jsonschema

    from monitor.alerts.webhook import webhook_document, webhook_schema

    near = Point(36.07696, 37.37251, 23.5, "Aleppo", 30.0)
    hits = (Hit("Al-Safira", "text", 0, 9, "As Safīrah", "place", near),
            Hit("Halab", "text", 20, 25, "Aleppo", "place", Point(*ALEPPO)),
            Hit("shelling", "text", 30, 38))
    document = json.loads(webhook_document("hook", [make_alert(hits=hits)], "heading",
                                           datetime.now(UTC)).model_dump_json())
    jsonschema.validate(document, webhook_schema())
    got = [{k: h[k] for k in ("term", "lat", "lon", "km", "near")}
           for h in document["alerts"][0]["rules"][0]["hits"]]
    assert got == [
        {"term": "Al-Safira", "lat": 36.07696, "lon": 37.37251, "km": 23.5, "near": "Aleppo"},
        {"term": "Halab", "lat": ALEPPO[0], "lon": ALEPPO[1], "km": None, "near": None},
        {"term": "shelling", "lat": None, "lon": None, "km": None, "near": None}]


def test_the_test_command_shows_where_a_near_hit_lies(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = config(tmp_path, "  - name: Around Aleppo\n    near: {place: Aleppo, km: 30}\n")
    article = "Shelling in Nubl\nRegime forces shelled the town overnight.\n"
    shown = run_cli("test", "-c", str(path), "-", input_text=article)
    assert shown.returncode == 0, shown.stderr
    assert "hit: Nubl [36.3787, 36.9929; 24.8 km from Aleppo]" in shown.stdout
    as_json = run_cli("test", "--json", "-c", str(path), "-", input_text=article)
    [hit] = json.loads(as_json.stdout)["matches"][0]["hits"]
    assert (hit["concept"], hit["km"], hit["near"]) == ("Nubl", 24.8, "Aleppo")
    assert (hit["lat"], hit["lon"]) == (36.37867, 36.99294)


def test_near_takes_in_the_villages_of_an_imported_extract_at_their_own_points(
        tmp_path: Path) -> None:
    """An imported village keeps its GeoNames coordinates: one 15 km east of Aleppo is
    near it, Khirbat al-Jawz (about 75 km south-west) is not."""
    from monitor.catalog.extracts import import_extract
    from tests.test_places_import import VILLAGE, row, write_extract

    path = config(tmp_path, "  - name: Around Aleppo\n    near: {place: Aleppo, km: 30}\n")
    close = row(9200001, "Qaryat al-Ikhtibar", "قرية الاختبار", lat="36.20124",
                lon="37.32850")
    extract = write_extract(tmp_path / "SY.txt", [close, VILLAGE])
    import_extract(extract, tmp_path / "gazetteer")
    cfg = load_config(path, env={})
    [hit] = place_hits(cfg, "Shelling hit Qaryat al-Ikhtibar at dawn.")
    assert hit.point is not None and (hit.point.lat, hit.point.lon) == (36.20124, 37.3285)
    assert hit.point.km is not None and 14 <= hit.point.km <= 16
    assert not place_hits(cfg, "Residents of Khirbat al-Jawz fled overnight.")


def test_an_ambiguous_near_place_gets_the_same_note_as_a_place(tmp_path: Path) -> None:
    cfg = loaded(tmp_path, "  - name: R\n    near: {place: Tripoli, km: 20}\n")
    [note] = [str(n) for n in cfg.notes]
    assert "watchlists/w.yaml:4:19: note: 'Tripoli' is taken as Tripoli" in note
    assert "(LB)" in note  # how to write the Lebanese one


def test_feed_paths_name_a_watchlist_and_a_format() -> None:
    from monitor.alertfeed import ALL, feed_name, feed_route

    assert feed_route("/feeds/alerts.geojson") == (ALL, "geojson")
    assert feed_route("/feeds/syria%20war.cap") == ("syria war", "cap")
    assert feed_route("/feeds/syria.atom") == ("syria", "atom")
    assert feed_route("/feeds/syria.rss") is None and feed_route("/feeds/.geojson") is None
    assert feed_route("/feeds/a/b.geojson") is None
    assert feed_name("/feeds/syria.geojson") is None  # feed_name is the Atom feeds' alone
    assert feed_name("/feeds/alerts.atom") == ALL

"""Place rules an analyst can trust: names matched as names, the longest known name wins,
readings that can be predicted, the everyday forms of names (real catalog, real matcher)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.catalog import Catalog
from monitor.match import Matcher
from monitor.match.spec import RuleSpec, Term
from monitor.records import Document
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def fires(catalog: Catalog, place: str, text: str, *, within: bool = False,
          also: tuple[str, ...] = ()) -> bool:
    terms = [t for name in (place, *also) for t in catalog.place_terms(name, within=within)]
    rule = RuleSpec("w", "r", places=tuple(terms))
    return bool(Matcher.compile([rule]).match(Document(title="", text=text)))


def test_hama_does_not_fire_on_an_article_about_hamas(catalog: Catalog) -> None:
    assert not fires(catalog, "Hama", "Hamas fighters and Hamas's leaders met in Doha.")
    assert fires(catalog, "Hama", "Shelling hit the countryside of Hama.")
    assert fires(catalog, "Hama", "Hama's hospitals are full.")  # the possessive is the name


def test_names_get_no_plural_or_split_variants_but_keywords_do(catalog: Catalog) -> None:
    assert not fires(catalog, "Turkey", "We roasted two turkeys for the holiday.")
    assert not fires(catalog, "Andover", "It was all said and over in a minute.")
    assert fires(catalog, "Andover", "Police in Andover said two men were held.")
    plural = RuleSpec("w", "r", keywords=("airstrike",))
    assert Matcher.compile([plural]).match(Document("", "Two airstrikes and an air strike."))


def test_a_name_splits_only_where_it_does_or_at_a_hyphen() -> None:
    rule = RuleSpec("w", "r", groups=(Term("al-Qaeda", name=True),))
    matcher = Matcher.compile([rule])
    assert matcher.match(Document("", "al Qaeda claimed it"))
    assert matcher.match(Document("", "AlQaeda claimed it"))
    split = RuleSpec("w", "r", places=(Term("Andover", name=True),))
    assert not Matcher.compile([split]).match(Document("", "and over"))
    assert Matcher.compile([split]).match(Document("", "And-over"))


def test_florida_means_the_us_state(catalog: Catalog) -> None:
    florida = catalog.place("Florida")
    assert (florida.kind, florida.country) == ("region", "US")
    note = catalog.reading_note("Florida") or ""
    assert "Florida (CU)" in note and "Florida (UY)" in note
    assert catalog.place("Florida (CU)").country == "CU"


@pytest.mark.parametrize(("name", "country", "kind"), [
    ("Virginia", "US", "region"), ("Ontario", "CA", "region"), ("Indiana", "US", "region"),
    ("Georgia", "GE", "country"), ("Georgia (US)", "US", "region"), ("Paris", "FR", "city"),
    ("London", "GB", "city"), ("Medina", "SA", "city"), ("Palestine", "PS", "country"),
    ("Washington", "US", "city"), ("Washington (state)", "US", "region"),
    ("Garden City", "US", "city"), ("Aleppo", "SY", "city"), ("Tripoli", "LY", "city"),
])
def test_countries_divisions_and_famous_referents_outrank_same_named_towns(
        catalog: Catalog, name: str, country: str, kind: str) -> None:
    place = catalog.place(name)
    assert (place.country, place.kind) == (country, kind), place


def test_an_ambiguous_name_says_how_to_qualify_the_other_readings(catalog: Catalog) -> None:
    assert "Georgia (US)" in (catalog.reading_note("Georgia") or "")
    assert "Paris (US)" in (catalog.reading_note("Paris") or "")
    assert catalog.reading_note("Paris (FR)") is None  # already qualified
    assert catalog.reading_note("Aleppo") is None  # one place, with its governorate


def test_york_does_not_fire_inside_new_york(catalog: Catalog) -> None:
    assert not fires(catalog, "York", "Officials in New York said the talks had stalled.")
    assert fires(catalog, "York", "Flooding closed roads in York and Leeds.")
    # ... unless the rule names both.
    assert fires(catalog, "York", "Officials in New York said so.", also=("New York",))
    assert not fires(catalog, "Mexico City", "Troops moved to the border of Mexico.")
    assert not fires(catalog, "Sudan", "Fighting spread in South Sudan.")
    assert fires(catalog, "Sudan", "Fighting spread in Sudan and South Sudan.")


def test_names_that_contain_a_place_are_not_the_place(catalog: Catalog) -> None:
    assert not fires(catalog, "Washington", "The Washington Post reported the strike.")
    assert fires(catalog, "Washington", "Envoys left Washington on Friday.")
    assert not fires(catalog, "United States", "Protests spread across South America.")


def test_the_area_named_after_a_place_does_not_hide_it(catalog: Catalog) -> None:
    assert fires(catalog, "Idlib", "Shelling in Idlib province killed four.")
    assert fires(catalog, "Hama", "Raids on the northern Hama countryside.")
    assert not fires(catalog, "Orange", "Fires spread across Orange County.")


def test_gaza_is_the_strip_and_the_city_can_be_asked_for(catalog: Catalog) -> None:
    assert catalog.place("Gaza").name == "Gaza Strip"
    assert fires(catalog, "Gaza", "Aid trucks entered Gaza City and the Gaza Strip.")
    assert catalog.place("Gaza (city)").kind == "city"


def test_compass_words_do_not_hide_the_place(catalog: Catalog) -> None:
    assert fires(catalog, "Aleppo", "Rebels held east Aleppo for four years.")
    assert fires(catalog, "London", "A fire in east London injured two.")


def test_united_states_fires_on_its_everyday_forms(catalog: Catalog) -> None:
    for text in ("U.S. envoys arrived.", "The US said.", "A USA team.", "America votes."):
        assert fires(catalog, "United States", text), text
    assert not fires(catalog, "United States", "Let us go.")
    for short, country in (("UK", "United Kingdom"), ("Britain", "United Kingdom"),
                           ("UAE", "United Arab Emirates"), ("DRC", "Democratic Republic "
                                                                   "of the Congo")):
        assert fires(catalog, country, f"Officials in the {short} said."), short


def test_a_local_name_that_folds_to_a_word_is_not_an_alias(catalog: Catalog) -> None:
    assert not fires(catalog, "Iceland", "Island nations met in Fiji. The island is small.")
    assert fires(catalog, "Iceland", "Iceland's volcano erupted.")


def test_a_name_that_is_a_word_matches_only_capitalised(catalog: Catalog) -> None:
    assert fires(catalog, "Reading", "Police in Reading said.")
    assert fires(catalog, "Reading", "READING FESTIVAL CANCELLED")
    assert not fires(catalog, "Reading", "After reading the report, he left.")


def test_conflict_zone_spellings_and_regions_are_known(catalog: Catalog) -> None:
    assert fires(catalog, "Raqqa", "Airstrikes hit Raqa overnight.")
    assert fires(catalog, "Sidon", "A protest in Saida.")
    assert fires(catalog, "Qamishli", "Qamishli airport was closed.")
    assert fires(catalog, "Deir ez-Zor", "Clashes in Deir al-Zour province.")
    for region in ("Ghouta", "West Bank", "Gaza Strip", "Golan Heights", "Kurdistan",
                   "Sinai", "Donbas"):
        assert catalog.place(region).kind == "user", region
    assert fires(catalog, "Ghouta", "Shelling of Eastern Ghouta resumed.")
    assert fires(catalog, "Syria", "Drones over the Golan Heights.", within=True)


def test_qualified_official_names_resolve(catalog: Catalog) -> None:
    assert catalog.place("Washington, D.C.").country == "US"
    assert catalog.place("State of Tamil Nādu").kind == "region"
    assert catalog.place("Afrin District").country == "SY"
    assert catalog.place("Republic of Tunisia").country == "TN"


def test_means_in_a_users_places_file_changes_the_reading(tmp_path: Path) -> None:
    places = tmp_path / "places.yaml"
    places.write_text("Paris: {means: Paris (US)}\n", encoding="utf-8")
    assert Catalog.load(places).place("Paris").country == "US"
    places.write_text("Paris: {means: Nowhere Land}\n", encoding="utf-8")
    with pytest.raises(Exception, match="means: unknown place 'Nowhere Land'"):
        Catalog.load(places)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="Hamas ', .-", min_size=0, max_size=40))
def test_hama_fires_only_where_the_word_hama_stands_alone(text: str) -> None:
    """Oracle: the rule fires exactly when the text has "hama" as a whole word (letters
    around it neither side), whatever the punctuation and case around."""
    import re

    terms = Catalog.load().place_terms("Hama")
    rule = RuleSpec("w", "r", places=terms)
    fired = bool(Matcher.compile([rule]).match(Document("", text)))
    assert fired == bool(re.search(r"(?<![a-z])hama(?![a-z])", text.lower()))


def test_check_notes_an_ambiguous_place_and_test_shows_the_place_taken(
        bundled_config: Path, tmp_path: Path) -> None:
    (bundled_config.parent / "watchlists" / "desk.yaml").write_text(textwrap.dedent("""\
        name: desk
        rules:
          - name: florida
            places: [Florida]
        """), encoding="utf-8")
    checked = run_cli("check", "--config", str(bundled_config))
    assert checked.returncode == 0, checked.stderr
    assert "desk.yaml:4:" in checked.stdout + checked.stderr
    assert "'Florida' is taken as Florida (state, US)" in checked.stdout + checked.stderr
    article = tmp_path / "article.txt"
    article.write_text("Storm nears Florida\nThe storm reached the coast.\n", encoding="utf-8")
    tested = run_cli("test", "--config", str(bundled_config), str(article))
    assert tested.returncode == 0, tested.stderr
    assert "Florida → Florida (state, US)" in tested.stdout

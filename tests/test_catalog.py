"""The gazetteer and groups catalog, on the real package data (no mocks)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.catalog import Catalog, CatalogError, fold_key
from monitor.match.spec import Term
from monitor.records import Point

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The shipped catalogs only."""
    return Catalog.load()


def keys(terms: tuple[Term, ...]) -> set[str]:
    return {fold_key(t.text) for t in terms}


def texts(terms: tuple[Term, ...]) -> set[str]:
    return {t.text for t in terms}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- places


def test_aleppo_has_its_real_names_and_not_the_noise(catalog: Catalog) -> None:
    terms = catalog.place_terms("Aleppo")
    aleppo = Point(36.20124, 37.16117)  # every term carries the city's coordinates
    assert terms[0] == Term("Aleppo", concept="Aleppo", name=True, point=aleppo)
    assert {"Halab", "Alep", "Alepo", "Haleb", "Halep", "حلب"} <= texts(terms)
    found = keys(terms)
    for noise in ("ALP", "Veroia", "Beria", "Berea", "Beroea", "hlb", "a lei po", "halaba"):
        assert fold_key(noise) not in found, noise
    assert all(t.concept == "Aleppo" and t.weight == 1.0 and not t.exact_case for t in terms)


def test_the_name_asked_for_is_always_a_term(catalog: Catalog) -> None:
    assert catalog.place_terms("Halab")[0] == Term("Halab", concept="Aleppo", name=True,
                                                   point=Point(36.20124, 37.16117))
    assert catalog.place_terms("Raqqa")[0].text == "Raqqa"
    assert catalog.place_terms("Tripoli, Lebanon")[0].text == "Tripoli"


def test_terms_are_deduplicated_by_folded_form(catalog: Catalog) -> None:
    for terms in (
        catalog.place_terms("Aleppo"),
        catalog.place_terms("Syria", within=True),
        catalog.place_terms("Deir ez-Zor"),
        catalog.group_terms("ISIS"),
    ):
        folded = [fold_key(t.text) for t in terms]
        assert len(folded) == len(set(folded))
    # Ḩalab (the governorate, and a spelling of the city) and Halab fold to one term.
    assert sum(fold_key(t.text) == "halab" for t in catalog.place_terms("Aleppo")) == 1


def test_a_city_comes_with_its_governorate_and_qualifiers_pick_one(catalog: Catalog) -> None:
    governorate = catalog.place_terms("Aleppo (governorate)")
    assert {t.concept for t in governorate} == {"Ḩalab"}
    assert "Ḩalab" in texts(governorate) and "حلب" not in texts(governorate)
    assert "Manbij" in {t.concept for t in catalog.place_terms("Aleppo (governorate)", within=True)}
    city = catalog.place_terms("Aleppo (city)")
    assert texts(city) == texts(catalog.place_terms("Aleppo"))  # the governorate adds no name
    assert {t.concept for t in catalog.place_terms("Homs")} == {"Homs"}


def test_syria_within_adds_governorates_and_towns(catalog: Catalog) -> None:
    plain = catalog.place_terms("Syria")
    assert {"Syria", "Syrian Arab Republic", "سوريا"} <= texts(plain)
    assert "aleppo" not in keys(plain)
    found = keys(catalog.place_terms("Syria", within=True))
    for name in ("Idlib", "Homs", "Aleppo", "Manbij", "Hama", "Rif Dimashq"):
        assert fold_key(name) in found, name
    assert {"raqqa", "ar raqqah"} & found
    assert {"deir ez zor", "deir al zor", "dayr az zawr"} & found
    # a town of 50,000+ is in, a village is not; common words and other meanings are out
    assert "kobani" in found and "saraqib" not in found
    for wrong in ("tell", "tall", "duma", "al sham", "veroia"):
        assert wrong not in found, wrong


def test_ambiguous_names_resolve_by_the_documented_rule(catalog: Catalog) -> None:
    libya = catalog.place_terms("Tripoli")
    lebanon = catalog.place_terms("Tripoli, Lebanon")
    assert texts(catalog.place_terms("Tripoli (LB)")) == texts(lebanon)
    assert "tarabulus" in keys(libya) and "tarabulus" not in keys(lebanon)
    assert "طرابلس الشام" in texts(lebanon)
    # An alternate name another place has as its main name goes to that place.
    assert catalog.place_terms("Veroia")[0].concept == "Véroia"
    assert catalog.place_terms("Calcutta")[0].concept == "Kolkata"
    # A name the shipped corrections take from a place no longer leads to it.
    assert catalog.place_terms("Berea")[0].concept == "Berea"
    # A name several subdivisions share is the most populous country's, with a note.
    assert catalog.place("Punjab").country == "IN"
    assert "Punjab (PK)" in (catalog.reading_note("Punjab") or "")
    with pytest.raises(LookupError, match="neither a country"):
        catalog.place_terms("Aleppo (downtown)")


def test_unknown_place_suggests_a_name(catalog: Catalog) -> None:
    with pytest.raises(LookupError) as err:
        catalog.place_terms("Aleppoo")
    assert err.value.args[0] == "unknown place 'Aleppoo'; did you mean 'Aleppo'?"
    with pytest.raises(LookupError, match="unknown place 'Qwxzvbn'"):
        catalog.place_terms("Qwxzvbn")


def test_short_user_names_are_exact_case(tmp_path: Path) -> None:
    places = write(tmp_path, "places.yaml", "Hit town: [Hit, هيت]\n")
    terms = [replace(t, longer=()) for t in Catalog.load(places).place_terms("Hit town")]
    assert Term("Hit", exact_case=True, concept="Hit town", name=True) in terms
    assert Term("هيت", concept="Hit town", name=True) in terms


def test_user_places_add_remove_and_define(tmp_path: Path) -> None:
    places = write(
        tmp_path,
        "places.yaml",
        """\
        Aleppo: {add: [Halab al-Shahba], remove: [Haleb, Halab]}
        Tal Rifaat: [Tell Rifat, تل رفعت]
        Al-Hol: {add: [al-Hawl], in: Syria}
        Afrin: {in: Aleppo}
        Homs: {replace: true, add: [Hims]}
        """,
    )
    catalog = Catalog.load(places)
    aleppo = keys(catalog.place_terms("Aleppo"))
    assert "halab al shahba" in aleppo and "alep" in aleppo
    assert "haleb" not in aleppo and "halab" not in aleppo  # nor the governorate's Ḩalab
    assert catalog.place_terms("Tal Rifaat") == (
        Term("Tal Rifaat", concept="Tal Rifaat", name=True),
        Term("Tell Rifat", concept="Tal Rifaat", name=True),
        Term("تل رفعت", concept="Tal Rifaat", name=True),
    )
    assert catalog.place_terms("al-hawl")[0].concept == "Al-Hol"
    syria = keys(catalog.place_terms("Syria", within=True))
    assert {"al hol", "al hawl"} <= syria
    assert "afrin" in syria  # in Aleppo, so in Syria; under 50,000 otherwise left out
    assert "afrin" in keys(catalog.place_terms("Aleppo", within=True))
    assert texts(catalog.place_terms("Homs")) == {"Homs", "Hims"}
    assert "Tal Rifaat" in catalog.places() and "Aleppo" in catalog.places()


def test_missing_user_files_mean_the_shipped_catalogs(tmp_path: Path) -> None:
    catalog = Catalog.load(tmp_path / "nope.yaml", tmp_path / "nope2.yaml")
    assert texts(catalog.group_terms("ISIS")) == texts(Catalog.load().group_terms("ISIS"))
    assert catalog.place_terms("Aleppo") == Catalog.load().place_terms("Aleppo")


def test_shipped_config_files_load() -> None:
    catalog = Catalog.load(CONFIG / "places.yaml", CONFIG / "groups.yaml")
    assert "halab al shahba" in keys(catalog.place_terms("Aleppo"))
    assert "jaish al izza" in keys(catalog.group_terms("Jaysh al-Izza"))


def test_shipped_corrections_still_apply() -> None:
    """Every correction in monitor/data/places.yaml names a place the gazetteer has, and every
    name it removes is one the gazetteer would otherwise produce: a data update that breaks
    them fails here rather than silently bringing the names back."""
    from monitor.catalog.files import shipped_file
    from monitor.catalog.resolve import resolve
    from monitor.catalog.snapshot import get_gazetteer

    catalog, gaz = Catalog.load(), get_gazetteer()
    overlay = catalog._overlay()
    for edit in shipped_file("places"):
        unit, _ = resolve(edit.name, gaz, overlay, user=False)
        if not edit.remove:
            continue
        assert unit.main[0] == "city", edit.name
        raw = {fold_key(n) for n in gaz.cities.names(unit.main[1])}
        for name in edit.remove:
            assert fold_key(name) in raw, (edit.name, name)
        removed = {fold_key(n) for n in edit.remove} - {fold_key(edit.name)}  # asked for: kept
        assert not keys(catalog.place_terms(edit.name)) & removed


def test_a_fresh_catalog_looks_up_names_without_building_the_gazetteer_again(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gazetteer is built once per process (about a second) and shared by every Catalog,
    so a fresh Catalog.load, as a reload makes, answers at once. Lookup speed itself is
    measured by bench/catalog_speed.py."""
    import monitor.catalog.snapshot as catalog_module

    catalog.place_terms("Aleppo")  # builds the gazetteer, if no test before did
    cities = catalog_module.get_gazetteer().cities
    names = [cities.name(i) for i in range(0, len(cities), len(cities) // 1000)][:1000]

    def built_again() -> None:
        raise AssertionError("the gazetteer was built a second time")

    monkeypatch.setattr(catalog_module, "Gazetteer", built_again)
    fresh = Catalog.load(CONFIG / "places.yaml", CONFIG / "groups.yaml")
    assert all(fresh.place_terms(name) for name in names)


# --------------------------------------------------------------------------- groups


def test_isis_aliases_and_exact_case(catalog: Catalog) -> None:
    terms = catalog.group_terms("ISIS")
    assert {"Daesh", "Islamic State", "ISIL", "داعش"} <= texts(terms)
    assert Term("IS", exact_case=True, concept="ISIS", name=True) in terms
    assert Term("ISIS", concept="ISIS", name=True) in terms
    assert all(t.concept == "ISIS" for t in terms)
    assert catalog.group_terms("daesh") == terms  # any alias, any case


@pytest.mark.parametrize(
    ("group", "alias", "exact"),
    [
        ("United Nations", "UN", True),
        ("World Health Organization", "WHO", True),
        ("World Health Organization", "World Health Organization", False),
        ("Syrian Arab Army", "SAA", True),
        ("Hayat Tahrir al-Sham", "HTS", True),
        ("al-Qaeda", "AQ", True),
        ("Free Syrian Army", "SNA", True),
        ("Syrian Democratic Forces", "قسد", False),
        ("UNICEF", "UNICEF", False),
    ],
)
def test_exact_case_rule(catalog: Catalog, group: str, alias: str, exact: bool) -> None:
    found = {t.text: t.exact_case for t in catalog.group_terms(group)}
    assert found[alias] is exact


def test_catalog_covers_the_domain(catalog: Catalog) -> None:
    expected = {
        "Syrian Democratic Forces": ["SDF", "Syria Democratic Forces", "قسد"],
        "Hayat Tahrir al-Sham": ["HTS", "Tahrir al-Sham", "هيئة تحرير الشام"],
        "Jabhat al-Nusra": ["Nusra Front", "Jabhat Fateh al-Sham"],
        "Nour al-Din al-Zinki Movement": ["Zenki", "Nour al-Din al-Zenki Movement"],
        "Free Syrian Army": ["FSA", "Syrian National Army"],
        "People's Protection Units": ["YPG"],
        "Kurdistan Workers' Party": ["PKK"],
        "Hezbollah": ["Hizbullah", "Hizballah"],
        "al-Qaeda": ["al-Qaida", "AQ"],
        "International Committee of the Red Cross": ["ICRC", "Red Cross"],
        "Syrian Arab Red Crescent": ["SARC", "Red Crescent"],
        "White Helmets": ["Syria Civil Defence"],
        "World Food Programme": ["WFP"],
        "Médecins Sans Frontières": ["MSF", "Doctors Without Borders"],
        "Syrian Observatory for Human Rights": ["SOHR"],
    }
    for group, aliases in expected.items():
        assert set(aliases) <= texts(catalog.group_terms(group)), group
    assert {"ISIS", "UNHCR", "OCHA", "Ahrar al-Sham", "Jaish al-Islam"} <= set(catalog.groups())


def test_user_groups_extend_the_catalog(tmp_path: Path) -> None:
    groups = write(
        tmp_path,
        "groups.yaml",
        """\
        Jaysh al-Izza: [Jaish al-Izza, JAI]
        Daesh:                      # a known group, named by an alias
          aliases: [IS fighters, Isis]
          remove: [Daish]
          exact_case: [ISIL]
        Free Syrian Army: {replace: true, aliases: [FSA]}
        """,
    )
    catalog = Catalog.load(groups_file=groups)
    assert texts(catalog.group_terms("Jaish al-Izza")) == {"Jaysh al-Izza", "Jaish al-Izza", "JAI"}
    jai = Term("JAI", exact_case=True, concept="Jaysh al-Izza", name=True)
    assert jai in catalog.group_terms("JAI")
    isis = {t.text: t for t in catalog.group_terms("ISIS")}
    assert "IS fighters" in isis and "Daish" not in isis and "Daesh" in isis
    assert isis["ISIL"].exact_case and len([k for k in isis if fold_key(k) == "isis"]) == 1
    assert texts(catalog.group_terms("FSA")) == {"Free Syrian Army", "FSA"}
    assert "Jaysh al-Izza" in catalog.groups()


def test_unknown_group_suggests_a_name(catalog: Catalog) -> None:
    with pytest.raises(LookupError) as err:
        catalog.group_terms("Hezbolah")
    assert err.value.args[0] == "unknown group 'Hezbolah'; did you mean 'Hezbollah'?"


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        ("places.yaml", "Aleppo: {add: [Halab\n", ":2:1: ", "YAML syntax error"),
        (
            "places.yaml",
            "Aleppo:\n  add: [Halab]\n  remvoe: [Haleb]\n",
            ":3:3: ",
            "unknown key 'remvoe'",
        ),
        ("places.yaml", "Aleppo:\n  add: {x: 1}\n", ":2:8: ", "add must be a name or a list"),
        (
            "places.yaml",
            "New place: {add: [X1], in: Xyzzyland}\n",
            ":1:28: ",
            "in: unknown place 'Xyzzyland'",
        ),
        ("places.yaml", "- Aleppo\n", ":1:1: ", "expected a mapping of names"),
        (
            "groups.yaml",
            "ISIS:\n  aliases: [Daesh]\n  exact_case: [DAESH, ISL]\n",
            ":3:23: ",
            "exact_case: 'ISL' is not the name or one of the aliases of 'ISIS'",
        ),
        ("groups.yaml", "ISIS: 3\n", ":1:7: ", "expected a list of names or a mapping"),
    ],
)
def test_bad_files_raise_catalog_error_with_position(
    tmp_path: Path, name: str, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(CatalogError) as err:
        if name == "places.yaml":
            Catalog.load(places_file=path)
        else:
            Catalog.load(groups_file=path)
    first = str(err.value).splitlines()[0]
    assert first.startswith(f"{path}{where}"), first
    assert message in first
    assert err.value.problems


def _latin_name_ok_spec(name: str) -> bool:
    """The form rule for a Latin name, written plainly (the module's is optimised)."""
    from monitor.catalog import names as n

    if name[0].islower() and name.split(" ", 1)[0].split("-", 1)[0] not in n._PARTICLES:
        return False
    if n.letters(name) < n.MIN_ALIAS_LETTERS or name.isupper():
        return False
    capitalised = long_word = False
    for word in n._WORD_SPLIT.split(name):
        word = word.strip(n._APOSTROPHES + ".")
        if not word:
            continue
        if word.lower() not in n._PARTICLES and len(word) >= 3:
            long_word = True
        if word[0].isupper():
            capitalised = True
        elif word.lower() not in n._PARTICLES:
            return False
    return capitalised and long_word


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AaDdeHhlLbZz ʻ'’-.é\u0301", min_size=1, max_size=14))
def test_the_latin_name_form_rule_is_the_plain_rule(name: str) -> None:
    from monitor.catalog import names as n

    if n._LATIN_NAME.fullmatch(name):
        assert n._latin_name_ok(name) == _latin_name_ok_spec(name)


def test_a_one_word_name_is_judged_without_the_apostrophes_around_it() -> None:
    """Found by the property test above: the one-word fast path counted "Aaʻʻ" as a
    four-letter word, where the rule strips the ʻ marks and finds "Aa", too short."""
    from monitor.catalog import names as n

    assert not n._latin_name_ok("Aaʻʻ")
    assert n._latin_name_ok("ʻAla") == _latin_name_ok_spec("ʻAla")
    assert n._latin_name_ok("Halab")

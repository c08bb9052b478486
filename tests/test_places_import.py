"""`news-monitor places import`: GeoNames extracts (villages) read as untrusted input, stored
next to the config, and joined to the gazetteer without changing what existing names mean."""

from __future__ import annotations

import contextlib
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.catalog import Catalog
from monitor.catalog.extracts import import_extract, read_header, stored_records
from monitor.catalog.geonames import (
    MAX_ALTERNATE_NAMES,
    MAX_LINE_BYTES,
    GeonamesError,
    ReadStats,
    read_extract,
    read_rows,
)
from monitor.config import load_config
from tests.conftest import run_cli, write_config


def row(geonameid: int, name: str, alternates: str = "", *, fclass: str = "P",
        code: str = "PPL", admin1: str = "12", population: int = 0,
        country: str = "SY", lat: str = "35.96796", lon: str = "36.70251") -> str:
    """One line in the 19-column format of download.geonames.org/export/dump/XX.zip."""
    return "\t".join([str(geonameid), name, name.encode("ascii", "replace").decode(),
                      alternates, lat, lon, fclass, code, country, "", admin1, "", "", "",
                      str(population), "", "380", "Asia/Damascus", "2024-03-01"])


ALEPPO = row(170063, "Aleppo", "ALP,Alep,Alepo,Aleppo,Halab,Haleb,Halep,حلب", code="PPLA",
             admin1="09", population=2098210, lat="36.20124", lon="37.16117")
VILLAGE = row(9100001, "Khirbat al-Jawz", "Khirbet el Jozeh,خربة الجوز", population=200,
              lat="35.95", lon="36.38")
FOUA = row(9100002, "Al Fū‘ah", "Foua,Fouaa,Fu'ah,al-Fu'ah,الفوعة")
GOVERNORATE = row(9100003, "Aleppo Governorate", "Aleppo,Halab,Muhafazat Halab,محافظة حلب",
                  fclass="A", code="ADM1", admin1="09", population=4868000)
HOTEL = row(9100004, "Aleppo Grand Hotel", fclass="S", code="HTL", admin1="09")
MALFORMED = "9100005\tbroken\trow\t1\t2\t3\tP"
EXTRACT = [ALEPPO, VILLAGE, FOUA, MALFORMED, GOVERNORATE, HOTEL]  # line 4 is malformed

VILLAGE_ARTICLE = ("Shelling reported near the border\n"
                   "Residents of Khirbat al-Jawz fled overnight after shelling.\n")
FOUA_ARTICLE = "Evacuation deal\nBuses left Fouaa and Kefraya on Sunday.\n"


def write_extract(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_zip(path: Path, lines: list[str], member: str = "SY.txt") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "GeoNames readme\tnot\tdata\n")
        archive.writestr(member, "\n".join(lines) + "\n")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with a rule for Syria `within: true` and one for Foua."""
    path = write_config(tmp_path / "config", sources=[], rules=[
        {"name": "Anywhere in Syria", "places": ["Syria"], "within": True,
         "keywords": ["shelling"]},
        {"name": "Foua", "places": ["Foua"]},
    ])
    (tmp_path / "village.txt").write_text(VILLAGE_ARTICLE, encoding="utf-8")
    (tmp_path / "foua.txt").write_text(FOUA_ARTICLE, encoding="utf-8")
    return path


def fires(config: Path, article: Path) -> str:
    result = run_cli("test", "-c", str(config), str(article))
    assert result.returncode in (0, 1), result.stderr
    return result.stdout if result.returncode == 0 else ""


def test_without_an_import_neither_the_village_nor_foua_is_known(config: Path) -> None:
    check = run_cli("check", "-c", str(config))
    assert check.returncode == 0, check.stderr
    assert "note: unknown place 'Foua'" in check.stderr
    assert not fires(config, config.parent.parent / "village.txt")
    assert not fires(config, config.parent.parent / "foua.txt")  # "Foua" as written only


def test_within_syria_fires_on_an_article_naming_only_an_imported_village(
        config: Path, tmp_path: Path) -> None:
    result = run_cli("places", "import", str(write_extract(tmp_path / "SY.txt", EXTRACT)),
                     "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "SY: 3 populated places, 1 administrative area, 0 regions with ")
    assert "config/gazetteer/SY.tsv; `within: true` on Syria now covers them" in result.stdout
    out = fires(config, tmp_path / "village.txt")
    assert "Anywhere in Syria" in out and "Khirbat al-Jawz" in out


def test_an_imported_alternate_name_finds_its_village(config: Path, tmp_path: Path) -> None:
    """`places: [Foua]` is al-Fu'ah, a village of population 0 in the extract, and so
    matches its other spellings."""
    run_cli("places", "import", str(write_extract(tmp_path / "SY.txt", EXTRACT)),
            "-c", str(config))
    check = run_cli("check", "-c", str(config))
    assert check.returncode == 0 and "Foua" not in check.stderr, check.stderr
    out = fires(config, tmp_path / "foua.txt")
    assert "Foua (test-watch)" in out and "Fouaa" in out


def test_a_zip_as_downloaded_imports_the_same_rows(config: Path, tmp_path: Path) -> None:
    plain = import_extract(write_extract(tmp_path / "SY.txt", EXTRACT), tmp_path / "a")
    zipped = run_cli("places", "import", str(write_zip(tmp_path / "SY.zip", EXTRACT)),
                     "-c", str(config))
    assert zipped.returncode == 0, zipped.stderr
    stored = config.parent / "gazetteer" / "SY.tsv"
    assert list(stored_records(stored)) == list(stored_records(plain.path))
    assert read_header(stored).source == "SY.zip:SY.txt"
    assert "Anywhere in Syria" in fires(config, tmp_path / "village.txt")


def test_a_malformed_row_is_reported_by_line_number_and_skipped(
        config: Path, tmp_path: Path) -> None:
    result = run_cli("places", "import", str(write_extract(tmp_path / "SY.txt", EXTRACT)),
                     "-c", str(config))
    assert result.returncode == 0
    assert "1 row skipped (line 4: expected 19 columns, found 7)" in result.stderr
    assert "1 other feature left out" in result.stdout  # the hotel
    ids = {r["geonameid"] for r in stored_records(config.parent / "gazetteer" / "SY.tsv")}
    assert ids == {170063, 9100001, 9100002, 9100003}
    assert "Traceback" not in result.stderr


def test_reimporting_a_country_replaces_its_file_and_a_reload_sees_it(
        config: Path, tmp_path: Path) -> None:
    directory = config.parent / "gazetteer"
    import_extract(write_extract(tmp_path / "SY.txt", [VILLAGE]), directory)
    before = load_config(config)
    import_extract(write_extract(tmp_path / "SY.txt", [FOUA]), directory)
    after = load_config(config)  # in the same process, as a reload
    assert sorted(p.name for p in directory.iterdir()) == ["SY.tsv"]
    assert [r["name"] for r in stored_records(directory / "SY.tsv")] == ["Al Fū‘ah"]
    concepts = {r.name: {t.concept for t in r.places} for r in after.rules}
    assert "Al Fū‘ah" in concepts["Foua"]
    assert "Khirbat al-Jawz" in {t.text for t in before.rules[0].places}
    assert "Khirbat al-Jawz" not in {t.text for t in after.rules[0].places}


def test_what_is_not_an_extract_is_an_error_saying_what_to_download(
        config: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "SY.txt"
    wrong.write_text("name\tlat\tlon\nAleppo\t36.2\t37.1\n", encoding="utf-8")
    result = run_cli("places", "import", str(wrong), "-c", str(config))
    assert result.returncode == 1
    assert ("line 1 has 3 columns; a GeoNames extract has 19 tab-separated columns of UTF-8 "
            "text (download https://download.geonames.org/export/dump/SY.zip)") in result.stderr
    missing = run_cli("places", "import", str(tmp_path / "nope.zip"), "-c", str(config))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    readme_only = tmp_path / "SY.zip"
    with zipfile.ZipFile(readme_only, "w") as archive:
        archive.writestr("readme.txt", "hello")
    result = run_cli("places", "import", str(readme_only), "-c", str(config))
    assert result.returncode == 1 and "no country extract (XX.txt) inside" in result.stderr
    assert not (config.parent / "gazetteer").exists()  # nothing written for a bad file
    for out in (result, missing):
        assert "Traceback" not in out.stderr


def test_places_list_shows_each_country_with_its_counts(config: Path, tmp_path: Path) -> None:
    empty = run_cli("places", "list", "-c", str(config))
    assert empty.returncode == 0 and "no GeoNames extracts imported" in empty.stdout
    import_extract(write_extract(tmp_path / "SY.txt", EXTRACT), config.parent / "gazetteer")
    listed = run_cli("places", "list", "-c", str(config))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("SY  3 populated places, 1 administrative area, 0 regions")
    assert "from SY.txt" in listed.stdout and "CC BY 4.0" in listed.stdout


def test_a_stored_file_the_import_did_not_write_is_a_check_problem(config: Path) -> None:
    (config.parent / "gazetteer").mkdir()
    (config.parent / "gazetteer" / "SY.tsv").write_text("hello\n", encoding="utf-8")
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "gazetteer/SY.tsv:1:1: not a gazetteer file written by" in result.stderr


# --------------------------------------------------------------------------- the gazetteer


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder = tmp_path_factory.mktemp("extract")
    lines = [*EXTRACT, row(9100006, "Halab", population=3000),  # a governorate's name
             row(9100007, "Akkar", population=900),  # a Lebanese governorate's name
             row(9100008, "Homsi", "Homs", population=14000),  # a big city's name
             row(9100009, "Eastern Ghouta", "Ghouta,الغوطة الشرقية", fclass="L", code="RGN",
                 admin1="08")]
    import_extract(write_extract(folder / "SY.txt", lines), folder / "gazetteer")
    return Catalog.load(extracts=folder / "gazetteer")


def test_an_imported_place_never_takes_a_name_from_a_town_or_a_subdivision(
        imported: Catalog) -> None:
    plain = Catalog.load()
    for name in ("Aleppo", "Halab", "Homs", "Akkar", "Idlib"):
        assert imported.place(name).name == plain.place(name).name, name
    terms = {t.text for t in imported.place_terms("Syria", within=True)}
    assert "Homs" in terms and "Homsi" in terms and "Ghouta" in terms
    homsi = {t.text for t in imported.place_terms("Homsi")}
    assert "Homs" not in homsi  # asked for by name, it still leaves Homs its name


def test_within_a_governorate_takes_its_imported_places(imported: Catalog) -> None:
    idlib = {t.text for t in imported.place_terms("Idlib", within=True)}
    assert {"Khirbat al-Jawz", "Foua", "الفوعة"} <= idlib
    aleppo = {t.text for t in imported.place_terms("Aleppo (governorate)", within=True)}
    assert "Foua" not in aleppo
    # "Ghouta" is the shipped region; qualified, the name reaches the imported one.
    assert str(imported.place("Ghouta (SY)")) == "Eastern Ghouta (region (RGN), SY)"
    assert str(imported.place("Foua")) == "Al Fū‘ah (populated place, SY)"


# --------------------------------------------------------------------------- the reader


def test_bounds_a_long_line_and_the_names_of_a_row(tmp_path: Path) -> None:
    many = ",".join(f"Name{chr(65 + i % 26)}{i}" for i in range(500))
    long_line = row(9100010, "Long", "x" * (MAX_LINE_BYTES + 10))
    stats = ReadStats("SY.txt")
    records = list(read_extract(write_extract(tmp_path / "SY.txt", [
        VILLAGE, long_line, row(9100011, "Many Names", many)]), stats))
    assert [r["name"] for r in records] == ["Khirbat al-Jawz", "Many Names"]
    assert len(records[1]["alternatenames"]) == MAX_ALTERNATE_NAMES
    assert stats.skipped_lines == [f"line 2: longer than {MAX_LINE_BYTES:,} bytes"]


def test_an_extract_mixing_countries_is_refused(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "cities500.txt", [VILLAGE, row(9100012, "Tyre",
                                                                    country="LB")])
    with pytest.raises(GeonamesError, match="line 2 is a place in LB, earlier lines in SY"):
        list(read_extract(path))


def test_values_a_row_cannot_hold_skip_it(tmp_path: Path) -> None:
    bad = [row(0, "Zero id"), row(9100013, "Far", lat="91.0"), row(9100014, "٣"),
           row(9100015, "Huge", population=2**40), row(9100016, "Bad\x1bname"),
           row(9100017, "Nan", lon="nan"), row(9100018, "Not UTF-8 \udcff")]
    path = tmp_path / "SY.txt"
    path.write_bytes(b"\n".join(line.encode("utf-8", "surrogateescape")
                                for line in [VILLAGE, *bad]) + b"\n")
    stats = ReadStats("SY.txt")
    assert [r["geonameid"] for r in read_extract(path, stats)] == [9100001]
    assert stats.skipped == len(bad)
    assert stats.skipped_lines[0] == "line 2: geonameid '0' is not a number"


FIELD = st.text(st.characters(blacklist_characters="\t\n"), max_size=12) | st.sampled_from(
    ["P", "PPL", "A", "ADM1", "SY", "LB", "0", "4294967296", "-90.5", "1e5", "nan", "٣"])
ROW = st.lists(FIELD, min_size=19, max_size=19).map("\t".join)
LINES = st.lists(ROW | st.sampled_from([ALEPPO, VILLAGE, FOUA, MALFORMED, HOTEL, "", "x\ty"]),
                 max_size=8).map(lambda lines: "\n".join(lines).encode("utf-8", "replace"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000) | LINES, st.booleans())
def test_any_bytes_raise_nothing_but_the_readers_own_error(data: bytes, zipped: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("SY.zip" if zipped else "SY.txt")
        if zipped:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("SY.txt", data)
            data = buffer.getvalue()[:len(buffer.getvalue()) - (data[:1] or b"\0")[0] % 3]
        path.write_bytes(data)
        try:
            for record in read_extract(path):
                assert set(record) >= {"name", "countrycode", "population", "geonameid"}
        except GeonamesError as err:
            assert str(err) and "\n" not in str(err)
        with contextlib.suppress(GeonamesError):
            list(read_rows(io.BytesIO(data), ReadStats("x"), "x"))

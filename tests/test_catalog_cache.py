"""The gazetteer's disk cache and the "did you mean" index (monitor/catalog/diskcache.py,
snapshot.py, suggest.py): used when valid, rebuilt when its inputs change or the file is
damaged, and giving the same places, terms and suggestions as the gazetteer built afresh."""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import monitor
from monitor.catalog import Catalog, diskcache, files, shippedcache, snapshot
from monitor.catalog.gazetteer import Gazetteer
from monitor.catalog.names import fold_key
from monitor.catalog.towns import Ref

NAMES = [
    "Aleppo",
    "Idlib",
    "Tripoli",
    "Tripoli, Lebanon",
    "Washington",
    "Washington, D.C.",
    "Homs",
    "Halab",
    "Syria",
    "Florida",
    "Punjab",
    "Mexico City",
    "Gaza",
    "Zürich",
    "Damascus",
    "حلب",
    "Afrin District",
    "State of Tamil Nādu",
    "York",
    "London",
]


@pytest.fixture(scope="module")
def built() -> Gazetteer:
    """The gazetteer built from the packages, no cache involved (the oracle)."""
    return Gazetteer()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.CACHE_ENV, str(folder))
    return folder


def _file(folder: Path, kind: str = snapshot.KIND) -> Path:
    return folder / diskcache.key_name(kind, diskcache.data_key())


def _same_tables(a: Gazetteer, b: Gazetteer) -> None:
    for name in (
        "countries",
        "country_keys",
        "country_codes",
        "regions",
        "region_index",
        "suffixes",
    ):
        assert getattr(a, name) == getattr(b, name), name
    for column in (
        "text",
        "starts",
        "population",
        "countries",
        "admin1",
        "latitude",
        "longitude",
        "geonameid",
        "featurecode",
        "tier",
        "hashes",
        "entries",
    ):
        assert getattr(a.cities, column) == getattr(b.cities, column), column
    phrases_a, phrases_b = a.phrase_index(), b.phrase_index()  # one packed, one built
    assert phrases_a.keys == phrases_b.keys
    for word in {w for key in phrases_a.keys for w in key.split()}:
        assert phrases_a.names(word) == phrases_b.names(word), word
        assert phrases_a.count(word) == phrases_b.count(word), word


def test_the_first_start_writes_the_cache_and_the_next_reads_it_unchanged(folder, built):
    first = snapshot.cached_gazetteer()
    path = _file(folder)
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    second = snapshot.cached_gazetteer()
    assert path.stat().st_mtime_ns == stamp  # read, not built and written again
    _same_tables(second, built)
    _same_tables(first, built)


def test_a_new_package_version_builds_and_writes_a_new_index(folder, monkeypatch):
    snapshot.cached_gazetteer()
    old = _file(folder)
    monkeypatch.setattr(monitor, "__version__", "999.0")
    new = _file(folder)
    assert new != old and not new.exists()
    snapshot.cached_gazetteer()
    assert new.is_file()
    header = diskcache.read(snapshot.KIND, diskcache.data_key())
    assert header is not None


def test_a_change_to_the_imported_extracts_is_a_new_key(folder, tmp_path):
    extract = tmp_path / "SY.tsv"
    extract.write_text("x", encoding="utf-8")
    st1 = extract.stat()
    key = (str(extract), st1.st_mtime_ns, st1.st_size, st1.st_ino)
    changed = (str(extract), st1.st_mtime_ns + 1, st1.st_size, st1.st_ino)
    names = {
        diskcache.key_name("gazetteer", diskcache.data_key(k)) for k in ((), (key,), (changed,))
    }
    assert len(names) == 3


@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign", "empty", "other key"])
def test_a_damaged_or_foreign_cache_file_is_ignored_and_rebuilt(folder, built, damage):
    snapshot.cached_gazetteer()
    path = _file(folder)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    elif damage == "truncate":
        del data[len(data) // 3 :]
    elif damage == "foreign":
        data = bytearray(random.Random(1).randbytes(4096))
    elif damage == "empty":
        data = bytearray()
    else:  # a valid file of other data put under this name
        magic = len(diskcache.MAGIC)
        size = int.from_bytes(data[magic : magic + 8], "little")
        header = json.loads(data[magic + 8 : magic + 8 + size])
        header["key"]["version"] = "0.0.0-other"
        raw = json.dumps(header).encode()
        data = bytearray(
            diskcache.MAGIC + len(raw).to_bytes(8, "little") + raw + data[magic + 8 + size :]
        )
    path.write_bytes(bytes(data))
    assert diskcache.read(snapshot.KIND, diskcache.data_key()) is None
    again = snapshot.cached_gazetteer()
    _same_tables(again, built)
    assert diskcache.read(snapshot.KIND, diskcache.data_key()) is not None  # written anew


def test_an_unwritable_cache_folder_only_costs_the_build(tmp_path, monkeypatch, built):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv(diskcache.CACHE_ENV, str(blocker / "cache"))
    _same_tables(snapshot.cached_gazetteer(), built)


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    assert diskcache.cache_dir() is None
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "c"))
    assert diskcache.cache_dir() == tmp_path / "c"


def _expanded(catalog: Catalog) -> list:
    out = []
    for name in NAMES:
        for within in (False, True):
            out.append(
                (
                    catalog.place_terms(name, within=within),
                    str(catalog.place(name)),
                    catalog.reading_note(name),
                )
            )
    return out


def test_places_and_terms_with_the_cache_equal_those_without(folder, monkeypatch):
    monkeypatch.setattr(snapshot, "_gazetteers", {})
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    without = _expanded(Catalog.load())
    monkeypatch.setenv(diskcache.CACHE_ENV, str(folder))
    snapshot.cached_gazetteer()  # fills the cache
    monkeypatch.setattr(snapshot, "_gazetteers", {})
    assert _file(folder).is_file()
    with_cache = _expanded(Catalog.load())
    assert with_cache == without


# -- did you mean


def scan_suggestion_keys(gaz: Gazetteer, key: str, removed: dict[Ref, set[str]]) -> dict[str, str]:
    """The former scan of every name, per unknown name: the oracle for the index."""
    limit = max(2, len(key) // 4)
    first = key[:1]

    def near(candidate: str) -> bool:
        return candidate[:1] == first and abs(len(candidate) - len(key)) <= limit

    found: dict[str, str] = {}
    for cand, code in gaz.country_keys.items():
        if near(cand):
            found.setdefault(cand, gaz.countries[code].name)
    for region in gaz.regions:
        cand = fold_key(region.name)
        if near(cand):
            found.setdefault(cand, region.name)
    for city in range(len(gaz.cities)):
        names = gaz.cities.names(city)
        for name in names:
            if name[:1].casefold() == first or not name[:1].isascii():
                cand = fold_key(name)
                if (
                    near(cand)
                    and cand not in found
                    and not gaz.is_word(cand)
                    and gaz.owns(city, cand)
                    and cand not in removed.get(("city", city), ())
                ):
                    found[cand] = names[0]
    return found


def scan_suggestion(
    gaz: Gazetteer, key: str, removed: dict[Ref, set[str]], user: dict[str, str]
) -> str | None:
    candidates = scan_suggestion_keys(gaz, key, removed)
    for user_key, name in user.items():
        candidates.setdefault(user_key, name)
    close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=0.75)
    return candidates[close[0]] if close else None


@st.composite
def misspelt(draw, gaz: Gazetteer) -> str:
    """A town's folded name with one letter changed, dropped or added, or an invented
    word."""
    if draw(st.booleans()):
        return (
            "".join(
                draw(st.lists(st.sampled_from("bcdfgklmnrstz aeiou"), min_size=1, max_size=12))
            ).strip()
            or "q"
        )
    key = fold_key(gaz.cities.name(draw(st.integers(0, len(gaz.cities) - 1)))) or "a"
    i = draw(st.integers(0, len(key) - 1))
    letter = draw(st.sampled_from("aeiouxzhk"))
    edit = draw(st.sampled_from(["change", "drop", "add"]))
    if edit == "change":
        return key[:i] + letter + key[i + 1 :]
    if edit == "drop" and len(key) > 1:
        return key[:i] + key[i + 1 :]
    return key[:i] + letter + key[i:]


@pytest.fixture(scope="module")
def indexed(built: Gazetteer) -> Gazetteer:
    from monitor.catalog.suggest import Suggestions

    built._suggestions = Suggestions.build(built)
    return built


def test_did_you_mean_from_the_index_equals_the_scan(indexed):
    gaz = indexed
    removed = {
        ("city", c): {fold_key(n) for n in gaz.cities.names(c)[:2]}
        for c in range(0, len(gaz.cities), 40)
    }
    user = {"aleppo x": "Aleppo X", "zabadanix": "Zabadani X"}

    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(misspelt(gaz), st.booleans(), st.booleans())
    def check(key: str, with_removed: bool, with_user: bool) -> None:
        rem = removed if with_removed else {}
        extra = user if with_user else {}
        assert gaz.suggestions().suggest(key, rem, extra) == scan_suggestion(gaz, key, rem, extra)

    check()


@pytest.mark.parametrize(
    "key",
    [
        "aleppoo",
        "damascos",
        "sanfransisco",
        "zzxqville",
        "kharkiv oblastt",
        "b",
        "ḩalab x",
        "trip0li",
        "washingtn",
    ],
)
def test_did_you_mean_on_known_misspellings_equals_the_scan(indexed, key):
    assert indexed.suggestions().suggest(key, {}, {}) == scan_suggestion(indexed, key, {}, {})


def test_the_suggestion_index_is_cached_beside_the_gazetteer(folder):
    gaz = snapshot.cached_gazetteer()
    first = gaz.suggestions().suggest("aleppoo", {}, {})
    path = _file(folder, "suggest")
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    again = snapshot.cached_gazetteer()
    assert again.suggestions().suggest("aleppoo", {}, {}) == first == "Aleppo"
    assert path.stat().st_mtime_ns == stamp


def test_places_cache_builds_the_indexes_and_the_event_catalog_into_the_cache_folder(tmp_path):
    import os
    import subprocess
    import sys

    folder = tmp_path / "warm"
    env = {**os.environ, diskcache.CACHE_ENV: str(folder)}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "places", "cache", "-c", str(tmp_path / "none.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert str(folder) in done.stdout
    kinds = sorted(p.name.split("-", 1)[0] for p in folder.glob("*.bin"))
    assert kinds == ["catalogs", "events", "gazetteer", "suggest"]


def test_version_and_help_import_neither_the_catalog_nor_the_store():
    import subprocess
    import sys

    probe = (
        "import sys, runpy\nsys.argv = ['news-monitor', '--version']\n"
        "try:\n    runpy.run_module('monitor', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('monitor.catalog', 'monitor.store', 'sqlalchemy', 'apprise',"
        " 'monitor.config', 'asyncio') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


# -- the shipped groups, regions and place corrections (shippedcache.py) --------------------


def _shipped_paths() -> dict[str, Path]:
    return {k: files._DATA / f"{k}.yaml" for k in ("groups", "regions", "places")}


def _parsed_shipped() -> dict[str, tuple]:
    paths = _shipped_paths()
    return {
        "places": files.parse_places(paths["places"], correction=True),
        "regions": files.parse_places(paths["regions"], new=True),
        "groups": files.parse_groups(paths["groups"]),
    }


def _shipped_now(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple]:
    monkeypatch.setattr(files, "_shipped", {})
    return {k: files.shipped_file(k) for k in ("groups", "regions", "places")}


def test_the_shipped_catalog_files_are_cached_and_read_back_unchanged(folder, monkeypatch):
    expected = _parsed_shipped()
    assert _shipped_now(monkeypatch) == expected
    path = folder / diskcache.key_name(
        shippedcache.KIND, shippedcache.catalogs_key(_shipped_paths())
    )
    stamp = path.stat().st_mtime_ns
    monkeypatch.setattr(files, "parse_groups", None)  # a read must not parse
    assert _shipped_now(monkeypatch) == expected
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("damage", ["truncate", "shape", "kind"])
def test_a_damaged_catalog_files_cache_is_ignored_and_the_files_parsed(folder, monkeypatch, damage):
    expected = _parsed_shipped()
    _shipped_now(monkeypatch)
    key = shippedcache.catalogs_key(_shipped_paths())
    path = folder / diskcache.key_name(shippedcache.KIND, key)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    else:  # checksums that hold over entries that are not the records
        rows = (
            [["f", 1, 1, "x"]]
            if damage == "shape"
            else [["f", "one", 1, "x", [], [], None, [1, 1], False, False, None, False]]
        )
        bad = json.dumps(rows).encode()
        diskcache.write(shippedcache.KIND, key, {"groups": bad, "regions": bad, "places": bad})
    assert shippedcache.read(_shipped_paths()) is None
    assert _shipped_now(monkeypatch) == expected
    assert shippedcache.read(_shipped_paths()) is not None  # written anew


def test_an_edited_shipped_catalog_file_is_a_new_key(tmp_path):
    paths = {k: tmp_path / p.name for k, p in _shipped_paths().items()}
    for kind, path in paths.items():
        path.write_bytes(_shipped_paths()[kind].read_bytes())
    before = diskcache.key_name(shippedcache.KIND, shippedcache.catalogs_key(paths))
    paths["groups"].write_text(
        paths["groups"].read_text(encoding="utf-8") + "\n# x\n", encoding="utf-8"
    )
    assert diskcache.key_name(shippedcache.KIND, shippedcache.catalogs_key(paths)) != before


def test_without_a_usable_cache_folder_the_shipped_files_are_parsed(tmp_path, monkeypatch):
    expected = _parsed_shipped()
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for setting in ("off", str(blocker / "cache")):
        monkeypatch.setenv(diskcache.CACHE_ENV, setting)
        assert _shipped_now(monkeypatch) == expected

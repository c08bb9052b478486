"""The shipped event catalog's disk cache (monitor/catalog/eventcache.py): written on the first
start, read on the next, rebuilt when the file or the package changes or the cache file is
damaged, never in the way when the folder is missing or unwritable, and giving the same
entries and Terms as the file parsed afresh. A user's events.yaml is still read each time
and its mistakes reported at their line."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

import monitor
from monitor.catalog import diskcache, eventcache, events
from monitor.catalog.eventfiles import parse_events
from monitor.catalog.events import CatalogError, EventCatalog, events_in, merge_events

TEXT = (
    "Warplanes struck a market in Atarib as shelling hit Ariha; a suicide bomber blew himself "
    "up at a checkpoint, and gunmen kidnapped two aid workers. Des frappes aériennes ont visé "
    "Idlib. Hava saldırısı düzenlendi. غارة جوية على حلب"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, and a process that has not read the catalog yet."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.CACHE_ENV, str(folder))
    fresh_process(monkeypatch)
    return folder


def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_shipped_entries", None)
    monkeypatch.setattr(events, "_shipped_terms", {})
    monkeypatch.setattr(events, "_shipped_catalog", None)


def cache_file(folder: Path, path: Path = events.SHIPPED) -> Path:
    return folder / diskcache.key_name(eventcache.KIND, eventcache.events_key(path))


def parsed() -> tuple[tuple, dict]:
    """The oracle: the shipped file parsed and expanded without any cache."""
    entries = parse_events(events.SHIPPED)
    return entries, {t.name: events._terms(t) for t in merge_events([entries])}


def loaded(catalog: EventCatalog) -> tuple[tuple, dict]:
    return events._shipped(), {name: catalog.terms(name) for name in catalog.names()}


def test_the_first_start_writes_the_cache_and_the_next_reads_the_same_catalog(folder, monkeypatch):
    first = loaded(EventCatalog.load())
    path = cache_file(folder)
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    read = eventcache.read(events.SHIPPED)
    assert read is not None and set(read[1]) == set(first[1])
    assert all(eventcache.terms_from(section) for section in read[1].values())

    fresh_process(monkeypatch)
    second = loaded(EventCatalog.load())
    assert path.stat().st_mtime_ns == stamp  # read, not parsed and written again
    assert first == second == parsed()


def test_events_in_gives_the_same_finds_from_the_cache_as_from_the_file(folder, monkeypatch):
    EventCatalog.load()  # fills the cache
    fresh_process(monkeypatch)
    warm = events_in(TEXT, EventCatalog.load())
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    fresh_process(monkeypatch)
    cold = events_in(TEXT, EventCatalog.load())
    assert warm == cold and {"airstrike", "shelling", "suicide bombing"} <= set(warm)


def test_a_changed_events_file_or_package_version_is_a_new_key(folder, tmp_path, monkeypatch):
    copy = tmp_path / "events.yaml"
    shutil.copy(events.SHIPPED, copy)
    names = {cache_file(folder, copy).name}
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    names.add(cache_file(folder, copy).name)
    monkeypatch.setattr(monitor, "__version__", "999.0")
    names.add(cache_file(folder, copy).name)
    assert len(names) == 3


def test_an_edited_shipped_file_is_parsed_again_and_its_new_phrase_found(
    folder, tmp_path, monkeypatch
):
    copy = tmp_path / "events.yaml"
    shutil.copy(events.SHIPPED, copy)
    monkeypatch.setattr(events, "SHIPPED", copy)
    assert "siege" not in EventCatalog.load().names()
    copy.write_text(
        copy.read_text(encoding="utf-8")
        + "siege:\n  phrases: {en: [besieged], ar: [محاصرة], fr: [assiégée], tr: [kuşatma]}\n",
        encoding="utf-8",
    )
    fresh_process(monkeypatch)
    catalog = EventCatalog.load()
    assert "siege" in catalog.names()
    assert events_in("The town is besieged.", catalog) == {"siege": ("besieged",)}
    assert len(list(folder.glob("events-*.bin"))) == 2  # one per version of the file


def _damage(data: bytearray, how: str) -> bytearray:
    magic = len(diskcache.MAGIC)
    if how == "flip":
        data[len(data) // 2] ^= 0xFF
    elif how == "truncate":
        del data[len(data) // 3 :]
    elif how == "foreign":
        data = bytearray(random.Random(1).randbytes(4096))
    elif how == "empty":
        data = bytearray()
    else:  # a file whose checksum holds but whose sections are not a catalog
        size = int.from_bytes(data[magic : magic + 8], "little")
        header = json.loads(data[magic + 8 : magic + 8 + size])
        if how == "other key":
            header["key"]["version"] = "0.0.0-other"
            body = data[magic + 8 + size :]
        else:
            sections = {"entries": b'[["x", "one", 1]]', "terms:airstrike": b"{}"}
            body = b"".join(sections.values())
            header["sections"] = [[n, len(s)] for n, s in sections.items()]
            header["digest"] = diskcache.hashlib.sha256(body).hexdigest()
        raw = json.dumps(header).encode()
        data = bytearray(diskcache.MAGIC + len(raw).to_bytes(8, "little") + raw + body)
    return data


@pytest.mark.parametrize("how", ["flip", "truncate", "foreign", "empty", "other key", "shape"])
def test_a_damaged_cache_file_is_ignored_and_the_file_parsed_and_cached_again(
    folder, monkeypatch, how
):
    EventCatalog.load()
    path = cache_file(folder)
    path.write_bytes(bytes(_damage(bytearray(path.read_bytes()), how)))
    fresh_process(monkeypatch)
    assert loaded(EventCatalog.load()) == parsed()
    assert eventcache.read(events.SHIPPED) is not None  # written anew


def test_a_damaged_section_of_one_type_builds_that_types_terms(folder, monkeypatch):
    EventCatalog.load()
    read = eventcache.read(events.SHIPPED)
    assert read is not None
    entries, sections = read
    bad = {**sections, "airstrike": b'[["a", "heavy", true, null, false, []]]'}
    monkeypatch.setattr(eventcache, "read", lambda path: (entries, bad))
    fresh_process(monkeypatch)
    catalog = EventCatalog.load()
    assert catalog.terms("airstrike") == parsed()[1]["airstrike"]


def test_an_unwritable_or_switched_off_cache_only_costs_the_parse(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    for setting in (str(blocker / "cache"), "off"):
        monkeypatch.setenv(diskcache.CACHE_ENV, setting)
        fresh_process(monkeypatch)
        assert loaded(EventCatalog.load()) == parsed()
    assert blocker.is_file()


def test_a_type_the_users_file_extends_gets_its_terms_built_the_others_come_cached(
    folder, tmp_path, monkeypatch
):
    EventCatalog.load()
    fresh_process(monkeypatch)
    user = tmp_path / "events.yaml"
    user.write_text("airstrike:\n  phrases: {en: [jets pounded]}\n", encoding="utf-8")
    expected = parsed()[1]
    built = []
    real = events._terms
    monkeypatch.setattr(events, "_terms", lambda known: built.append(known.name) or real(known))
    catalog = EventCatalog.load(user)
    assert "jets pounded" in {t.text for t in catalog.terms("airstrike")}
    assert catalog.terms("shelling") == expected["shelling"]
    assert built == ["airstrike"]
    assert events_in("Jets pounded the town.", catalog) == {"airstrike": ("jets pounded",)}


def test_mistakes_in_the_users_file_are_reported_at_their_line_with_the_cache_warm(
    folder, tmp_path, monkeypatch
):
    EventCatalog.load()
    fresh_process(monkeypatch)
    user = tmp_path / "events.yaml"
    user.write_text("airstrike:\n  phrases:\n    english: [jets]\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        EventCatalog.load(user)
    assert f"{user}:3:5:" in str(caught.value) and "not a language code" in str(caught.value)

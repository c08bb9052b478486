"""Corroboration: every alert says how many outlets carry its story and how many of them are
independent (distinct registrable domains); a rule with `min_sources` holds its alert until
enough independent outlets do, or sends it marked single source once `wait` is over, never
dropping it; `single_source_priority` lowers a rule while one outlet carries the story."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from monitor.alerts.views import corroboration_line
from monitor.outlets import independent, outlet, outlet_of
from monitor.records import Alert, Carrier, Entry, Fired, Hit, Poll, Seen, Snippet
from monitor.store import Store
from tests.conftest import Daemon, Site, rss_feed, run_cli, wait_until, write_config

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


# -- outlets ---------------------------------------------------------------------------------


def test_the_outlet_of_an_article_is_its_registrable_domain():
    assert outlet_of("https://www.bbc.co.uk/news/world-123") == "bbc.co.uk"
    assert outlet_of("https://news.bbc.co.uk/2/hi/middle_east") == "bbc.co.uk"
    assert outlet_of("http://feeds.reuters.com/reuters/worldNews") == "reuters.com"
    assert outlet_of("https://WWW.Reuters.COM./world/") == "reuters.com"
    assert outlet_of("https://www.sana.sy/en/?p=1") == "sana.sy"
    # private suffixes count: two blogs on one host are two outlets
    assert outlet_of("https://a.blogspot.com/x") != outlet_of("https://b.blogspot.com/x")
    assert outlet_of("http://127.0.0.1:8080/feed") == "127.0.0.1"
    assert outlet_of("http://[::1]:8080/feed") == "::1"
    assert outlet_of("https://xn--mgbaam7a8h.xn--mgbaam7a8h/") == outlet_of(
        "https://امارات.امارات/")
    assert outlet_of("") == "" and outlet_of("not a url") == ""
    assert outlet_of("http://[broken/") == ""


def test_an_entry_without_a_link_counts_as_its_own_source():
    assert outlet("", "Wire") == "source:Wire"
    assert independent(["source:Wire", "source:Desk", "reuters.com", "reuters.com"]) == 3


@given(st.text(max_size=80))
def test_any_url_text_gives_an_outlet_without_raising(text):
    assert isinstance(outlet_of(text), str)


def test_the_alert_says_how_many_outlets_and_how_many_are_independent():
    one = alert("A")
    assert corroboration_line(one) == "1 source"
    five = one.carried_by([carrier(n, d) for n, d in (
        ("Reuters World", "reuters.com"), ("Reuters ME", "reuters.com"), ("BBC", "bbc.co.uk"),
        ("AJ", "aljazeera.com"), ("SANA", "sana.sy"))])
    assert five.corroboration() == (5, 4)
    assert corroboration_line(five) == "5 outlets, 4 independent"
    single = replace_single(one)
    assert corroboration_line(single) == "single source"


# -- the store: held until corroborated or until the wait is over --------------------------


def alert(rule: str, min_sources: int = 1) -> Alert:
    return Alert(watchlist="w", rule=rule, priority="normal", title="T", url="https://e.org/1",
                 source="S", published=NOW, snippet=Snippet("a b", ((0, 1),)),
                 terms=(rule.lower(),), score=1.0, hits=(Hit(rule.lower(), "text", 0, 1),),
                 min_sources=min_sources)


def carrier(name: str, domain: str) -> Carrier:
    return Carrier(name, NOW, domain)


def replace_single(one: Alert) -> Alert:
    return replace(one, single_source=True, min_sources=2)


def opened(state_url: str) -> Store:
    store = Store.open(state_url)
    store.sync_sources([(name, "feed", f"https://{name}.example/feed")
                        for name in ("S", "T", "U")], NOW)
    return store


def record(store: Store, source: str, url: str, *pairs: tuple[str, Alert],
           when: datetime = NOW, wait: float = 7200.0) -> int:
    entry = Entry(source=source, key=url, url=url, title="T", summary="s")
    waits = tuple((a.watchlist, f.rule, wait) for _, a in pairs for f in a.rules()
                  if f.min_sources > 1)
    seen = Seen(entry, "story", "text", tuple(pairs), waits)
    return store.record_poll(Poll(source, when, entries=(entry,)), [seen],
                             when + timedelta(minutes=5))


def test_a_held_story_goes_out_when_a_second_independent_outlet_carries_it(state_url):
    store = opened(state_url)
    try:
        record(store, "S", "https://www.reuters.com/a", ("desk", alert("A", 2)))
        assert store.release_held(NOW) == (0, 0)
        assert store.claim_alerts(NOW, LEASE) == []  # held, not pending
        # another Reuters feed is the same outlet: still held
        record(store, "T", "https://feeds.reuters.com/a", when=NOW + timedelta(minutes=1))
        assert store.release_held(NOW + timedelta(minutes=1)) == (0, 0)
        record(store, "U", "https://www.bbc.co.uk/a", when=NOW + timedelta(minutes=2))
        assert store.release_held(NOW + timedelta(minutes=2)) == (1, 0)
        [item] = store.claim_alerts(NOW + timedelta(minutes=2), LEASE)
        assert [f.rule for f in item.alert.rules()] == ["A"]
        assert not item.alert.single_source
    finally:
        store.close()


def record_entry(store: Store, source: str, url: str, when: datetime) -> None:
    entry = Entry(source=source, key=url, url=url, title="T", summary="s")
    store.record_poll(Poll(source, when, entries=(entry,)), [Seen(entry, "story", "text")],
                      when + timedelta(minutes=5))


def test_a_held_story_no_one_else_carries_goes_out_marked_single_source_after_the_wait(
        state_url):
    store = opened(state_url)
    try:
        record(store, "S", "https://www.reuters.com/a", ("desk", alert("A", 2)), wait=3600)
        assert store.release_held(NOW + timedelta(minutes=59)) == (0, 0)
    finally:
        store.close()
    store = opened(state_url)  # nothing is lost across a restart
    try:
        assert store.release_held(NOW + timedelta(minutes=61)) == (0, 1)
        [item] = store.claim_alerts(NOW + timedelta(minutes=61), LEASE)
        assert item.alert.single_source
        assert store.release_held(NOW + timedelta(hours=5)) == (0, 0)  # once
    finally:
        store.close()


def test_rules_that_do_not_wait_go_at_once_beside_a_held_one(state_url):
    store = opened(state_url)
    try:
        both = alert("Now").with_rules([Fired("w", "Later", "high", ("later",), 1.0,
                                              (Hit("later", "text", 0, 1),), "", 2)])
        assert record(store, "S", "https://www.reuters.com/a", ("desk", both)) == 2
        [item] = store.claim_alerts(NOW, LEASE)
        assert [f.rule for f in item.alert.rules()] == ["Now"]
        store.mark_sent(item.id, NOW, "desk")
        record_entry(store, "U", "https://www.bbc.co.uk/a", NOW + timedelta(minutes=3))
        assert store.release_held(NOW + timedelta(minutes=3)) == (1, 0)
        [later] = store.claim_alerts(NOW + timedelta(minutes=3), LEASE)
        assert [f.rule for f in later.alert.rules()] == ["Later"]
    finally:
        store.close()


# -- end to end ---------------------------------------------------------------------------


RULE = {"name": "Fighting in Aleppo", "places": ["Aleppo"], "keywords": ["airstrike"],
        "min_sources": 2, "wait": "2h"}
STORY = {"title": "Airstrike hits market in Aleppo, dozens dead",
         "description": "An airstrike hit a market in Aleppo on Tuesday."}


def posts(site: Site) -> list[dict]:
    return [json.loads(body) for body in site.posts.get("/hook", [])]


def held_rows(config: Path) -> int:
    path = config.parent / "state" / "monitor.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM alerts WHERE state = 'held'").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0


def test_min_sources_holds_a_story_across_a_kill_until_a_second_outlet_carries_it(
        site: Site, tmp_path: Path):
    site.feeds["/reuters.xml"] = rss_feed({**STORY, "link": "https://www.reuters.com/x/1"})
    site.feeds["/bbc.xml"] = rss_feed()
    sources = [{"name": "Reuters", "feed": site.url("/reuters.xml")},
               {"name": "BBC", "feed": site.url("/bbc.xml")}]
    config = write_config(tmp_path, sources=sources, rules=[RULE],
                          channels={"desk": f"webhook://127.0.0.1:{site.port}/hook"})
    daemon = Daemon(config)
    try:
        assert wait_until(lambda: held_rows(config) == 1), daemon.err.decode()[-2000:]
    finally:
        daemon.proc.kill()  # SIGKILL: no shutdown of any kind
        daemon.proc.wait(timeout=30)
    assert posts(site) == []
    site.feeds["/bbc.xml"] = rss_feed({**STORY, "title": "Airstrike hits market in Aleppo, "
                                       "dozens dead - BBC", "link": "https://www.bbc.co.uk/n/2"})
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    [document] = posts(site)
    [story] = document["alerts"]
    assert (story["outlets"], story["independent"], story["single_source"]) == (2, 2, False)
    assert {s["outlet"] for s in story["sources"]} == {"reuters.com", "bbc.co.uk"}


def test_an_alert_names_its_outlets_on_every_channel(site: Site, tmp_path: Path):
    site.feeds["/a.xml"] = rss_feed({**STORY, "link": "https://www.reuters.com/x/1"})
    site.feeds["/b.xml"] = rss_feed({**STORY, "link": "https://uk.reuters.com/x/1"})
    site.feeds["/c.xml"] = rss_feed({**STORY, "link": "https://www.aljazeera.com/x/1"})
    sources = [{"name": n, "feed": site.url(f"/{p}.xml")}
               for n, p in (("Reuters", "a"), ("Reuters UK", "b"), ("Al Jazeera", "c"))]
    rule = {k: v for k, v in RULE.items() if k not in ("min_sources", "wait")}
    config = write_config(tmp_path, sources=sources, rules=[rule],
                          channels={"desk": {"url": f"webhook://127.0.0.1:{site.port}/hook",
                                             "group_wait": "1s"},
                                    "console": "console://"})
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    [story] = posts(site)[0]["alerts"]
    assert (story["outlets"], story["independent"]) == (3, 2)
    assert "(3 outlets, 2 independent)" in result.stdout
    listed = run_cli("alerts", "-c", str(config), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {(r["channel"], r["outlets"], r["independent"]) for r in rows} == {
        ("desk", 3, 2), ("console", 3, 2)}


def test_single_source_priority_lowers_a_story_one_outlet_carries(site: Site, tmp_path: Path):
    site.feeds["/a.xml"] = rss_feed({**STORY, "link": "https://www.reuters.com/x/1"})
    site.feeds["/b.xml"] = rss_feed()
    sources = [{"name": "Reuters", "feed": site.url("/a.xml")},
               {"name": "BBC", "feed": site.url("/b.xml")}]
    rules = [{"name": "Fighting in Aleppo", "places": ["Aleppo"], "keywords": ["airstrike"],
              "priority": "urgent", "single_source_priority": "low"},
             {"name": "Aleppo market", "places": ["Aleppo"], "keywords": ["market"],
              "priority": "high", "single_source_priority": "low"}]
    config = write_config(tmp_path, sources=sources, rules=rules,
                          channels={"desk": f"webhook://127.0.0.1:{site.port}/hook"})
    assert run_cli("once", "-c", str(config)).returncode == 0
    [story] = posts(site)[0]["alerts"]
    assert [r["priority"] for r in story["rules"]] == ["low", "low"]
    # once a second outlet carries the story, a rule that fires then keeps its priority
    site.feeds["/b.xml"] = rss_feed({**STORY, "title": STORY["title"] + " - BBC",
                                     "description": "Warplanes struck Aleppo: an airstrike.",
                                     "link": "https://www.bbc.co.uk/n/2"})
    rules.append({"name": "Warplanes over Aleppo", "places": ["Aleppo"],
                  "keywords": ["warplanes"], "priority": "high",
                  "single_source_priority": "low"})
    config = write_config(tmp_path, sources=sources, rules=rules,
                          channels={"desk": f"webhook://127.0.0.1:{site.port}/hook"})
    assert run_cli("once", "-c", str(config)).returncode == 0
    [later] = posts(site)[1]["alerts"]
    assert [(r["name"], r["priority"]) for r in later["rules"]] == [
        ("Warplanes over Aleppo", "high")]

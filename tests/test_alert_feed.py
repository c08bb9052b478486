"""The Atom alert feeds on the health listener: a feed reader finds the alerts a running
daemon recorded, a watchlist's feed holds only its alerts, the feeds are off on a listener
others can reach unless the operator turns them on, the token is enforced when set, and
hostile text comes out escaped in well-formed XML."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import yaml
from lxml import etree

from monitor.alertfeed import FEED_LIMIT, render_feed, xml_text
from monitor.records import Alert, Carrier, Entry, Poll, Seen, Snippet
from monitor.store import FeedAlert, Store
from tests.conftest import (
    EVENT_CEILING,
    Daemon,
    edit_until_logged,
    free_port,
    rss_feed,
    run_cli,
    wait_until,
)
from tests.conftest import write_config as write_test_config

TOKEN = "s3cret-feed-token-0123456789"
AIRSTRIKE = {"title": "Airstrike hits Aleppo market", "link": "https://news.example.org/aleppo",
             "description": "An airstrike on Aleppo killed twelve, rescuers said."}
BOMBING = {"title": "ISIS claimed responsibility for Homs attack",
           "link": "https://news.example.org/homs",
           "description": "Daesh claimed responsibility for the suicide bombing."}
FLOOD = {"title": "Floods in Dhaka displace thousands", "link": "https://news.example.org/dhaka",
         "description": "Monsoon floods in Dhaka."}


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def read_feed(url: str, headers: dict[str, str] | None = None) -> feedparser.FeedParserDict:
    status, _, body = fetch(url, headers)
    assert status == 200, (status, body[:300])
    etree.fromstring(body)  # well-formed, or this raises
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def start(config: Path) -> tuple[Daemon, int]:
    """`news-monitor run` on this config, once running; and its health port."""
    daemon = Daemon(config)
    assert daemon.wait_for("news-monitor running", EVENT_CEILING), daemon.err.decode()
    port = re.search(r"health and metrics on http://[^:]+:(\d+)/", daemon.err.decode())
    assert port, daemon.err.decode()
    return daemon, int(port.group(1))


def write_config(tmp_path: Path, site, items: list[dict[str, str]], **settings) -> Path:
    """A daemon polling one test feed every second, with the shared watchlist (Aleppo and
    ISIS rules) and a second watchlist, `floods`."""
    site.feeds["/f.xml"] = rss_feed(*items)
    config = write_test_config(tmp_path, sources=[{"name": "Test wire", "feed": site.url("/f.xml"),
                                                   "interval": "1s"}], **settings)
    (tmp_path / "watchlists" / "floods.yaml").write_text(yaml.safe_dump(
        {"name": "floods", "rules": [{"name": "Floods", "keywords": ["floods"]}]}))
    return config


def recorded_alerts(config: Path) -> list[dict]:
    result = run_cli("alerts", "--since", "1d", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_feed_reader_finds_the_alerts_the_bundled_daemon_recorded(bundled_config: Path):
    """The real `news-monitor run` on the shipped offline config: every alert it recorded
    is an entry of /feeds/alerts.atom and of its watchlist's feed, with the rule, priority,
    source, link and snippet."""
    port = free_port()
    data = yaml.safe_load(bundled_config.read_text())
    data["health"] = {"listen": f"127.0.0.1:{port}"}
    bundled_config.write_text(yaml.safe_dump(data, allow_unicode=True))
    daemon, _ = start(bundled_config)
    try:
        assert "alert feeds on http://127.0.0.1" in daemon.err.decode(), daemon.err.decode()
        assert wait_until(lambda: recorded_alerts(bundled_config), every=0.5)
        alerts = recorded_alerts(bundled_config)
        feed = read_feed(f"http://127.0.0.1:{port}/feeds/alerts.atom")
        one = read_feed(f"http://127.0.0.1:{port}/feeds/syria-conflict.atom")
    finally:
        daemon.stop()
    def more(a: dict) -> str:
        return f" +{len(a['rules']) - 1}" if len(a["rules"]) > 1 else ""

    assert {f"[{a['rule']}{more(a)}] {a['title']}" for a in alerts} == {
        e.title for e in feed.entries}
    assert len(feed.entries) == len({(a["rule"], a["url"]) for a in alerts})
    assert {e.id for e in one.entries} == {e.id for e in feed.entries}
    assert feed.feed.title == "news-monitor alerts"
    assert one.feed.title == "news-monitor alerts: syria-conflict"
    assert feed.feed.links[0].rel == "self"
    assert feed.feed.links[0].href == f"http://127.0.0.1:{port}/feeds/alerts.atom"
    for entry in feed.entries:
        tags: dict[str, list[str]] = {}
        for tag in entry.tags:
            tags.setdefault(tag.scheme.rsplit(":", 1)[1], []).append(tag.term)
        assert tags["watchlist"] == ["syria-conflict"]
        assert set(tags["priority"]) <= {"low", "normal", "high", "urgent"}
        [recorded] = [a for a in alerts if a["url"] == entry.link]
        assert tags["rule"] == recorded["rules"]  # every rule of the story, the lead first
        assert entry.title.startswith(f"[{tags['rule'][0]}")
        assert entry.link in {a["url"] for a in alerts}
        assert entry.author.startswith("Sample")  # the bundled sources' names
        assert entry.summary and entry.published_parsed and entry.updated_parsed
        assert entry.id.startswith("urn:uuid:")


def test_a_watchlist_feed_lists_only_that_watchlist_and_an_unknown_one_is_404(site, tmp_path):
    config = write_config(tmp_path, site, [AIRSTRIKE, BOMBING, FLOOD])
    daemon, port = start(config)
    base = f"http://127.0.0.1:{port}/feeds"
    try:
        assert wait_until(lambda: len(recorded_alerts(config)) == 3, every=0.5), \
            recorded_alerts(config)
        every = read_feed(f"{base}/alerts.atom")
        test_watch = read_feed(f"{base}/test-watch.atom")
        floods = read_feed(f"{base}/floods.atom")
        unknown = fetch(f"{base}/no-such-watchlist.atom")
        not_a_feed = fetch(f"{base}/floods.rss")
    finally:
        daemon.stop()
    assert [e.title for e in floods.entries] == ["[Floods] Floods in Dhaka displace thousands"]
    assert {e.title for e in test_watch.entries} == {
        "[Fighting in Aleppo] Airstrike hits Aleppo market",
        "[ISIS claims an attack] ISIS claimed responsibility for Homs attack"}
    assert {e.id for e in every.entries} == ({e.id for e in floods.entries}
                                             | {e.id for e in test_watch.entries})
    assert floods.entries[0].link == FLOOD["link"]
    assert floods.entries[0].author == "Test wire"
    assert unknown[0] == 404 and not_a_feed[0] == 404


def test_feeds_are_off_on_a_listener_others_can_reach_unless_turned_on(site, tmp_path):
    """0.0.0.0 is reachable from the network: no feeds by default (health still answers);
    `feeds: true` turns them on, with a warning in the log while no token is set."""
    port = free_port()
    config = write_config(tmp_path, site, [AIRSTRIKE], health={"listen": f"0.0.0.0:{port}"})
    daemon, _ = start(config)
    try:
        assert wait_until(lambda: recorded_alerts(config), every=0.5)
        off = fetch(f"http://127.0.0.1:{port}/feeds/alerts.atom")
        health = fetch(f"http://127.0.0.1:{port}/healthz")
    finally:
        daemon.stop()
    assert off[0] == 404 and health[0] == 200
    assert "alert feeds on" not in daemon.err.decode()

    config = write_config(tmp_path, site, [AIRSTRIKE],
                          health={"listen": f"0.0.0.0:{port}", "feeds": True})
    daemon, _ = start(config)
    try:
        on = read_feed(f"http://127.0.0.1:{port}/feeds/alerts.atom")
    finally:
        daemon.stop()
    assert [e.title for e in on.entries] == ["[Fighting in Aleppo] Airstrike hits Aleppo market"]
    assert "without health.feed_token" in daemon.err.decode()


def test_feeds_can_be_turned_off_on_loopback(site, tmp_path):
    config = write_config(tmp_path, site, [AIRSTRIKE], health={"listen": "127.0.0.1:0",
                                                               "feeds": False})
    daemon, port = start(config)
    try:
        off = fetch(f"http://127.0.0.1:{port}/feeds/alerts.atom")
    finally:
        daemon.stop()
    assert off[0] == 404


def test_the_feed_token_is_enforced_when_set(site, tmp_path, monkeypatch):
    """Written as ${FEED_TOKEN}: no token is 401 (with a Bearer challenge), a wrong one 403,
    the right one in the Authorization header or the query 200; /healthz needs none."""
    monkeypatch.setenv("FEED_TOKEN", TOKEN)
    config = write_config(tmp_path, site, [AIRSTRIKE],
                          health={"listen": "127.0.0.1:0", "feed_token": "${FEED_TOKEN}"})
    daemon, port = start(config)
    url = f"http://127.0.0.1:{port}/feeds/alerts.atom"
    try:
        assert wait_until(lambda: recorded_alerts(config), every=0.5)
        missing = fetch(url)
        wrong = fetch(url, {"Authorization": f"Bearer {TOKEN[:-1]}x"})
        wrong_query = fetch(url + "?token=nope")
        unknown_watchlist = fetch(f"http://127.0.0.1:{port}/feeds/nope.atom")
        by_header = read_feed(url, {"Authorization": f"Bearer {TOKEN}"})
        by_query = read_feed(f"{url}?token={TOKEN}")
        health = fetch(f"http://127.0.0.1:{port}/healthz")
    finally:
        daemon.stop()
    assert missing[0] == 401 and missing[1]["WWW-Authenticate"].startswith("Bearer")
    assert wrong[0] == 403 and wrong_query[0] == 403
    assert unknown_watchlist[0] == 401  # names are not told to whoever has no token
    assert len(by_header.entries) == len(by_query.entries) == 1
    assert TOKEN not in by_query.feed.links[0].href  # the self link never repeats it
    assert health[0] == 200
    assert TOKEN not in daemon.err.decode()


def test_a_reload_turns_the_feeds_off_and_sets_a_token(site, tmp_path):
    """`feeds` and `feed_token` are read from the configuration in force, so an edit
    applies them without a restart."""
    config = write_config(tmp_path, site, [AIRSTRIKE])
    daemon, port = start(config)
    url = f"http://127.0.0.1:{port}/feeds/alerts.atom"
    data = yaml.safe_load(config.read_text())

    def edit(**health) -> None:
        config.write_text(yaml.safe_dump({**data, "health": {**data["health"], **health}}))

    try:
        before = fetch(url)[0]
        assert edit_until_logged(daemon, lambda: edit(feed_token=TOKEN),
                                 "configuration reloaded"), daemon.err.decode()
        with_token = (fetch(url)[0], fetch(url, {"Authorization": f"Bearer {TOKEN}"})[0])
        assert edit_until_logged(daemon, lambda: edit(feeds=False),
                                 "configuration reloaded"), daemon.err.decode()
        off = fetch(url)[0]
    finally:
        daemon.stop()
    assert (before, with_token, off) == (200, (401, 200), 404)


def test_a_feed_is_503_while_the_daemon_waits_for_its_database(site, tmp_path):
    from tests.faultkit import PrivatePostgres

    server = PrivatePostgres()
    try:
        server.stop()
        config = write_config(tmp_path, site, [AIRSTRIKE], state=server.url,
                              health={"listen": f"127.0.0.1:{free_port()}"})
        port = int(yaml.safe_load(config.read_text())["health"]["listen"].rpartition(":")[2])
        daemon = Daemon(config)
        try:
            url = f"http://127.0.0.1:{port}/feeds/alerts.atom"
            waiting = (503, b"not ready: waiting for the state database\n")
            assert wait_until(lambda: _probe(url) == waiting, every=0.2), daemon.err.decode()
        finally:
            daemon.stop()
    finally:
        server.remove()


def _probe(url: str) -> tuple[int, bytes] | None:
    try:
        status, _, body = fetch(url)
    except OSError:  # not listening yet
        return None
    return status, body


def test_a_short_feed_token_is_refused_by_check(tmp_path, site):
    config = write_config(tmp_path, site, [], health={"listen": "127.0.0.1:0",
                                                      "feed_token": "short"})
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1 and "feed_token" in result.stdout + result.stderr


def test_an_unchanged_feed_answers_304_to_its_etag(site, tmp_path):
    config = write_config(tmp_path, site, [AIRSTRIKE])
    daemon, port = start(config)
    url = f"http://127.0.0.1:{port}/feeds/alerts.atom"
    try:
        assert wait_until(lambda: recorded_alerts(config), every=0.5)
        status, headers, _ = fetch(url)
        again = fetch(url, {"If-None-Match": headers["ETag"]})
        other = fetch(url, {"If-None-Match": '"something-else"'})
    finally:
        daemon.stop()
    assert status == 200 and headers["Cache-Control"] == "private, no-cache"
    assert again[0] == 304 and again[2] == b""
    assert other[0] == 200


# --- the store's side and the rendering, without a daemon -----------------------------------

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def alert(n: int, watchlist: str = "w", rule: str = "r", title: str | None = None) -> Alert:
    return Alert(watchlist=watchlist, rule=rule, priority="high",
                 title=title or f"Story {n}", url=f"https://e.org/{n}", source="S",
                 published=NOW, snippet=Snippet(f"text {n}"), terms=("x",))


def record(store: Store, n: int, channels: tuple[str, ...] = ("a",), **kwargs) -> None:
    entry = Entry("S", f"k{n}", f"https://e.org/{n}", f"Story {n}", "")
    when = NOW + timedelta(seconds=n)
    one = alert(n, **kwargs)
    store.record_poll(Poll("S", when, entries=(entry,)),
                      [Seen(entry, f"story{n}", "", tuple((c, one) for c in channels))], when)


def test_the_store_lists_each_alert_once_newest_first_at_most_the_limit(state_url: str):
    """An alert sent to two channels is one entry; a watchlist's list holds only it; no
    more than FEED_LIMIT come back, the newest."""
    store = Store.open(state_url)
    try:
        for n in range(FEED_LIMIT + 20):
            record(store, n, ("a", "b"), watchlist="w" if n % 2 else "v")
        every = store.feed_alerts(None, FEED_LIMIT)
        only_w = store.feed_alerts("w", FEED_LIMIT)
    finally:
        store.close()
    assert [f.alert.title for f in every] == [f"Story {n}" for n in
                                              range(FEED_LIMIT + 19, 19, -1)]
    assert len(only_w) == (FEED_LIMIT + 20) // 2
    assert {f.alert.watchlist for f in only_w} == {"w"}


ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = ("<script>alert(1)</script> & \"quotes\" ]]> \x00\x08\x1b[31m\ufffe\ud800 "
           "\u202eevil \U0001F525 حلب")


def test_hostile_text_comes_out_escaped_in_a_well_formed_feed():
    """Titles, snippets, source, rule and watchlist names are untrusted: markup stays text,
    what XML cannot carry is dropped, and only http(s) links are given."""
    bad = Alert(watchlist=f"w{HOSTILE}", rule=f"r{HOSTILE}", priority="urgent",
                title=HOSTILE, url="javascript:alert(1)", source=HOSTILE, published=None,
                snippet=Snippet(HOSTILE * 3), terms=(HOSTILE,))
    body = render_feed([FeedAlert(1, "s", NOW, bad)], {"s": [Carrier(HOSTILE, NOW, "")]},
                       f"w{HOSTILE}", "http://127.0.0.1:9464/feeds/w.atom")
    root = etree.fromstring(body)  # strict parser: raises on anything malformed
    shown = xml_text(HOSTILE, one_line=True)
    assert root.find(f"{ATOM}entry/{ATOM}title").text == f"[r{shown}] {shown}"
    assert b"<script>" not in body and b"javascript:" not in body
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    entry = parsed.entries[0]
    assert "\x00" not in entry.title and "\x1b" not in entry.title and "حلب" in entry.title
    assert root.find(f"{ATOM}entry/{ATOM}link") is None  # no href for a javascript: URL
    assert entry.published == "2026-11-30T12:00:00Z"  # no article date: the alert's


@pytest.mark.parametrize("value, expected", [
    ("a\x00b\x7fc\x85d", "abcd"), ("tab\tand\nline", "tab\tand\nline"), ("\ud800x", "x"),
    ("é" * 10, "é" * 10)])
def test_xml_text_drops_what_xml_cannot_carry(value: str, expected: str):
    assert xml_text(value) == expected

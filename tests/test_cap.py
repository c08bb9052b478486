"""CAP 1.2 messages of alerts: well-formed, the required elements in the schema's order,
the area a circle per place, follow-ups as Updates that reference the first message, and
hostile text escaped (real lxml parsing, a checker written from the CAP 1.2 spec)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from monitor.alertfeed import render_cap_feed
from monitor.geocap import (
    DEFAULT_RADIUS_KM,
    PRIORITY_CODES,
    cap_line,
    cap_time,
    identifier,
    render_cap,
)
from monitor.records import Alert, Hit, Point, Snippet, Update
from monitor.store import FeedAlert
from tests.capcheck import CAP, check_cap

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SAFIRA = Point(36.07696, 37.37251, 23.5, "Aleppo", 30.0)
ALEPPO = Point(36.20124, 37.16117)
SENDER = "news-monitor@desk.example.org"


def alert(**changes: object) -> Alert:
    text = "Shelling hit Al-Safira and Halab on Monday, residents said."
    base = Alert(watchlist="syria", rule="Around Aleppo", priority="high",
                 title="Shelling near Aleppo", url="https://news.example.org/safira",
                 source="Wire", published=NOW, snippet=Snippet(text), terms=("Al-Safira",),
                 hits=(Hit("Al-Safira", "text", 13, 22, "As Safīrah", "place", SAFIRA),
                       Hit("Halab", "text", 27, 32, "Aleppo", "place", ALEPPO),
                       Hit("shelling", "text", 0, 8)))
    return replace(base, **changes)


def parsed(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(body, parser)


def test_an_alert_is_a_cap_message_with_the_required_elements_in_order() -> None:
    values = check_cap(parsed(render_cap(alert(), "story1", NOW, SENDER)))
    assert values["status"] == "Actual" and values["msgType"] == "Alert"
    assert values["scope"] == "Public" and values["sender"] == SENDER
    assert values["sent"] == "2026-11-30T12:00:00-00:00"
    assert values["identifier"] == identifier("story1", "syria", "Around Aleppo")
    [info] = values["info"]
    assert info["category"] == ["Security"] and info["event"] == "Around Aleppo"
    assert (info["urgency"], info["severity"], info["certainty"]) == PRIORITY_CODES["high"]
    assert info["headline"] == "Shelling near Aleppo"
    assert info["web"] == "https://news.example.org/safira"
    assert "Shelling hit Al-Safira" in str(info["description"])


def test_the_area_has_a_circle_per_place_with_the_near_radius_or_the_default() -> None:
    [info] = check_cap(parsed(render_cap(alert(), "story1", NOW, SENDER)))["info"]
    assert info["areaDesc"] == "As Safīrah, Aleppo"
    assert info["circles"] == [(36.07696, 37.37251, 30.0),
                               (36.20124, 37.16117, DEFAULT_RADIUS_KM)]


def test_an_alert_without_coordinates_has_no_area() -> None:
    plain = alert(hits=(Hit("shelling", "text", 0, 8),))
    [info] = check_cap(parsed(render_cap(plain, "story1", NOW, SENDER)))["info"]
    assert info["circles"] == [] and "areaDesc" not in info


def test_a_follow_up_is_an_update_referencing_the_first_message() -> None:
    first_sent = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    update = Update(1, "Shelling near Aleppo", first_sent.timestamp(),
                    ("3 more independent outlets",))
    values = check_cap(parsed(render_cap(alert(update=update), "story1", NOW, SENDER)))
    first = identifier("story1", "syria", "Around Aleppo")
    assert values["msgType"] == "Update"
    assert values["identifier"] != first  # every message has its own identifier
    assert values["references"] == f"{SENDER},{first},2026-11-30T11:00:00-00:00"
    assert "Update 1: 3 more independent outlets" in str(values["info"][0]["description"])


@pytest.mark.parametrize("priority", list(PRIORITY_CODES))
def test_every_priority_maps_to_cap_values(priority: str) -> None:
    [info] = check_cap(parsed(render_cap(alert(priority=priority), "s", NOW, SENDER)))["info"]
    assert (info["urgency"], info["severity"], info["certainty"]) == PRIORITY_CODES[priority]


def test_hostile_text_comes_out_escaped_in_a_well_formed_message() -> None:
    hostile = ('<!DOCTYPE x [<!ENTITY e "boom">]>&e; </info><alert>\x00\x1b\ud800'
               "]]> & <b>bold</b>")
    bad = alert(title=hostile, rule=hostile, snippet=Snippet(hostile),
                url="javascript:alert(1)", source=hostile)
    root = parsed(render_cap(bad, hostile, NOW, SENDER))
    values = check_cap(root)
    info = values["info"][0]
    assert "<b>bold</b>" in str(info["headline"]) and "\x00" not in str(info["headline"])
    assert "web" not in info  # not an http(s) link
    assert root.find(f"{{{CAP}}}info/{{{CAP}}}headline").text == info["headline"]
    assert len(root.findall(f".//{{{CAP}}}alert")) == 0  # no element injected


def test_a_cap_line_is_one_line_that_reads_back_as_the_same_message() -> None:
    line = cap_line(alert(snippet=Snippet("two\nlines")), "story1", NOW, SENDER)
    assert "\n" not in line
    root = parsed(line.encode("utf-8"))
    check_cap(root)
    assert "two\nlines" in root.find(f"{{{CAP}}}info/{{{CAP}}}description").text


def test_the_cap_feed_is_atom_with_a_cap_message_per_entry() -> None:
    found = [FeedAlert(2, "story2", NOW, alert(title="Second")),
             FeedAlert(1, "story1", NOW, alert())]
    root = parsed(render_cap_feed(found, {}, "", "http://127.0.0.1:9/feeds/alerts.cap", SENDER))
    atom = "http://www.w3.org/2005/Atom"
    entries = root.findall(f"{{{atom}}}entry")
    assert len(entries) == 2
    for entry, one in zip(entries, found, strict=True):
        content = entry.find(f"{{{atom}}}content")
        assert content.get("type") == "application/cap+xml"
        [message] = list(content)
        values = check_cap(message)
        assert values["info"][0]["headline"] == one.alert.title


def test_the_checker_refuses_what_cap_does_not_allow() -> None:
    """The checker the tests rely on fails on a swapped pair, a missing element, a "Z"
    time and a bad circle."""
    def broken(edit: object) -> etree._Element:
        root = parsed(render_cap(alert(), "story1", NOW, SENDER))
        edit(root)  # type: ignore[operator]
        return root

    def swap(root: etree._Element) -> None:
        status, msg_type = root[3], root[4]
        root.remove(msg_type)
        root.insert(3, msg_type)
        assert status is root[4]

    def drop_event(root: etree._Element) -> None:
        info = root.find(f"{{{CAP}}}info")
        info.remove(info.find(f"{{{CAP}}}event"))

    def zulu(root: etree._Element) -> None:
        root.find(f"{{{CAP}}}sent").text = "2026-11-30T12:00:00Z"

    def circle(root: etree._Element) -> None:
        root.find(f".//{{{CAP}}}circle").text = "37.37,36.07"

    for edit in (swap, drop_event, zulu, circle):
        with pytest.raises(AssertionError):
            check_cap(broken(edit))



def test_a_follow_up_the_monitor_queued_is_a_cap_update_referencing_the_first(
        site, mailbox, tmp_path, state_url: str) -> None:
    """The real Monitor (fake clock) alerts on a story, then queues its update when three
    more independent outlets carry it (issue 17): the store lists the update for the CAP
    exports (once, though it went to two channels), and its message is an Update whose
    <references> name the first message; the Atom and GeoJSON listing keeps the story once."""
    from tests.conftest import write_config
    from tests.healthkit import Clock, Run
    from tests.test_followups import OUTLETS, RULE, carry, path_of, rss_feed, step

    for name in OUTLETS:
        site.feeds[path_of(name)] = rss_feed()
    carry(site, "Reuters")
    config = write_config(
        tmp_path, sources=[{"name": n, "feed": site.url(path_of(n))} for n in OUTLETS],
        rules=[RULE], state=state_url, poll={"interval": "5m"},
        channels={"hook": {"url": f"webhook://127.0.0.1:{site.port}/hook", "group_wait": 0},
                  "mail": {"url": mailbox.url(), "group_wait": 0}})
    clock = Clock()
    clock.now = datetime.now(UTC)
    run = Run(config, clock)
    try:
        step(run, clock, 10)
        for name in ("BBC", "Al Jazeera", "France 24", "Reuters UK"):
            carry(site, name)
        step(run, clock, 21)
        step(run, clock, 1)
        listed = run.store.feed_alerts(None, 100)
        with_updates = run.store.feed_alerts(None, 100, updates=True)
    finally:
        run.close()
    assert len(listed) == 1 and listed[0].alert.update is None
    assert [f.alert.update is not None for f in with_updates] == [True, False]
    root = parsed(render_cap_feed(with_updates, {}, "", "http://127.0.0.1:9/feeds/alerts.cap",
                                  SENDER))
    update, first = (check_cap(m) for m in root.iter(f"{{{CAP}}}alert"))
    assert (update["msgType"], first["msgType"]) == ("Update", "Alert")
    sent = cap_time(datetime.fromtimestamp(with_updates[0].alert.update.of_sent_at, UTC))
    assert update["references"] == f"{SENDER},{first['identifier']},{sent}"
    assert "3 more independent outlets" in str(update["info"][0]["description"])

"""Follow-ups: a story that alerted on a channel sends that channel an update when it
escalates (more independent outlets, a place or group not named before), referring to the
first message: email threads it, the webhook carries `update_of`. At most `max_updates`,
spaced by `update_interval`, queued in the outbox like any alert.

Run by the real Monitor on a fake clock (so the update interval takes no time), against a
real feed server, a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.stories import thread_id
from tests.conftest import Mailbox, Site, rss_feed, write_config
from tests.healthkit import Clock, Run

TITLE = "Airstrike hits crowded market in Aleppo, dozens dead"
STORY = {"title": TITLE, "description": "An airstrike hit a crowded market in Aleppo."}
OUTLETS = {  # source -> the domain of its articles
    "Reuters": "www.reuters.com", "BBC": "www.bbc.co.uk", "Al Jazeera": "www.aljazeera.com",
    "France 24": "www.france24.com", "Reuters UK": "uk.reuters.com", "DW": "www.dw.com",
    "AP": "apnews.com",
}
RULE = {"name": "Fighting in Aleppo", "places": ["Aleppo"], "keywords": ["airstrike"]}


def path_of(name: str) -> str:
    return "/" + name.lower().replace(" ", "-") + ".xml"


def carry(site: Site, name: str, extra: str = "") -> None:
    site.feeds[path_of(name)] = rss_feed({
        **STORY, "title": f"{TITLE} - {name}", "link": f"https://{OUTLETS[name]}/a/1",
        "description": STORY["description"] + extra})


def start(site: Site, mailbox: Mailbox, tmp_path: Path, outlets: Iterable[str], rule: dict,
          **channel) -> tuple[Run, Clock]:
    """The Monitor on a fake clock: each outlet's feed a source, the webhook and the mail
    channel told at once (`channel`: their settings)."""
    sources = [{"name": n, "feed": site.url(path_of(n))} for n in outlets]
    config = write_config(tmp_path, sources=sources, rules=[rule], channels={
        "hook": {"url": f"webhook://127.0.0.1:{site.port}/hook", "group_wait": 0, **channel},
        "mail": {"url": mailbox.url(), "group_wait": 0, **channel}},
        poll={"interval": "5m"})
    clock = Clock()
    clock.now = datetime.now(UTC)
    return Run(config, clock), clock


def setup(site: Site, mailbox: Mailbox, tmp_path: Path, rule: dict | None = None,
          **channel) -> tuple[Run, Clock]:
    for name in OUTLETS:
        site.feeds[path_of(name)] = rss_feed()
    carry(site, "Reuters")
    return start(site, mailbox, tmp_path, OUTLETS, rule or RULE, **channel)


def step(run: Run, clock: Clock, minutes: float) -> None:
    """Poll every source, send what is due, then let `minutes` pass."""
    async def go() -> None:
        await run.monitor.poll_all()
        await run.monitor.deliver(flush=True)
    run.run(go())
    clock.now += timedelta(minutes=minutes)


def hooks(site: Site) -> list[dict]:
    return [json.loads(body)["alerts"][0] for body in site.posts.get("/hook", [])]


def test_a_story_gaining_outlets_gives_one_alert_then_one_update_threaded_under_it(
        site: Site, mailbox: Mailbox, tmp_path: Path):
    run, clock = setup(site, mailbox, tmp_path)
    try:
        step(run, clock, 10)
        [first] = hooks(site)
        assert (first["outlets"], first["independent"], first["update_of"]) == (1, 1, None)
        [mail] = mailbox.messages
        assert "(1 source)" in mail.get_body(("plain",)).get_content()
        # four more outlets within 30 minutes, three of them independent
        for name in ("BBC", "Al Jazeera", "France 24", "Reuters UK"):
            carry(site, name)
        step(run, clock, 21)  # polled 10 minutes after the first alert: the update waits
        step(run, clock, 1)  # ... until update_interval (30 min) after it
        assert len(hooks(site)) == 2 and len(mailbox.messages) == 2
        update = hooks(site)[1]
        assert (update["outlets"], update["independent"]) == (5, 4)
        assert update["story"] == first["story"]
        assert update["update_of"]["number"] == 1
        assert update["update_of"]["title"].startswith(TITLE)
        assert update["update_of"]["changes"] == ["3 more independent outlets (4 in all)"]
        threaded = mailbox.messages[1]
        root = thread_id(first["story"], "mail")
        # the update replies to the first mail's own Message-ID: clients thread it there
        assert mail["Message-ID"] == root and mail["References"] is None
        assert threaded["In-Reply-To"] == root and threaded["References"] == root
        assert threaded["Message-ID"] not in (None, root)
        assert threaded["Subject"].startswith("Update: [Fighting in Aleppo]")
        assert "5 outlets, 4 independent" in threaded.get_body(("plain",)).get_content()
        # a fifth and sixth independent outlet soon after add nothing
        for name in ("DW", "AP"):
            carry(site, name)
        for _ in range(4):
            step(run, clock, 6)
        assert len(hooks(site)) == 2 and len(mailbox.messages) == 2
    finally:
        run.close()


def test_a_place_not_named_before_is_an_update_and_max_updates_caps_them(
        site: Site, mailbox: Mailbox, tmp_path: Path):
    rule = {**RULE, "places": ["Aleppo", "Manbij", "Idlib"]}
    run, clock = setup(site, mailbox, tmp_path, rule, max_updates=1, update_interval="0s")
    try:
        step(run, clock, 6)
        carry(site, "BBC", " Strikes also hit Manbij.")
        step(run, clock, 6)
        update = hooks(site)[1]
        assert update["update_of"]["changes"] == ["now also: Manbij"]
        carry(site, "Al Jazeera", " And Idlib was shelled.")
        step(run, clock, 6)
        assert len(hooks(site)) == 2  # max_updates: 1
    finally:
        run.close()


def test_no_updates_when_a_channel_asks_for_none(site: Site, mailbox: Mailbox,
                                                 tmp_path: Path):
    run, clock = setup(site, mailbox, tmp_path, max_updates=0)
    try:
        step(run, clock, 6)
        for name in ("BBC", "Al Jazeera", "France 24", "DW"):
            carry(site, name)
        for _ in range(7):
            step(run, clock, 6)
        assert len(hooks(site)) == 1
    finally:
        run.close()

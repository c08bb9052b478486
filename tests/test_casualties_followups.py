"""A story's rising toll is an escalation: the channel that was told "at least 32 killed"
hears "Toll rose: at least 32 → 45 killed" when a later entry of the story reports more,
once, within the channel's max_updates and update_interval, threaded under the first message.

Run by the real Monitor on a fake clock, against a real feed server, a real webhook receiver
and a real SMTP server, as tests/test_followups.py runs the other escalations."""

from __future__ import annotations

from pathlib import Path

from monitor.stories import thread_id
from tests.conftest import Mailbox, Site, rss_feed
from tests.healthkit import Clock, Run
from tests.test_followups import hooks, path_of, start, step

TITLE = "Car bomb tears through crowded market in Azaz"
FIRST = "A car bomb exploded in a crowded market in Azaz on Friday, killing at least 32 people."
OUTLETS = {"Reuters": "www.reuters.com", "BBC": "www.bbc.co.uk",
           "Al Jazeera": "www.aljazeera.com", "France 24": "www.france24.com"}
RULE = {"name": "Deadly bombing", "keywords": ["car bomb"], "min_killed": 10}


def carry(site: Site, name: str, text: str) -> None:
    site.feeds[path_of(name)] = rss_feed({"title": f"{TITLE} - {name}",
                                          "link": f"https://{OUTLETS[name]}/a/1",
                                          "description": text})


def setup(site: Site, mailbox: Mailbox, tmp_path: Path, **channel) -> tuple[Run, Clock]:
    for name in OUTLETS:
        site.feeds[path_of(name)] = rss_feed()
    carry(site, "Reuters", FIRST)
    return start(site, mailbox, tmp_path, OUTLETS, RULE, **channel)


def test_a_rising_toll_sends_one_update_saying_so_threaded_under_the_first_message(
        site: Site, mailbox: Mailbox, tmp_path: Path) -> None:
    run, clock = setup(site, mailbox, tmp_path)
    try:
        step(run, clock, 10)
        [first] = hooks(site)
        assert first["casualties"]["killed"]["count"] == 32 and first["update_of"] is None
        carry(site, "BBC", FIRST.replace("killing at least 32 people", "killing dozens")
              + " Medics said the death toll had risen to 45.")
        step(run, clock, 21)  # polled 10 minutes after the first alert: the update waits
        assert len(hooks(site)) == 1
        step(run, clock, 1)  # ... until update_interval (30 min) after it
        assert len(hooks(site)) == 2 and len(mailbox.messages) == 2
        update = hooks(site)[1]
        assert update["story"] == first["story"]
        assert update["update_of"]["changes"] == ["Toll rose: at least 32 → 45 killed"]
        assert update["casualties"]["killed"]["count"] == 45
        threaded = mailbox.messages[1]
        root = thread_id(first["story"], "mail")
        assert threaded["In-Reply-To"] == root
        body = threaded.get_body(("plain",)).get_content()
        assert "Toll rose: at least 32 → 45 killed" in body and "45 killed" in body
        # the same toll again, and a vaguer one, add nothing
        carry(site, "Al Jazeera", FIRST.replace("at least 32", "45"))
        carry(site, "France 24", FIRST.replace("at least 32", "up to 80"))
        for _ in range(8):
            step(run, clock, 6)
        assert len(hooks(site)) == 2
    finally:
        run.close()


def test_max_updates_caps_a_toll_that_keeps_rising(site: Site, mailbox: Mailbox,
                                                   tmp_path: Path) -> None:
    run, clock = setup(site, mailbox, tmp_path, max_updates=1, update_interval="0s")
    try:
        step(run, clock, 6)
        carry(site, "BBC", FIRST.replace("at least 32", "40"))
        step(run, clock, 6)
        assert [h["update_of"]["changes"] for h in hooks(site)[1:]] == [
            ["Toll rose: at least 32 → 40 killed"]]
        carry(site, "Al Jazeera", FIRST.replace("at least 32", "more than 60"))
        for _ in range(3):
            step(run, clock, 6)
        assert len(hooks(site)) == 2  # max_updates: 1
    finally:
        run.close()


def test_a_lower_toll_from_a_later_outlet_is_no_update(site: Site, mailbox: Mailbox,
                                                       tmp_path: Path) -> None:
    run, clock = setup(site, mailbox, tmp_path, update_interval="0s")
    try:
        step(run, clock, 6)
        carry(site, "BBC", FIRST.replace("at least 32", "20"))
        for _ in range(3):
            step(run, clock, 6)
        assert len(hooks(site)) == 1
    finally:
        run.close()

"""No stale alerts: a source's first poll records its archive and alerts only on what is
recent; old entries never alert; a feed is cut to its newest items, not its first; `once`
sends everything that is due. Real local HTTP servers and the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from monitor.sources.feeds import MAX_ENTRIES
from tests.conftest import rss_feed, run_cli, write_config

NOW = datetime.now(UTC)
def item(title: str, when: datetime | None, link: str, text: str = "") -> dict[str, str]:
    return {"title": title, "link": link, "description": text,
            "pubDate": format_datetime(when) if when else ""}


def distinct_title(i: int) -> str:
    """An Aleppo headline of its own story (titles that share most words are one story)."""
    def word(n: int) -> str:
        return "".join(chr(97 + n // 26 ** k % 26) for k in range(4))
    return "Airstrike on Aleppo " + " ".join(word(i * 4 + k) for k in range(4))


def once_json(config: Path) -> tuple[list[dict], list[dict]]:
    """(alerts, held-back lines) printed by `once --json`."""
    result = run_cli("once", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return ([x for x in lines if "rule" in x], [x for x in lines if "held_back" in x])


def alert_counts(config: Path) -> dict[str, int]:
    return json.loads(run_cli("status", "--json", "-c", str(config)).stdout)["alerts"]


def test_a_new_source_alerts_only_its_three_items_of_the_last_hour_then_nothing(site,
                                                                                  tmp_path):
    old = [item(distinct_title(i), datetime(2019 + i % 5, 1 + i % 12, 1 + i % 28, tzinfo=UTC),
                f"https://news.example.org/old/{i}", "An airstrike hit Aleppo.")
           for i in range(100)]
    recent = [item(title, NOW - timedelta(minutes=minutes), f"https://news.example.org/{n}",
                   "An airstrike hit Aleppo.")
              for n, (title, minutes) in enumerate([
                  ("Airstrike hits Aleppo market at dawn", 5),
                  ("Shelling of eastern Aleppo districts resumes overnight", 20),
                  ("Counterattack north of Aleppo reported by monitors", 50)])]
    site.feeds["/feed.xml"] = rss_feed(*old[:50], *recent, *old[50:])
    config = write_config(tmp_path, sources=[{"name": "wire", "feed": site.url("/feed.xml")}])

    alerts, held = once_json(config)
    assert sorted(a["title"] for a in alerts) == sorted(r["title"] for r in recent)
    assert held == [{"source": "wire",
                     "held_back": {"alert_window": 100, "undated": 0, "max_age": 0}}]
    assert alert_counts(config) == {"sent": 3}

    alerts, held = once_json(config)
    assert alerts == [] and held == []
    assert alert_counts(config) == {"sent": 3}

    report = json.loads(run_cli("backtest", "--json", "-c", str(config)).stdout)
    assert report["added"] == [] and report["dropped"] == [] and report["unchanged"] == 3
    assert report["held_back"] == {"wire": {"alert_window": 100, "undated": 0, "max_age": 0}}


def test_once_says_per_source_what_it_held_back_and_why(site, tmp_path):
    site.feeds["/feed.xml"] = rss_feed(
        item(distinct_title(1), NOW - timedelta(days=400), "https://e.org/1"),
        item(distinct_title(2), None, "https://e.org/2"))
    config = write_config(tmp_path, sources=[{"name": "wire", "feed": site.url("/feed.xml")}])
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("wire: held back 1 older than the alert window on first poll; "
            "1 without a date on first poll") in result.stdout


def test_on_later_polls_undated_items_alert_and_those_older_than_max_age_do_not(site,
                                                                                tmp_path):
    site.feeds["/feed.xml"] = rss_feed(item("Quiet day", NOW, "https://e.org/0"))
    config = write_config(tmp_path, sources=[
        {"name": "wire", "feed": site.url("/feed.xml"), "max_age": "2d"}])
    assert once_json(config) == ([], [])
    site.feeds["/feed.xml"] = rss_feed(
        item("Quiet day", NOW, "https://e.org/0"),
        item("Airstrike on Aleppo hospital, undated", None, "https://e.org/1",
             "An airstrike hit Aleppo."),
        item("Shelling in Aleppo three days ago", NOW - timedelta(days=3), "https://e.org/2",
             "Shelling in Aleppo."),
        item("Counterattack in Aleppo next year", NOW + timedelta(days=365), "https://e.org/3",
             "A counterattack in Aleppo."))
    alerts, held = once_json(config)
    assert sorted(a["title"] for a in alerts) == ["Airstrike on Aleppo hospital, undated",
                                                  "Counterattack in Aleppo next year"]
    assert held == [{"source": "wire",
                     "held_back": {"alert_window": 0, "undated": 0, "max_age": 1}}]


def test_a_source_whose_url_changes_starts_over_with_a_first_poll(site, tmp_path):
    site.feeds["/a.xml"] = rss_feed(item("Quiet day", NOW, "https://e.org/0"))
    site.feeds["/b.xml"] = rss_feed(
        item(distinct_title(1), NOW - timedelta(days=2), "https://e.org/1",
             "An airstrike hit Aleppo."))
    sources = [{"name": "wire", "feed": site.url("/a.xml")}]
    config = write_config(tmp_path, sources=sources)
    assert once_json(config) == ([], [])
    config = write_config(tmp_path, sources=[{"name": "wire", "feed": site.url("/b.xml")}])
    alerts, held = once_json(config)  # two days old: within max_age, not the alert window
    assert alerts == []
    assert held == [{"source": "wire",
                     "held_back": {"alert_window": 1, "undated": 0, "max_age": 0}}]


def test_an_oldest_first_feed_of_1046_items_alerts_on_the_item_it_adds_at_the_end(site,
                                                                                  tmp_path):
    start = datetime(2021, 1, 1, tzinfo=UTC)
    archive = [item(f"Market prices bulletin number {i}", start + timedelta(hours=i),
                    f"https://e.org/bulletin/{i}", "Prices were steady.") for i in range(1046)]
    site.feeds["/feed.xml"] = rss_feed(*archive)
    config = write_config(tmp_path, sources=[{"name": "wire", "feed": site.url("/feed.xml")}])
    alerts, held = once_json(config)
    assert alerts == []
    assert held[0]["held_back"]["alert_window"] == MAX_ENTRIES  # the newest 500 were read

    added = item("Airstrike on Aleppo bakery kills six", NOW, "https://e.org/news/1",
                 "An airstrike hit Aleppo.")
    site.feeds["/feed.xml"] = rss_feed(*archive, added)
    alerts, held = once_json(config)
    assert [a["title"] for a in alerts] == [added["title"]]
    assert held == []


def test_once_sends_every_due_alert_not_only_the_first_500(site, tmp_path):
    for half in (0, 1):
        site.feeds[f"/{half}.xml"] = rss_feed(*(
            item(distinct_title(half * 300 + i), NOW - timedelta(minutes=1),
                 f"https://e.org/{half}/{i}", "An airstrike hit Aleppo.") for i in range(300)))
    config = write_config(tmp_path, sources=[
        {"name": f"wire {half}", "feed": site.url(f"/{half}.xml")} for half in (0, 1)])
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr[-2000:]
    assert alert_counts(config) == {"sent": 600}

"""The whole pipeline as an operator runs it: real processes, a real feed server and a real
webhook receiver on 127.0.0.1, state on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from tests.conftest import rss_feed, run_cli, write_config

FIGHTING = {"title": "Airstrikes pound eastern Aleppo overnight",
            "link": "https://news.example.org/aleppo-airstrikes?utm_source=rss",
            "description": "Russian and Syrian warplanes carried out air strikes on rebel-held "
                           "districts of Aleppo, residents said."}
ISIS = {"title": "Daesh claims bus attack near Atmeh",
        "link": "https://news.example.org/atmeh-bus",
        "description": "ISIS claimed responsibility for a suicide bombing on a bus near the "
                       "Atmeh border crossing."}
UNRELATED = {"title": "Central bank holds rates", "link": "https://news.example.org/rates",
             "description": "The central bank left its benchmark rate unchanged."}
FOOTBALL = {"title": "Aleppo club wins the cup", "link": "https://news.example.org/cup",
            "description": "A quick move through midfield sealed the final."}
NEW_FIGHTING = {"title": "Shelling resumes in Aleppo's old city",
                "link": "https://news.example.org/aleppo-shelling",
                "description": "Heavy shelling was reported near the citadel."}


def received(site) -> list[dict]:
    return [json.loads(body) for body in site.posts.get("/hook", [])]


def test_once_sends_exactly_the_alerts_the_rules_call_for_and_never_twice(
        site, tmp_path, state_url):
    site.feeds["/world.xml"] = rss_feed(FIGHTING, UNRELATED, ISIS, FOOTBALL)
    site.feeds["/other.xml"] = rss_feed(UNRELATED)
    config = write_config(
        tmp_path, state=state_url,
        sources=[{"name": "World", "feed": site.url("/world.xml")},
                 {"name": "Other", "feed": site.url("/other.xml")}],
        channels={"hook": f"json://127.0.0.1:{site.port}/hook"})

    first = run_cli("once", "-c", str(config))
    assert first.returncode == 0, first.stderr
    titles = sorted(m["title"] for m in received(site))
    assert titles == ["[Fighting in Aleppo] Airstrikes pound eastern Aleppo overnight",
                      "[ISIS claims an attack] Daesh claims bus attack near Atmeh"]
    assert "https://news.example.org/aleppo-airstrikes" in received(site)[0]["message"] + \
        received(site)[1]["message"]

    second = run_cli("once", "-c", str(config))  # a new process: a restart
    assert second.returncode == 0, second.stderr
    assert len(received(site)) == 2

    site.feeds["/world.xml"] = rss_feed(NEW_FIGHTING, FIGHTING, UNRELATED, ISIS, FOOTBALL)
    third = run_cli("once", "-c", str(config))
    assert third.returncode == 0, third.stderr
    assert len(received(site)) == 3
    assert received(site)[2]["title"] == ("[Fighting in Aleppo] Shelling resumes in "
                                          "Aleppo's old city")

    status = json.loads(run_cli("status", "--json", "-c", str(config)).stdout)
    assert status["alerts"] == {"sent": 3}
    assert {s["source"]: s["entries_seen"] for s in status["sources"]} == {"World": 5,
                                                                           "Other": 1}


def test_same_story_from_two_sources_alerts_once(site, tmp_path):
    site.feeds["/a.xml"] = rss_feed(FIGHTING)
    site.feeds["/b.xml"] = rss_feed({**FIGHTING, "link": FIGHTING["link"] + "&fbclid=zz",
                                     "guid": "b-1"})
    config = write_config(tmp_path, sources=[{"name": "A", "feed": site.url("/a.xml")},
                                             {"name": "B", "feed": site.url("/b.xml")}],
                          channels={"hook": f"json://127.0.0.1:{site.port}/hook"})
    assert run_cli("once", "-c", str(config)).returncode == 0
    assert len(received(site)) == 1


def test_once_json_reports_hits_with_offsets_into_the_text(site, tmp_path):
    site.feeds["/world.xml"] = rss_feed(FIGHTING, UNRELATED)
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/world.xml")}])
    result = run_cli("once", "--dry-run", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["watchlist"] == "test-watch" and alert["rule"] == "Fighting in Aleppo"
    assert alert["url"] == "https://news.example.org/aleppo-airstrikes"
    assert alert["source"] == "World" and alert["channels"] == ["console"]
    fields = {"title": FIGHTING["title"], "text": FIGHTING["description"]}
    surface = {fields[h["field"]][h["start"]:h["end"]] for h in alert["hits"]}
    assert {"Aleppo", "Airstrikes", "air strikes"} <= surface
    # a dry run records nothing: the real run still finds the alert
    again = run_cli("once", "--json", "-c", str(config))
    assert len(again.stdout.splitlines()) == 1


def test_bundled_config_alerts_on_the_sample_article_offline(bundled_config):
    result = run_cli("once", "-c", str(bundled_config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Fighting in Aleppo" in out and "ISIS claims an attack" in out
    assert "Humanitarian access" in out
    assert "Al-Ittihad" not in out and "Central bank" not in out
    assert "Syrian army repel armed opposition’s advance in Aleppo" in out

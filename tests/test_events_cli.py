"""`events:` in watch rules, end to end: `check` knows the event types (and says where a
wrong one is written), `test` names the event each hit belongs to, alerts and the webhook
document carry the event types (a real receiver on 127.0.0.1)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import yaml

from monitor.alerts.render import email_html, plain_text, slack_markdown
from monitor.config import load_config
from monitor.pipeline import examine
from monitor.records import Entry, Hit
from monitor.topics import topics_of
from tests.conftest import (
    EVENT_CEILING,
    ROOT,
    Daemon,
    Site,
    edit_until_logged,
    rss_feed,
    run_cli,
    write_config,
)
from tests.test_channels import make_alert

SCHEMA = json.loads((ROOT / "config" / "schema" / "webhook.schema.json").read_text())
STRIKE = {"title": "Warplanes pound Atarib market",
          "link": "https://news.example.org/atarib",
          "description": "Russian warplanes struck a market in Atarib, and a suicide bomber "
                         "blew himself up at a checkpoint nearby, rescuers said."}


def config_with(tmp_path: Path, rules: list[dict], **settings: object) -> Path:
    return write_config(tmp_path, sources=[], rules=rules, **settings)


def test_check_accepts_event_types_by_name_alias_and_acled_sub_event(tmp_path: Path):
    config = config_with(tmp_path, [
        {"name": "Strikes", "events": ["airstrike", "air raid", "Shelling/artillery/missile "
                                                                "attack"]},
        {"name": "One", "events": "suicide bombing"},
    ])
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_refuses_an_unknown_event_type_at_its_line_with_a_suggestion(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Strikes", "events": ["airstrike", "shellings"]}])
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).splitlines()
    text = (tmp_path / "watchlists" / "test.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "shellings" in t)
    assert any(f"test.yaml:{line}:" in out and "unknown event type 'shellings'" in out
               and "did you mean 'shelling'" in out for out in lines), lines


def test_check_reports_mistakes_in_the_users_events_file_at_their_line(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "R", "keywords": ["x"]}])
    (tmp_path / "events.yaml").write_text("airstrike:\n  phrases:\n    english: [jets]\n",
                                          encoding="utf-8")
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "events.yaml:3:5: 'english' is not a language code" in result.stdout + result.stderr


def test_the_users_events_file_extends_what_rules_match(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Sieges", "events": ["siege"]}])
    (tmp_path / "events.yaml").write_text(
        "siege:\n  acled: {event_type: Strategic developments, sub_event_type: Other}\n"
        "  phrases: {en: [besieged, under siege]}\n", encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("Madaya remains besieged\nThe town has been under siege for months.\n",
                       encoding="utf-8")
    result = run_cli("test", "-c", str(config), str(article))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hit: besieged (event: siege)" in result.stdout


def test_test_names_the_event_type_of_each_hit(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Strikes", "events": ["airstrike",
                                                                   "suicide bombing"]}])
    article = tmp_path / "a.txt"
    article.write_text(f"{STRIKE['title']}\n{STRIKE['description']}\n", encoding="utf-8")
    result = run_cli("test", "-c", str(config), str(article))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "hit: warplanes struck (event: airstrike) — text ×1: “warplanes struck”" in out
    assert "hit: suicide bomb* (event: suicide bombing) — text ×1: “suicide bomber”" in out
    assert "events: airstrike, suicide bombing" in out
    report = json.loads(run_cli("test", "--json", "-c", str(config), str(article)).stdout)
    kinds = {(h["concept"], h["kind"]) for h in report["matches"][0]["hits"]}
    assert kinds == {("airstrike", "event"), ("suicide bombing", "event")}


def test_a_workers_strike_fires_no_events_rule_in_test(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Strikes", "events": ["airstrike"]}])
    article = tmp_path / "a.txt"
    article.write_text("Strike in Damascus\nWorkers went on strike over unpaid wages.\n",
                       encoding="utf-8")
    result = run_cli("test", "-c", str(config), str(article))
    assert result.returncode == 1 and "no rule fires" in result.stdout


def test_the_webhook_document_lists_the_event_types_and_marks_event_hits(site: Site,
                                                                       tmp_path: Path):
    site.feeds["/f.xml"] = rss_feed(STRIKE)
    kept: list[bytes] = []

    def hook(request):  # type: ignore[no-untyped-def]
        from werkzeug import Response
        kept.append(request.get_data())
        return Response("ok")

    site.handlers["/hook"] = hook
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": f"webhook://127.0.0.1:{site.port}/hook"},
                          rules=[{"name": "Strikes", "places": ["Atarib"],
                                  "events": ["suicide bombing", "airstrike"]}])
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    [body] = kept
    document = json.loads(body)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    [alert] = document["alerts"]
    assert alert["events"] == ["airstrike", "suicide bombing"]  # in reading order
    assert alert["places"] == ["Atarib"]
    event_hits = [h for h in alert["rules"][0]["hits"] if h["kind"] == "event"]
    assert {h["concept"] for h in event_hits} == {"airstrike", "suicide bombing"}
    for hit in event_hits:
        text = STRIKE["title"] if hit["field"] == "title" else STRIKE["description"]
        assert text[hit["start"]:hit["end"]].lower().startswith(hit["term"][:4].lower())


def test_messages_show_the_event_types_and_none_when_no_rule_lists_events():
    hits = (Hit("air raid", "text", 0, 8, "airstrike", "event"),
            Hit("Aleppo", "text", 20, 26, "Aleppo", "place"),
            Hit("clashes", "text", 30, 37, "armed clash", "event"))
    alert = replace(make_alert(), hits=hits)
    assert "events: airstrike, armed clash" in plain_text(alert)
    assert "Events: airstrike, armed clash" in slack_markdown(alert)
    assert "<p>Events: airstrike, armed clash</p>" in email_html(alert)
    assert "vents:" not in plain_text(make_alert())


def test_the_shipped_watchlist_uses_events_and_passes_check():
    shipped = yaml.safe_load((ROOT / "config" / "watchlists" / "syria.yaml").read_text())
    assert any(rule.get("events") for rule in shipped["rules"])
    result = run_cli("check", "-c", str(ROOT / "config" / "monitor.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_surges_can_be_counted_by_event_type(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Violence", "places": ["Syria"], "within": True,
                                     "events": ["airstrike", "shelling", "abduction"],
                                     "surge": {"by": "event"}}])
    loaded = load_config(config)
    entry = Entry(source="W", key="1", url="https://w.example/1",
                  title="Air raids and shelling on Idlib",
                  summary="Warplanes struck Idlib as artillery fire hit Ariha, Syria.")
    surges = {(r.watchlist, r.name): r.surges for r in loaded.rules if r.surges}
    topics = topics_of(examine(entry, loaded.matcher), surges)
    assert {(t.key, t.label) for t in topics} == {("event:airstrike", "airstrike"),
                                                  ("event:shelling", "shelling")}


def test_the_seed_article_fires_a_suicide_bombing_rule_and_not_a_chemical_one(tmp_path: Path):
    config = config_with(tmp_path, [{"name": "Bombings", "events": ["suicide bombing"]},
                                    {"name": "Gas", "events": ["chemical weapon"]}])
    result = run_cli("test", "-c", str(config), str(ROOT / "tests/data/aleppo-article.txt"))
    assert result.returncode == 0, result.stderr
    assert "Bombings (test-watch)" in result.stdout and "Gas (test-watch)" not in result.stdout
    assert "hit: suicide bomb* (event: suicide bombing) — text ×1: “suicide bombing”" in \
        result.stdout


def test_a_running_daemon_applies_an_edit_of_events_yaml_and_refuses_a_bad_one(site: Site,
                                                                            tmp_path: Path):
    """The user's event catalog is a config file like the others: an edit is picked up and
    the next poll matches by it; a wrong one is refused at its line, the old phrases kept."""
    first = {"title": "Madaya besieged", "link": "https://n.example/1",
             "description": "The town of Madaya is besieged."}
    second = {"title": "Zabadani under siege", "link": "https://n.example/2",
              "description": "Zabadani has been under siege for a year."}
    third = {"title": "Daraya besieged again", "link": "https://n.example/3",
             "description": "Daraya is besieged."}
    site.feeds["/f.xml"] = rss_feed(first)
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml"),
                                              "interval": "1s"}],
                          rules=[{"name": "Sieges", "events": ["siege"]}])
    events = tmp_path / "events.yaml"
    head = "siege:\n  acled: {event_type: Strategic developments, sub_event_type: Other}\n"
    events.write_text(head + "  phrases: {en: [besieged]}\n", encoding="utf-8")

    def add_phrase() -> None:
        events.write_text(head + "  phrases: {en: [besieged, under siege]}\n", encoding="utf-8")

    def break_it() -> None:
        events.write_text(head + "  phrases: {english: [under siege]}\n", encoding="utf-8")

    daemon = Daemon(config)
    try:
        assert daemon.wait_for("news-monitor running", EVENT_CEILING), daemon.err.decode()
        assert daemon.wait_for("Madaya besieged", EVENT_CEILING, "out"), daemon.out.decode()
        assert edit_until_logged(daemon, add_phrase, "configuration reloaded"), \
            daemon.err.decode()
        site.feeds["/f.xml"] = rss_feed(second, first)
        assert daemon.wait_for("Zabadani under siege", EVENT_CEILING, "out"), \
            daemon.out.decode()
        assert edit_until_logged(daemon, break_it, "config reload refused"), daemon.err.decode()
        assert re.search(r"events\.yaml:3:\d+: 'english' is not a language code",
                         daemon.err.decode()), daemon.err.decode()
        site.feeds["/f.xml"] = rss_feed(third, second, first)
        assert daemon.wait_for("Daraya besieged again", EVENT_CEILING, "out"), \
            daemon.out.decode()
    finally:
        daemon.stop()

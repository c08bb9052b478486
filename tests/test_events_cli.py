"""`events:` in watch rules, end to end: `check` knows the event types (and says where a
wrong one is written), `test` names the event each hit belongs to, alerts and the webhook
document carry the event types (a real receiver on 127.0.0.1)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import yaml

from monitor.alerts.render import email_html, plain_text, slack_markdown
from monitor.records import Hit
from tests.conftest import ROOT, Site, rss_feed, run_cli, write_config
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
    assert "hit: suicide bomber (event: suicide bombing)" in out
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

"""Casualty figures in rules and alerts: `min_killed` and its kin decide whether a rule fires,
and the figures travel with the alert through the outbox to templates, webhooks, `alerts
--json` and `test`."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from werkzeug import Response

from monitor.alerts.render import email_html, plain_text, sample_alert, slack_markdown
from monitor.alerts.webhook import webhook_document
from monitor.config import load_config
from monitor.facts import Casualties, Figure, FiguresOf, Minimums
from monitor.match import Matcher
from monitor.match.spec import RuleSpec
from monitor.pipeline import examine, make_alert
from monitor.records import Document, Entry
from monitor.store.codec import alert_from_json, alert_to_json
from tests.conftest import ROOT, Site, rss_feed, run_cli, write_config

# the module (the package's `casualties` is its function)
reader = importlib.import_module("monitor.facts.casualties")
SEED = Path(__file__).parent / "data" / "aleppo-article.txt"
SCHEMA = json.loads((ROOT / "config" / "schema" / "webhook.schema.json").read_text())
SUICIDE = ["suicide bombing"]  # the words of the event the seed article's toll belongs to
BOMBING = {"events": ["suicide bombing"]}  # ... and its event type (monitor/data/events.yaml)


def seed_entry() -> Entry:
    title, _, text = SEED.read_text(encoding="utf-8").partition("\n")
    return Entry(source="seed", key="seed", url="https://example.org/seed", title=title,
                 summary=text.strip())


def seed_rules(tmp_path: Path, *rules: dict[str, Any], **watchlist: Any) -> Matcher:
    """The matcher `check` and `run` would build from a watchlist with these rules."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "feed.xml").write_bytes(rss_feed())
    path = write_config(tmp_path, sources=[{"name": "Local", "feed": "feed.xml"}],
                        rules=list(rules))
    if watchlist:
        file = tmp_path / "watchlists" / "test.yaml"
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        file.write_text(yaml.safe_dump({**data, **watchlist}, sort_keys=False),
                        encoding="utf-8")
    return load_config(path).matcher


def fired(matcher: Matcher, entry: Entry | None = None) -> list[str]:
    return [m.rule for m in examine(entry or seed_entry(), matcher).matches]


def test_the_seed_article_fires_with_min_killed_30_and_shows_at_least_32_killed(
        tmp_path: Path) -> None:
    matcher = seed_rules(tmp_path, {"name": "Deadly bombing", **BOMBING, "min_killed": 30})
    found = examine(seed_entry(), matcher)
    [match] = found.matches
    alert = make_alert(found, match)
    assert str(alert.casualties.killed) == "at least 32 killed"
    assert "at least 32 killed" in plain_text(alert)
    assert "at least 32 killed" in slack_markdown(alert)
    assert "<strong>at least 32 killed</strong>" in email_html(alert)


def test_the_seed_article_does_not_fire_with_min_killed_60(tmp_path: Path) -> None:
    matcher = seed_rules(tmp_path, {"name": "Massacre", **BOMBING, "min_killed": 60})
    assert fired(matcher) == []
    without = seed_rules(tmp_path / "none", {"name": "Any bombing", **BOMBING})
    assert fired(without) == ["Any bombing"]  # the event alone fires: the minimum held it


def test_a_minimum_of_another_kind_the_article_does_not_report_is_not_met(
        tmp_path: Path) -> None:
    matcher = seed_rules(tmp_path, {"name": "Kidnapping", "keywords": SUICIDE,
                                    "min_kidnapped": 1},
                         {"name": "No minimum", "keywords": SUICIDE})
    assert fired(matcher) == ["No minimum"]


def test_a_watchlist_minimum_is_its_rules_default_and_a_rule_can_lower_or_drop_it(
        tmp_path: Path) -> None:
    matcher = seed_rules(tmp_path,
                         {"name": "Inherits 60", "keywords": SUICIDE},
                         {"name": "Asks 30", "keywords": SUICIDE, "min_killed": 30},
                         {"name": "Asks none", "keywords": SUICIDE, "min_killed": 0},
                         min_killed=60)
    assert fired(matcher) == ["Asks 30", "Asks none"]


def test_up_to_is_no_evidence_for_a_minimum(tmp_path: Path) -> None:
    matcher = seed_rules(tmp_path, {"name": "Ten dead", "keywords": ["airstrike"],
                                    "min_killed": 10})
    maybe = Entry("s", "k", "", "Airstrike on Idlib", "Up to 40 people may have been killed "
                                                     "in the airstrike.")
    sure = Entry("s", "k2", "", "Airstrike on Idlib", "The airstrike killed more than 10.")
    assert fired(matcher, maybe) == []
    assert fired(matcher, sure) == ["Ten dead"]


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "greater than or equal to 0"),
    ("ten", "valid integer"),
    ("true", "valid integer"),
    ("2.5", "valid integer"),
])
def test_check_rejects_a_bad_minimum_at_its_line(tmp_path: Path, value: str,
                                                 message: str) -> None:
    (tmp_path / "feed.xml").write_bytes(rss_feed())
    path = write_config(tmp_path, sources=[{"name": "Local", "feed": "feed.xml"}])
    (tmp_path / "watchlists" / "test.yaml").write_text(
        "name: w\nrules:\n  - name: r\n    keywords: [bomb]\n"
        f"    min_killed: {value}\n", encoding="utf-8")
    result = run_cli("check", "-c", str(path))
    assert result.returncode != 0
    assert "test.yaml:5:" in result.stderr and "min_killed" in result.stderr
    assert message in result.stderr


def test_the_figures_are_read_once_per_article_however_many_rules_ask(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = reader.casualties

    def counted(title: str, text: str) -> Casualties:
        reads.append(title)
        return real(title, text)

    monkeypatch.setattr(reader, "casualties", counted)
    rules = [RuleSpec("w", f"r{n}", keywords=("suicide bombing",),
                      minimums=Minimums(killed=n)) for n in range(1, 41)]
    found = examine(seed_entry(), Matcher.compile(rules))
    assert [m.rule for m in found.matches] == sorted(f"r{n}" for n in range(1, 33))
    make_alert(found, list(found.matches))
    assert reads == [seed_entry().title]


def test_no_figures_are_read_when_no_rule_fires(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    monkeypatch.setattr(reader, "casualties", lambda t, x: reads.append(t) or Casualties())
    matcher = Matcher.compile([RuleSpec("w", "r", keywords=("football",),
                                        minimums=Minimums(killed=1))])
    assert matcher.match(Document("t", "nothing to see"), FiguresOf("t", "x")) == []
    assert reads == []


def test_the_outbox_keeps_the_figures_and_reads_rows_written_without_them() -> None:
    figures = Casualties(killed=Figure("killed", 32, "at least", "killed at least 32 people"),
                         injured=Figure("injured", 50, "", "50 wounded"))
    alert = sample_alert().__class__(**{**_fields(sample_alert()), "casualties": figures})
    again = alert_from_json(alert_to_json(alert))
    assert again.casualties == figures
    old = json.loads(alert_to_json(sample_alert()))
    assert "casualties" not in old
    assert alert_from_json(json.dumps(old)).casualties == Casualties()
    broken = {**old, "casualties": {"killed": {"count": "many"}, "injured": [1]}}
    assert alert_from_json(json.dumps(broken)).casualties == Casualties()


def _fields(alert: Any) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in alert.__dataclass_fields__}


def test_the_webhook_document_carries_the_figures_and_passes_the_schema() -> None:
    figures = Casualties(killed=Figure("killed", 32, "at least", "killed at least 32 people"))
    alert = sample_alert().__class__(**{**_fields(sample_alert()), "casualties": figures})
    document = json.loads(json.dumps(webhook_document("hook", [alert], "", sample_alert()
                                                      .published).model_dump(mode="json")))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["alerts"][0]["casualties"] == {
        "killed": {"count": 32, "qualifier": "at least", "text": "killed at least 32 people"},
        "injured": None, "kidnapped": None, "displaced": None}


def test_the_seed_story_reaches_the_console_webhook_and_alerts_json_with_its_toll(
        site: Site, tmp_path: Path) -> None:
    entry = seed_entry()
    site.feeds["/f.xml"] = rss_feed({"title": entry.title, "link": entry.url,
                                     "description": entry.summary})
    kept: list[bytes] = []
    site.handlers["/hook"] = lambda request: kept.append(request.get_data()) or Response("ok")
    config = write_config(
        tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
        channels={"console": "console://", "hook": f"webhook://127.0.0.1:{site.port}/hook"},
        rules=[{"name": "Deadly bombing", **BOMBING, "min_killed": 30},
               {"name": "Massacre", **BOMBING, "min_killed": 60}])
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "at least 32 killed" in result.stdout and "Massacre" not in result.stdout
    [body] = kept
    document = json.loads(body)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    [alert] = document["alerts"]
    assert [r["name"] for r in alert["rules"]] == ["Deadly bombing"]
    assert alert["casualties"]["killed"] == {"count": 32, "qualifier": "at least",
                                             "text": "killed at least 32 people"}
    listed = run_cli("alerts", "--json", "-c", str(config))
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and all(r["casualties"]["killed"]["count"] == 32 for r in rows)


def test_the_test_command_shows_the_figures_and_the_rules_they_held_back(
        tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(rss_feed())
    config = write_config(tmp_path, sources=[{"name": "Local", "feed": "feed.xml"}],
                          rules=[{"name": "Massacre", "keywords": SUICIDE, "min_killed": 60}])
    result = run_cli("test", "-c", str(config), str(SEED))
    assert result.returncode == 1
    assert "casualties: at least 32 killed — “killed at least 32 people”" in result.stdout
    assert "Massacre" in result.stdout and "at least 60 killed" in result.stdout
    report = json.loads(run_cli("test", "--json", "-c", str(config), str(SEED)).stdout)
    assert report["casualties"]["killed"]["count"] == 32
    assert report["short_of_minimums"] == [{"watchlist": "test-watch", "rule": "Massacre",
                                            "asks": "60 killed"}]


def test_the_atom_feed_entry_names_the_figures() -> None:
    from datetime import UTC, datetime

    from monitor.alertfeed import render_feed
    from monitor.store import FeedAlert

    figures = Casualties(killed=Figure("killed", 32, "at least", "killed at least 32 people"))
    alert = sample_alert().__class__(**{**_fields(sample_alert()), "casualties": figures})
    body = render_feed([FeedAlert(1, "story", datetime.now(UTC), alert)], {}, "",
                       "http://127.0.0.1/feeds/alerts.atom").decode()
    assert "Casualties: at least 32 killed" in body
    assert "Casualties:" not in render_feed([FeedAlert(1, "story", datetime.now(UTC),
                                                       sample_alert())], {}, "",
                                            "http://127.0.0.1/feeds/alerts.atom").decode()

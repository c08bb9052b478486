"""The webhook:// channel: JSON documents that pass the shipped schema, signed with the URL's
secret, retried by the outbox like any channel, and the secret kept out of every output."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from werkzeug import Response

from monitor.alerts import DeliveryError, make_channel, redact_url
from monitor.alerts.render import sample_alert
from monitor.alerts.webhook import SIGNATURE_HEADER, parse_webhook_url, sign
from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import ROOT, Site, free_port, rss_feed, run_cli, write_config

SECRET = "Wh00kS3cretValue"
FIGHTING = {"title": "Airstrikes pound eastern Aleppo", "link": "https://news.example.org/a1",
            "description": "Warplanes carried out airstrikes on Aleppo, residents said."}
SCHEMA = json.loads((ROOT / "config" / "schema" / "webhook.schema.json").read_text())


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def validate(body: bytes) -> dict[str, Any]:
    """The document, after checking it against the shipped schema (formats included)."""
    document = json.loads(body)
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
    return document


def expected_signature(body: bytes, secret: str = SECRET) -> str:
    """What a receiver computes, written the way the README tells receivers to."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_posts(site: Site, path: str) -> list[tuple[bytes, dict[str, str]]]:
    """Each POST to `path` as (body, headers), kept by a handler that answers 200."""
    kept: list[tuple[bytes, dict[str, str]]] = []

    def hook(request):
        kept.append((request.get_data(), dict(request.headers)))
        return Response("ok")

    site.handlers[path] = hook
    return kept


def test_a_matched_story_reaches_the_receiver_as_a_signed_document_passing_the_schema(
        site: Site, tmp_path: Path) -> None:
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    kept = signed_posts(site, "/hook")
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": f"webhook://127.0.0.1:{site.port}/hook"
                                            f"?secret={SECRET}"})
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert len(kept) == 1
    body, headers = kept[0]
    assert headers["Content-Type"] == "application/json"
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected_signature(body))
    document = validate(body)
    assert document["version"] == 1 and document["heading"] == ""
    [alert] = document["alerts"]
    assert alert["story"]  # the story key the outbox row carries
    [rule] = alert["rules"]
    assert rule["watchlist"] == "test-watch"
    assert rule["name"] == "Fighting in Aleppo"
    assert rule["priority"] == "high"
    assert rule["score"] > 0
    assert rule["url"] == FIGHTING["link"]
    hits = rule["hits"]
    assert {h["term"].lower() for h in hits} >= {"aleppo", "airstrike"}
    texts = {"title": FIGHTING["title"], "text": FIGHTING["description"]}
    for hit in hits:  # offsets point at the words in the title or the text
        found = texts[hit["field"]][hit["start"]:hit["end"]]
        assert found.lower().startswith(hit["term"].lower()), hit
    assert alert["places"] == ["Aleppo"] and alert["groups"] == []
    assert alert["title"] == FIGHTING["title"] and alert["url"] == FIGHTING["link"]
    [source] = alert["sources"]
    assert source["name"] == "World" and source["first_seen"]  # when it carried the story
    assert SECRET not in body.decode() and SECRET not in json.dumps(headers)


def test_a_receiver_failing_with_500_gets_the_message_once_after_the_retry(
        site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    attempts: list[bytes] = []
    accepted: list[bytes] = []

    def hook(request):
        attempts.append(request.get_data())
        if len(attempts) == 1:
            return Response("boom", status=500)
        accepted.append(request.get_data())
        return Response("ok")

    site.handlers["/hook"] = hook
    url = f"webhook://127.0.0.1:{site.port}/hook?secret={SECRET}"
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": url}, delivery={"retry_base": "30s"})
    clock = Clock()
    loaded = load_config(config)
    monitor = Monitor(loaded, Store.open(loaded.state_url), clock=clock)
    caplog.set_level(logging.DEBUG)  # raw records: no redacting handler in between

    async def scenario() -> None:
        await monitor.poll_all()
        first = await monitor.deliver()
        assert (first.sent, first.retried) == (0, 1)
        clock.now += timedelta(seconds=30)
        second = await monitor.deliver()
        assert (second.sent, second.retried, second.failed) == (1, 0, 0)
        assert (await monitor.deliver()).sent == 0

    asyncio.run(scenario())
    monitor.store.close()
    assert len(attempts) == 2 and len(accepted) == 1
    first_try, delivered = (validate(body) for body in attempts)
    assert first_try["id"] == delivered["id"]  # a receiver can tell a retry from a new one
    assert "HTTP 500" in caplog.text
    assert SECRET not in caplog.text
    for command in (["status"], ["status", "--json"], ["alerts"], ["alerts", "--json"]):
        shown = run_cli(*command, "-c", str(config))
        assert shown.returncode == 0, shown.stderr
        assert SECRET not in shown.stdout + shown.stderr, command


def test_the_secret_stays_out_of_debug_logs_and_status_when_delivery_keeps_failing(
        site: Site, tmp_path: Path) -> None:
    site.feeds["/f.xml"] = rss_feed(FIGHTING)
    site.handlers["/in"] = lambda request: Response("no", status=503)
    url = f"webhook://127.0.0.1:{site.port}/in?secret={SECRET}"
    config = write_config(tmp_path, sources=[{"name": "World", "feed": site.url("/f.xml")}],
                          channels={"hook": url})
    ran = run_cli("-vv", "once", "-c", str(config))
    assert ran.returncode == 0, ran.stderr
    assert "POST" in ran.stderr and "HTTP 503" in ran.stderr
    listed = run_cli("alerts", "--json", "-c", str(config))
    assert "HTTP 503" in listed.stdout  # the reason is kept, the secret is not
    checked = run_cli("check", "-c", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shown = [run_cli(*c, "-c", str(config)) for c in (["status"], ["status", "--json"])]
    for output in (ran, listed, checked, *shown):
        assert SECRET not in output.stdout + output.stderr


def test_send_test_posts_a_sample_document_that_passes_the_schema(
        site: Site, tmp_path: Path) -> None:
    kept = signed_posts(site, "/hook")
    config = write_config(tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "x.xml")}],
                          channels={"hook": f"webhook://127.0.0.1:{site.port}/hook"
                                            f"?secret={SECRET}"})
    (tmp_path / "x.xml").write_text("<rss/>")
    result = run_cli("send-test", "hook", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "sample alert accepted" in result.stdout and SECRET not in result.stdout
    body, headers = kept[0]
    assert headers[SIGNATURE_HEADER] == expected_signature(body)
    [alert] = validate(body)["alerts"]
    assert alert["story"] is None  # a sample is no story
    # receivers see the evidence's shape
    assert alert["rules"][0]["score"] and alert["places"] == ["Aleppo"]


@pytest.mark.parametrize("url, problem", [
    ("webhook:///hook", "has no host"),
    ("webhook://127.0.0.1:99999/hook", "port is not a number"),
    ("webhooks://hooks.example.org/in?secret=", "secret= is empty"),
    ("webhook://h.example.org/in?secret=a1b2c&secret=d3e4f", "secret= more than once"),
])
def test_check_rejects_a_malformed_webhook_url_saying_why(
        tmp_path: Path, url: str, problem: str) -> None:
    config = write_config(tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "x.xml")}],
                          channels={"hook": url})
    (tmp_path / "x.xml").write_text("<rss/>")
    result = run_cli("check", "-c", str(config))
    assert result.returncode != 0
    assert problem in result.stdout + result.stderr
    assert "webhook://host[:port]/path" in result.stdout + result.stderr or "secret" in problem


def test_check_accepts_both_webhook_schemes(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "x.xml")}],
        channels={"plain": "webhook://127.0.0.1:8080/hook",
                  "tls": f"webhooks://hooks.example.org/in/desk?secret={SECRET}&team=7"})
    (tmp_path / "x.xml").write_text("<rss/>")
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_the_secret_is_not_posted_and_other_parameters_are() -> None:
    target = parse_webhook_url(f"webhooks://hooks.example.org:8443/in?team=7&secret={SECRET}")
    assert target.post_url == "https://hooks.example.org:8443/in?team=7"
    assert target.secret == SECRET
    assert sign(SECRET, b"{}") == expected_signature(b"{}")


def test_redact_url_masks_the_secret_and_the_path() -> None:
    shown = redact_url(f"webhooks://hooks.example.org/in/T0kenPath99?secret={SECRET}")
    assert SECRET not in shown and "T0kenPath99" not in shown
    assert shown.startswith("webhooks://hooks.example.org/")


def test_a_webhook_channel_takes_no_template(tmp_path: Path) -> None:
    template = tmp_path / "t.j2"
    template.write_text("{{ alerts }}")
    with pytest.raises(ValueError, match="takes no template"):
        make_channel("hook", "webhook://127.0.0.1:8080/x", template=template)


def test_a_receiver_that_is_down_is_a_delivery_error_without_the_secret() -> None:
    channel = make_channel("hook", f"webhook://127.0.0.1:{free_port()}/x?secret={SECRET}")
    with pytest.raises(DeliveryError) as caught:
        asyncio.run(channel.send(sample_alert()))
    assert "ConnectError" in str(caught.value) and SECRET not in str(caught.value)


def test_a_redirect_is_a_failure_not_followed(site: Site) -> None:
    site.handlers["/moved"] = lambda request: Response(
        "", status=307, headers={"Location": site.url("/elsewhere")})
    channel = make_channel("hook", f"webhook://127.0.0.1:{site.port}/moved")
    with pytest.raises(DeliveryError, match="HTTP 307"):
        asyncio.run(channel.send(sample_alert()))
    assert [path for path, _ in site.requests] == ["/moved"]


def test_the_outbox_keeps_score_and_hits_and_reads_rows_queued_without_them() -> None:
    from dataclasses import replace

    from monitor.records import Hit
    from monitor.store.codec import alert_from_json, alert_to_json

    alert = replace(sample_alert(), score=2.5,
                    hits=(Hit("Halab", "text", 3, 8, "Aleppo"), Hit("fighting", "title", 0, 8)))
    assert alert_from_json(alert_to_json(alert)) == alert
    old = json.loads(alert_to_json(sample_alert()))
    del old["score"], old["hits"]
    read = alert_from_json(json.dumps(old))
    assert (read.score, read.hits) == (None, ())

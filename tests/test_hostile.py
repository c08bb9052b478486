"""Hostile feeds: entity bombs, huge bodies, slow drips, broken encodings, markup in titles.
Each failure is recorded for its source; none stops the others or the daemon."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import UTC, datetime

from werkzeug import Response

from monitor.config import PollSettings, Source
from monitor.records import Poll, SourceState
from monitor.sources import Http, poll
from tests.bounded import finishes
from tests.conftest import once_under_probe, rss_feed, run_cli, write_config

GOOD = {"title": "Airstrikes hit Aleppo again", "link": "https://news.example.org/good",
        "description": "Warplanes struck Aleppo."}


def quadratic_blowup() -> bytes:
    """One 100 KB entity used 2,000 times: 200 million characters if expanded."""
    entity = "x" * 100_000
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{entity}">]>'
            '<rss version="2.0"><channel><title>T</title><item><title>'
            + "&a;" * 2000 + "</title><link>https://e.org/1</link></item></channel></rss>"
            ).encode()


def billion_laughs() -> bytes:
    decls = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{decls}]><rss version="2.0"><channel>'
            '<title>T</title><item><title>&l9;</title></item></channel></rss>').encode()


def huge_body(request) -> Response:
    """Comments without end, 65 KB a chunk: only the reader's cap can end this body."""
    chunk = b"<!-- " + b"x" * 65_000 + b" -->"
    return Response(itertools.repeat(chunk), content_type="application/rss+xml")


DRIP_SECONDS = 600  # far past any ceiling: only the client's whole-request limit ends it


def drip(request) -> Response:
    """A feed's first bytes, then a space, one byte a second for ten minutes: each read
    gets its byte in time, so only a limit on the whole request ends the poll."""
    def trickle():
        head = b'<?xml version="1.0"?><rss version="2.0"><channel>'
        for byte in head + b" " * (DRIP_SECONDS - len(head)):
            time.sleep(1)
            yield bytes([byte])
    return Response(trickle(), content_type="application/rss+xml")


def poll_once(url: str, **settings) -> Poll:
    """One poll of `url`, which must end within the ceiling (tests/bounded.py)."""
    config = PollSettings(**settings)
    source = Source("S", url, 300)

    async def go():
        async with Http.open(config) as http:
            return await poll(source, SourceState("S"), http=http, settings=config,
                              now=datetime.now(UTC))

    return finishes(lambda: asyncio.run(go()))


def test_a_body_without_end_is_cut_off_at_the_cap(site):
    site.handlers["/huge.xml"] = huge_body
    outcome = poll_once(site.url("/huge.xml"), max_bytes="10MB")
    assert outcome.error and "cap" in outcome.error


def test_declared_oversize_body_is_refused_before_reading(site):
    site.handlers["/big.xml"] = lambda r: Response(b"x" * 2_000_000,
                                                   content_type="application/rss+xml")
    outcome = poll_once(site.url("/big.xml"), max_bytes="1MB")
    assert "2,000,000 bytes" in outcome.error


def test_a_byte_a_second_drip_times_out_on_the_whole_request(site):
    """The drip lasts ten minutes, past the ceiling: the poll ends, within it, only because
    its whole-request timeout gives up."""
    site.handlers["/drip.xml"] = drip
    assert poll_once(site.url("/drip.xml"), timeout="2s").error == "timed out after 2s"


def test_server_errors_and_refused_connections_are_recorded(site):
    site.handlers["/boom.xml"] = lambda r: Response("no", status=503)
    assert poll_once(site.url("/boom.xml")).error == "HTTP 503 SERVICE UNAVAILABLE"
    assert "ConnectError" in poll_once("http://127.0.0.1:9/feed.xml", timeout="3s").error


def test_etag_and_last_modified_make_an_unchanged_feed_a_304(site):
    body = rss_feed(GOOD)

    def conditional(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, headers={"ETag": '"v1"', "Last-Modified": "Mon, 15 Aug 2016 "
                                       "14:05:00 GMT"}, content_type="application/rss+xml")

    site.handlers["/cond.xml"] = conditional
    config = PollSettings()
    source = Source("S", site.url("/cond.xml"), 300)

    async def twice():
        async with Http.open(config) as http:
            first = await poll(source, SourceState("S"), http=http, settings=config,
                               now=datetime.now(UTC))
            state = SourceState("S", etag=first.etag, last_modified=first.last_modified,
                                body_hash=first.body_hash)
            return first, await poll(source, state, http=http, settings=config,
                                     now=datetime.now(UTC))

    first, second = asyncio.run(twice())
    assert len(first.entries) == 1 and first.etag == '"v1"'
    assert second.not_modified and second.entries == ()
    sent = [h for path, h in site.requests if path == "/cond.xml"][-1]
    assert sent.get("If-None-Match") == '"v1"'
    assert sent.get("If-Modified-Since") == "Mon, 15 Aug 2016 14:05:00 GMT"


def test_same_body_without_validators_is_not_parsed_again(site):
    site.feeds["/plain.xml"] = rss_feed(GOOD)
    first = poll_once(site.url("/plain.xml"))
    config = PollSettings()

    async def again():
        async with Http.open(config) as http:
            return await poll(Source("S", site.url("/plain.xml"), 300),
                              SourceState("S", body_hash=first.body_hash), http=http,
                              settings=config, now=datetime.now(UTC))

    second = asyncio.run(again())
    assert second.not_modified and second.entries == () and second.error is None


def test_hostile_feeds_are_recorded_while_the_good_one_alerts_under_200_mb(site, tmp_path):
    site.feeds["/good.xml"] = rss_feed(GOOD)
    site.feeds["/quadratic.xml"] = quadratic_blowup()
    site.feeds["/laughs.xml"] = billion_laughs()
    site.handlers["/huge.xml"] = huge_body
    site.handlers["/drip.xml"] = drip
    bad_utf8 = rss_feed({**GOOD, "title": "Airstrikes hit Aleppo \u00e9", "link":
                         "https://news.example.org/utf8"}).replace("\u00e9".encode(), b"\xff")
    site.feeds["/utf8.xml"] = bad_utf8
    names = ["good", "quadratic", "laughs", "huge", "drip", "utf8"]
    config = write_config(
        tmp_path, poll={"timeout": "3s"},
        sources=[{"name": n, "feed": site.url(f"/{n}.xml")} for n in names])
    result, peak = once_under_probe(config)
    assert peak < 200, f"peak RSS {peak:.0f} MB"
    assert "Airstrikes hit Aleppo again" in result.stdout
    assert "Airstrikes hit Aleppo" in result.stdout  # the broken-UTF-8 feed still alerts

    status = json.loads(run_cli("status", "--json", "-c", str(config)).stdout)
    errors = {s["source"]: s["last_error"] for s in status["sources"]}
    assert errors["good"] is None and errors["utf8"] is None
    assert "entities" in errors["quadratic"] and "entities" in errors["laughs"]
    assert "cap" in errors["huge"]
    assert errors["drip"] == "timed out after 3s"
    assert {s["source"]: s["errors"] for s in status["sources"]}["quadratic"] == 1

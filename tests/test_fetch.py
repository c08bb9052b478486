"""Fetching within bounds: one content-coding, inflated to at most max_bytes, redirects and
the rest of the response handled by our code."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest
from werkzeug import Response

from monitor.sources.fetch import ACCEPT_ENCODING, FetchError, Trust, fetch, make_client
from monitor.sources.guard import AddressPolicy
from tests.conftest import rss_feed

FEED = rss_feed({"title": "Airstrikes hit Aleppo", "link": "https://e.org/1"})


def get(url: str, max_bytes: int = 1_000_000) -> bytes:
    async def go():
        async with make_client(timeout=10, user_agent="t", concurrency=2) as client:
            return await fetch(url, client=client, timeout=10, max_bytes=max_bytes,
                               trust=Trust.of(url, AddressPolicy()))

    return asyncio.run(go()).body


def serve(site, path: str, body: bytes, coding: str | None) -> str:
    headers = {"Content-Encoding": coding} if coding else {}
    site.handlers[path] = lambda r: Response(body, headers=headers,
                                             content_type="application/rss+xml")
    return site.url(path)


def bomb(size: int) -> bytes:
    """`size` zero bytes, gzipped: about a thousandth of that on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    return b"".join(parts) + compressor.flush()


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)), ("identity", bytes),
    (None, bytes)])
def test_bodies_in_each_coding_we_ask_for_are_decoded(site, coding, encode):
    assert get(serve(site, "/f.xml", encode(FEED), coding)) == FEED
    sent = dict(site.requests[-1][1])
    assert sent.get("Accept-Encoding") == ACCEPT_ENCODING


def test_a_body_with_two_codings_is_refused_unread(site):
    url = serve(site, "/gg.xml", gzip.compress(gzip.compress(FEED)), "gzip, gzip")
    with pytest.raises(FetchError, match=r"2 content-codings \(gzip, gzip\)"):
        get(url)


def test_a_coding_we_did_not_ask_for_is_refused(site):
    with pytest.raises(FetchError, match="'br', which was not asked for"):
        get(serve(site, "/br.xml", b"\x0b\x02\x80", "br"))


def test_a_gzip_bomb_stops_at_the_decoded_cap(site):
    body = bomb(512 << 20)  # 512 MiB of zeros in about 500 KB
    with pytest.raises(FetchError, match="inflates to more than the 1,000,000-byte cap"):
        get(serve(site, "/bomb.xml", body, "gzip"), max_bytes=1_000_000)


def test_a_body_just_under_the_cap_inflates_whole(site):
    body = b"x" * 999_999
    assert get(serve(site, "/big.xml", gzip.compress(body), "gzip")) == body


def test_concatenated_gzip_members_are_joined(site):
    both = gzip.compress(FEED[:50]) + gzip.compress(FEED[50:])
    assert get(serve(site, "/two.xml", both, "gzip")) == FEED


def test_a_broken_gzip_body_is_an_error_not_a_crash(site):
    with pytest.raises(FetchError, match="not valid gzip"):
        get(serve(site, "/broken.xml", b"\x1f\x8bnot gzip at all", "gzip"))


def test_a_server_reason_phrase_is_stored_without_control_characters(site):
    def hostile(request):
        response = Response("no", status=500)
        response.status = "500 [/bold]\x1b[31mred[link=http://evil.example]x[/link]"
        return response

    site.handlers["/reason"] = hostile
    with pytest.raises(FetchError) as err:
        get(site.url("/reason"))
    assert "\x1b" not in str(err.value) and str(err.value).startswith("HTTP 500")


def test_article_pages_beyond_the_budget_keep_the_feeds_text(site, silent_server):
    from datetime import UTC, datetime

    from monitor.config import PollSettings, Source
    from monitor.records import SourceState
    from monitor.sources import Http, fetch_articles, poll

    links = [f"http://127.0.0.1:{silent_server.port}/story/{i}" for i in range(6)]
    site.feeds["/dead.xml"] = rss_feed(*({"title": f"Story {i}", "link": link,
                                          "description": "Airstrikes hit Aleppo."}
                                         for i, link in enumerate(links)))
    settings = PollSettings(timeout=60, article_budget=1, article_concurrency=2, per_host=10)
    source = Source("S", site.url("/dead.xml"), 300, fetch_article=True)

    async def go():
        async with Http.open(settings) as http:
            outcome = await poll(source, SourceState("S"), http=http, settings=settings,
                                 now=datetime.now(UTC))
            return await fetch_articles(list(outcome.entries), source=source, http=http,
                                        settings=settings)

    entries, problems = asyncio.run(go())
    assert problems == ["6 of 6 article pages not fetched within the 1s article budget"]
    assert [e.summary for e in entries] == ["Airstrikes hit Aleppo."] * 6  # kept as given
    assert 1 <= len(silent_server.held) <= 2  # article_concurrency: two at a time, no more

"""The address guard: URLs found in what servers send never reach internal addresses, unless
they are on the configured source's own host or the operator opened them."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitor.config import PollSettings, Source
from monitor.records import SourceState
from monitor.sources import Http, fetch_articles, poll
from monitor.sources.fetch import FetchError, Trust, fetch, make_client
from monitor.sources.guard import _POLICY, AddressPolicy, _GuardedBackend, refusal
from tests.conftest import rss_feed, serving

SECRET = "internal-admin-credential-7f3a"


@pytest.fixture(scope="module")
def internal_server() -> Iterator[HTTPServer]:
    """An "internal" service on 127.0.0.2: what an attacker wants the daemon to read.
    One per module (stopping one takes a second); each test starts with an empty log."""
    with serving("127.0.0.2") as server:
        yield server


@pytest.fixture
def internal(internal_server: HTTPServer) -> Iterator[HTTPServer]:
    internal_server.clear()
    internal_server.expect_request("/admin").respond_with_data(SECRET)
    internal_server.expect_request("/feed.xml").respond_with_data(
        rss_feed({"title": SECRET, "link": "https://e.org/x"}),
        content_type="application/rss+xml")
    yield internal_server


def settings(**values) -> PollSettings:
    return PollSettings(timeout=5, **values)


def run_poll(url: str, kind: str = "feed", fetch_article: bool = True,
             allow_private: bool = False, **poll_settings) -> tuple:
    config = settings(**poll_settings)
    source = Source("S", url, 300, kind=kind, fetch_article=fetch_article,
                    allow_private=allow_private)

    async def go():
        async with Http.open(config) as http:
            outcome = await poll(source, SourceState("S"), http=http, settings=config,
                                 now=datetime.now(UTC))
            entries, problems = await fetch_articles(list(outcome.entries), source=source,
                                                     http=http, settings=config)
            return outcome, entries, problems

    return asyncio.run(go())


def attack_feed(site, *links: str) -> str:
    site.feeds["/attack.xml"] = rss_feed(*({"title": f"Aleppo story {i}", "link": link,
                                            "description": "Airstrikes hit Aleppo."}
                                           for i, link in enumerate(links)))
    return site.url("/attack.xml")


@pytest.mark.parametrize("host", ["127.0.0.2", "2130706434", "0x7f000002", "127.1",
                                  "[::ffff:127.0.0.2]", "169.254.169.254", "10.1.2.3",
                                  "100.64.0.1", "[::1]", "localhost", "0.0.0.0"])
def test_item_links_to_internal_addresses_are_not_fetched(site, internal, host):
    port = f":{internal.port}" if host != "169.254.169.254" else ""
    link = f"http://{host}{port}/admin"
    outcome, entries, problems = run_poll(attack_feed(site, link))
    assert internal.log == []  # nothing reached the internal service
    assert len(problems) == 1 and "refused" in problems[0]
    assert all(SECRET not in (e.content + e.summary) for e in entries)
    assert entries[0].url == ""  # the alert will not carry the refused link
    assert entries[0].title == "Aleppo story 0"  # the item itself is kept


def test_a_redirect_hop_to_an_internal_address_is_refused(site, internal):
    site.handlers["/story"] = lambda r: Response(
        status=302, headers={"Location": f"http://127.0.0.2:{internal.port}/admin"})
    outcome, entries, problems = run_poll(attack_feed(site, site.url("/story")))
    assert internal.log == []
    assert "refused 127.0.0.2" in problems[0]


def test_a_redirect_of_the_configured_feed_to_an_internal_host_is_refused(site, internal):
    site.handlers["/moved.xml"] = lambda r: Response(
        status=301, headers={"Location": f"http://127.0.0.2:{internal.port}/feed.xml"})
    outcome = run_poll(site.url("/moved.xml"))[0]
    assert internal.log == [] and "refused" in outcome.error


def test_an_advertised_feed_on_an_internal_host_is_refused(site, internal):
    site.feeds["/home"] = (f'<html><head><link rel="alternate" type="application/rss+xml" '
                           f'href="http://127.0.0.2:{internal.port}/feed.xml"></head>'
                           "<body></body></html>").encode()
    site.handlers["/home"] = lambda r: Response(site.feeds["/home"], content_type="text/html")
    outcome = run_poll(site.url("/home"), kind="site")[0]
    assert internal.log == [] and "refused" in outcome.error and outcome.entries == ()


def test_sitemap_children_and_locs_on_internal_hosts_are_refused(site, internal):
    inside = f"http://127.0.0.2:{internal.port}"
    site.handlers["/index.xml"] = lambda r: Response(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
        f'sitemap/0.9"><sitemap><loc>{inside}/child.xml</loc></sitemap>'
        f'<sitemap><loc>{site.url("/child.xml")}</loc></sitemap></sitemapindex>',
        content_type="application/xml")
    site.handlers["/child.xml"] = lambda r: Response(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>{inside}/admin</loc></url></urlset>', content_type="application/xml")
    outcome, entries, problems = run_poll(site.url("/index.xml"), kind="sitemap")
    assert internal.log == []
    assert any("child sitemap" in p and "refused" in p for p in outcome.problems)
    assert problems and "refused" in problems[0]


def test_links_on_the_configured_sources_own_host_are_fetched(site):
    site.handlers["/story"] = lambda r: Response(
        "<html><body><article><p>" + "Warplanes struck Aleppo overnight. " * 20
        + "</p></article></body></html>", content_type="text/html")
    outcome, entries, problems = run_poll(attack_feed(site, site.url("/story")))
    assert problems == [] and "Warplanes struck Aleppo" in entries[0].content


def test_allow_private_opens_the_listed_network(site, internal):
    link = f"http://127.0.0.2:{internal.port}/admin"
    _, entries, problems = run_poll(attack_feed(site, link), allow_private=("127.0.0.2/32",))
    assert problems == [] and len(internal.log) == 1


def test_a_sources_allow_private_opens_private_but_not_link_local(site, internal):
    links = (f"http://127.0.0.2:{internal.port}/admin", "http://169.254.169.254/latest/")
    _, entries, problems = run_poll(attack_feed(site, *links), allow_private=True)
    assert len(internal.log) == 1
    assert len(problems) == 1 and "link-local" in problems[0]


def test_the_command_line_url_is_trusted_but_its_redirects_are_not(site, internal):
    site.handlers["/page"] = lambda r: Response("fine", content_type="text/plain")
    site.handlers["/go"] = lambda r: Response(
        status=302, headers={"Location": f"http://127.0.0.2:{internal.port}/admin"})

    async def get(url: str):
        async with make_client(timeout=5, user_agent="t", concurrency=1) as client:
            return await fetch(url, client=client, timeout=5, max_bytes=10**6,
                               trust=Trust.of(url, AddressPolicy()))

    assert asyncio.run(get(site.url("/page"))).body == b"fine"  # a loopback URL, as given
    with pytest.raises(FetchError, match="refused") as err:
        asyncio.run(get(site.url("/go")))
    assert err.value.refused and internal.log == []


def test_more_than_five_redirects_are_not_followed(site):
    site.handlers["/loop"] = lambda r: Response(status=302, headers={"Location": "/loop"})
    outcome = run_poll(site.url("/loop"))[0]
    assert outcome.error == "more than 5 redirects"
    assert sum(1 for path, _ in site.requests if path == "/loop") == 6


def test_a_redirect_to_another_scheme_is_not_followed(site):
    site.handlers["/ftp"] = lambda r: Response(status=302,
                                               headers={"Location": "file:///etc/passwd"})
    outcome = run_poll(site.url("/ftp"))[0]
    assert "only http(s) is followed" in outcome.error


# -- the classification -------------------------------------------------------------------

PRIVATE_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15",
              "224.0.0.0/4", "240.0.0.0/4"]


@given(st.sampled_from(PRIVATE_V4), st.integers(min_value=0))
def test_every_address_of_a_non_public_range_is_refused(network, offset):
    net = ipaddress.ip_network(network)
    address = net[offset % net.num_addresses]
    assert refusal(address) is not None
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert refusal(mapped) is not None  # the same address in IPv6 clothes
    assert refusal(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::"))
                                         + int(address))) is not None  # NAT64
    assert refusal(ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111",
                                     "8.8.8.8"])
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address,kind", [("::1", "loopback"), ("fe80::1", "link-local"),
                                          ("fc00::1", "private"), ("ff02::1", "multicast"),
                                          ("::", "unspecified"), ("169.254.169.254",
                                                                  "link-local")])
def test_refusals_name_the_kind_of_address(address, kind):
    assert refusal(ipaddress.ip_address(address)) == kind


class _Recording(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None,
                          socket_options=None):
        self.hosts.append(host)
        raise httpcore.ConnectError("recorded")


def test_the_connection_goes_to_the_address_that_was_checked():
    """DNS rebinding cannot run here (no resolver of our own), so this checks the mechanism:
    a name is resolved once, its addresses are checked, and the connection is made to a
    checked address literal — the name is never handed on to be resolved again."""
    inner = _Recording()
    backend = _GuardedBackend(inner)

    async def resolve(host: str, port: int):
        return [ipaddress.ip_address("93.184.216.34")]

    backend._resolve = resolve  # type: ignore[method-assign]

    async def go():
        token = _POLICY.set(AddressPolicy())
        try:
            await backend.connect_tcp("rebinding.example", 80)
        finally:
            _POLICY.reset(token)

    with pytest.raises(httpcore.ConnectError):
        asyncio.run(go())
    assert inner.hosts == ["93.184.216.34"]

"""Atom 1.0 feeds of the recorded alerts, on the health listener: /feeds/alerts.atom (every
watchlist) and /feeds/WATCHLIST.atom (one).

A feed reader is the simplest way for a desk to follow alerts without a channel of its own,
and the store already holds every alert. But alerts are desk data, not health data, so:

- the feeds are off unless the listener is on a loopback address or `health.feeds: true`
  says otherwise, and `health.feed_token` makes every request show the token (compared in
  constant time);
- the work per request is bounded: at most FEED_LIMIT entries from an indexed query, built
  in a worker thread under FEED_TIMEOUT, so a slow database or a busy reader cannot hold
  the event loop that runs the scheduler;
- everything in the feed that came from a feed or a config file (titles, snippets, source,
  rule and watchlist names) is untrusted text: characters XML cannot carry are removed and
  lxml escapes the rest, so no title can break or inject markup; links are http(s) only.

Readers poll, so replies carry an ETag (a hash of the body) and a matching If-None-Match
gets 304 without the body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from lxml import etree
from pydantic import SecretStr

from monitor import __version__
from monitor.alerts.views import casualties_line, corroboration_line
from monitor.config import Config
from monitor.config.values import is_loopback
from monitor.health import TEXT, Reply, Request
from monitor.records import Carrier
from monitor.store import FeedAlert, Store

__all__ = ["AlertFeeds", "FEED_LIMIT", "FEED_TIMEOUT", "render_feed", "xml_text"]

log = logging.getLogger("monitor")

FEED_LIMIT = 100  # entries in one feed: the newest alerts
FEED_TIMEOUT = 10.0  # seconds to read the store and build a feed before answering 503
ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
ALL = ""  # the watchlist name of /feeds/alerts.atom: every watchlist (names are never empty)
# uuid5 namespace of the feeds' ids: fixed, so an alert keeps its id across restarts
NAMESPACE = uuid.UUID("d9f47f5e-91a5-4e3e-aa83-94c615741f3c")
SCHEME = "urn:news-monitor:"  # + rule, watchlist, priority: the categories' schemes

_TITLE_MAX, _TEXT_MAX, _NAME_MAX, _URL_MAX = 500, 1000, 200, 2000
# What XML 1.0 cannot carry (C0 controls but tab and line ends, lone surrogates, U+FFFE/F),
# and DEL and the C1 controls, which it allows but which no reader shows as text.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)

Running = Callable[[], tuple[Config, Store | None]]


def xml_text(value: object, limit: int = _TEXT_MAX, *, one_line: bool = False) -> str:
    """Untrusted text as XML can carry it: characters it cannot removed, at most `limit`
    characters (cut with "…"); `one_line` folds line breaks and runs of spaces."""
    text = _NOT_XML.sub("", str(value))
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _time(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom wants it; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(url: str) -> str | None:
    """An article link a reader may follow: http(s), of sane length, nothing removed."""
    if not url or len(url) > _URL_MAX or xml_text(url, _URL_MAX, one_line=True) != url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _urn(*parts: object) -> str:
    """A name-based (uuid5) URN of these parts; any text hashes, lone surrogates too."""
    name = "\0".join(map(str, parts)).encode("utf-8", "surrogatepass").hex()
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def entry_id(found: FeedAlert) -> str:
    """The alert's id in every feed: from its row id, story and rule, so it never changes
    while the alert is kept, and a store started afresh (ids from 1 again) does not give a
    new alert the id of one a reader has already read."""
    return _urn("alert", found.id, found.story, found.alert.watchlist, found.alert.rule)


def _add(parent: etree._Element, tag: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        child.text = text
    return child


def render_feed(found: Sequence[FeedAlert], carriers: Mapping[str, Sequence[Carrier]],
                watchlist: str, self_url: str) -> bytes:
    """The Atom document of these alerts (newest first); `carriers` names every source that
    carried each story, with its outlet; `watchlist` is ALL for the feed of every
    watchlist."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _add(feed, "id", _urn("feed", watchlist))
    name = xml_text(watchlist, _NAME_MAX, one_line=True)
    _add(feed, "title", f"news-monitor alerts: {name}" if watchlist else "news-monitor alerts")
    newest = max((f.created_at for f in found), default=datetime.fromtimestamp(0, UTC))
    _add(feed, "updated", _time(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(_add(feed, "author"), "name", "news-monitor")
    _add(feed, "generator", "news-monitor", version=__version__)
    for one in found:
        _entry(feed, replace(one, alert=one.alert.carried_by(carriers.get(one.story, ()))))
    return etree.tostring(feed, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _entry(feed: etree._Element, found: FeedAlert) -> None:
    alert = found.alert
    sources = alert.all_sources()
    fired = alert.rules()[:20]
    rule = xml_text(alert.rule, _NAME_MAX, one_line=True)
    names = [n for n in (xml_text(s, _NAME_MAX, one_line=True) for s in sources[:20]) if n]
    title = xml_text(alert.title, _TITLE_MAX, one_line=True) or "(no title)"
    snippet = xml_text(alert.snippet.text, _TEXT_MAX).strip()
    entry = _add(feed, "entry")
    _add(entry, "id", entry_id(found))
    more = f" +{len(alert.also)}" if alert.also else ""
    _add(entry, "title", f"[{rule}{more}] {title}", type="text")
    link = _link(alert.url)
    if link:
        _add(entry, "link", rel="alternate", type="text/html", href=link)
    _add(entry, "published", _time(alert.published or found.created_at))
    _add(entry, "updated", _time(found.created_at))
    _add(_add(entry, "author"), "name", ", ".join(names) or "unknown source")
    categories: dict[tuple[str, str], None] = {}
    for one in fired:
        for kind, value in (("rule", one.rule), ("watchlist", one.watchlist),
                            ("priority", one.priority)):
            categories.setdefault((kind, xml_text(value, _NAME_MAX, one_line=True)), None)
    for kind, term in categories:
        _add(entry, "category", term=term, scheme=SCHEME + kind, label=f"{kind}: {term}")
    _add(entry, "summary", snippet or title, type="text")
    details = []
    for one in fired:
        terms = ", ".join(xml_text(t, _NAME_MAX, one_line=True) for t in one.terms[:20])
        details += [f"Rule: {xml_text(one.rule, _NAME_MAX, one_line=True)}",
                    f"Watchlist: {xml_text(one.watchlist, _NAME_MAX, one_line=True)}",
                    f"Priority: {one.priority}"]
        if terms:
            details.append(f"Matched: {terms}")
    details.append(f"{'Sources' if len(names) > 1 else 'Source'}: "
                   f"{', '.join(names) or 'unknown'} ({corroboration_line(alert)})")
    if alert.casualties.figures():
        details.append(f"Casualties: {xml_text(casualties_line(alert), _NAME_MAX, one_line=True)}")
    _add(entry, "content", "\n".join(details) + (f"\n\n{snippet}" if snippet else ""),
         type="text")


def feed_name(path: str) -> str | None:
    """The watchlist a /feeds/ path asks for (ALL for alerts.atom), or None for a path that
    is no feed."""
    name = path.removeprefix("/feeds/")
    if not name.endswith(".atom") or "/" in name:
        return None
    name = unquote(name.removesuffix(".atom"), errors="replace")
    return ALL if name == "alerts" else name or None


def _token_of(request: Request) -> str | None:
    bearer = _BEARER.match(request.headers.get("authorization", ""))
    if bearer:
        return bearer.group(1)
    given = parse_qs(request.query, keep_blank_values=True).get("token")
    return given[0] if given else None


def refusal(request: Request, token: SecretStr | None) -> Reply | None:
    """401 without a token, 403 with a wrong one, None when the request may read (or no
    token is set). compare_digest takes as long whatever the first wrong character."""
    if token is None:
        return None
    given = _token_of(request)
    if given is None:
        return Reply("401 Unauthorized", TEXT, b"a feed token is needed (Authorization: "
                     b"Bearer TOKEN, or ?token=TOKEN)\n",
                     (("WWW-Authenticate", 'Bearer realm="news-monitor feeds"'),))
    if not hmac.compare_digest(given.encode("utf-8", "replace"),
                               token.get_secret_value().encode("utf-8", "replace")):
        return Reply("403 Forbidden", TEXT, b"wrong feed token\n")
    return None


def _self_url(request: Request, watchlist: str) -> str:
    """The feed's own URL as the client reached it (the token left out), from its Host
    header when that is a plain host[:port], else the listener's address."""
    host = request.headers.get("host", "")
    host = host if _HOST.match(host) else request.local
    return f"http://{host}/feeds/{quote(watchlist or 'alerts', safe='')}.atom"


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


NOT_FOUND = Reply("404 Not Found", TEXT, b"not found\n")


class AlertFeeds:
    """The /feeds/ routes of one health listener. `running` gives the configuration now
    in force (a reload may turn the feeds off, change the token or the watchlists) and the
    store once the database answers. Whether the listener is on loopback is decided by the
    address it was started on, which a reload does not move."""

    def __init__(self, listen: str, running: Running):
        self.loopback = is_loopback(listen.rpartition(":")[0])
        self.running = running

    async def __call__(self, request: Request) -> Reply:
        config, store = self.running()
        settings = config.settings.health
        if not (self.loopback if settings.feeds is None else settings.feeds):
            return NOT_FOUND
        refused = refusal(request, settings.feed_token)
        if refused is not None:
            return refused
        watchlist = feed_name(request.path)
        if watchlist is None or (watchlist and watchlist not in _watchlists(config)):
            return Reply("404 Not Found", TEXT, b"no such feed or watchlist\n")
        if store is None:
            return Reply("503 Service Unavailable", TEXT,
                         b"not ready: waiting for the state database\n")
        try:
            body = await asyncio.wait_for(asyncio.to_thread(
                _build, store, watchlist, _self_url(request, watchlist)), FEED_TIMEOUT)
        except TimeoutError:
            return Reply("503 Service Unavailable", TEXT, b"feed timed out\n")
        except Exception as err:  # the database is down or busy: the reader tries again
            log.warning("alert feed not built: %s", str(err).splitlines()[0][:300])
            return Reply("503 Service Unavailable", TEXT, b"state database unavailable\n")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = (("ETag", etag), ("Cache-Control", "private, no-cache"))
        if _etag_matches(request.headers.get("if-none-match", ""), etag):
            return Reply("304 Not Modified", ATOM_TYPE, b"", headers)
        return Reply("200 OK", ATOM_TYPE, body, headers)


def _watchlists(config: Config) -> Collection[str]:
    return {rule.watchlist for rule in config.rules}


def _build(store: Store, watchlist: str, self_url: str) -> bytes:
    found = store.feed_alerts(watchlist or None, FEED_LIMIT)
    return render_feed(found, store.story_carriers(f.story for f in found), watchlist,
                       self_url)


def open_feeds_note(listen: str, feeds: bool | None, token: SecretStr | None) -> str | None:
    """What the log should say when the feeds are open to more than this machine without
    a token: an operator who set `feeds: true` on 0.0.0.0 may not know it."""
    if feeds and token is None and not is_loopback(listen.rpartition(":")[0]):
        return (f"alert feeds are served on {listen} without health.feed_token: anyone who "
                "can reach this port can read the alerts")
    return None

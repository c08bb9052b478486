"""What the source-health tests share: a feed server that really stops, a Monitor on a fake
clock polled and told to send as the daemon's jobs would, and the admin receiver's messages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitor.config import load_config
from monitor.service import Monitor
from monitor.store import Store
from tests.conftest import Site, rss_feed, write_config

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUIET_ITEM = {"title": "Council meets on Tuesday", "link": "https://news.example.org/q0",
              "description": "The town council meets on Tuesday."}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Feed:
    """A feed server that can really be stopped (connection refused) and started again on
    the same port."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.body = rss_feed(QUIET_ITEM)
        self.server.expect_request("/feed.xml").respond_with_handler(
            lambda _r: Response(self.body, content_type="application/rss+xml"))
        self.server.start()
        self.url = self.server.url_for("/feed.xml")

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()

    def start(self) -> None:
        self.server.start()


def messages(site: Site, path: str = "/admin") -> list[dict]:
    """What the receiver got on `path`: Apprise's json:// payloads (title, message)."""
    return [json.loads(p) for p in site.posts.get(path, [])]


def tidy(title: str) -> str:
    """A title as the message's text says it: the channel puts the rule first."""
    assert title.startswith("[source health] "), title
    return title.removeprefix("[source health] ")


def titles(site: Site, path: str = "/admin") -> list[str]:
    return [tidy(m["title"]) for m in messages(site, path)]


def config_for(folder: Path, site: Site, sources: list[dict], state: str | None = None,
               **settings) -> Path:
    channels = settings.pop("channels", {"admin": f"json://127.0.0.1:{site.port}/admin"})
    return write_config(folder, sources=sources, channels=channels, state=state,
                        poll={"interval": "5m", "failing_after": 3, **settings.pop("poll", {})},
                        **settings)


class Run:
    """A Monitor on a fake clock, polled and told to send as the daemon's jobs would."""

    def __init__(self, config: Path, clock: Clock) -> None:
        self.config, self.clock = load_config(config), clock
        self.store = Store.open(self.config.state_url)
        self.loop = asyncio.new_event_loop()  # one loop, as the daemon's: clients bind to it
        self.monitor = self.loop.run_until_complete(self._start(clock))

    async def _start(self, clock: Clock) -> Monitor:
        return Monitor(self.config, self.store, clock=clock)

    def run(self, step):
        return self.loop.run_until_complete(step)

    def poll(self, minutes: float = 10) -> int:
        """Poll every source, then, a minute later (past the rate limit), send the health
        messages due; return how many went."""
        async def go() -> int:
            await self.monitor.poll_all()
            self.clock.now += timedelta(seconds=61)
            return await self.monitor.send_health()
        sent = self.run(go())
        self.clock.now += timedelta(minutes=minutes)
        return sent

    def close(self) -> None:
        self.run(self.monitor.aclose())
        self.loop.close()
        self.store.close()

"""Loading a configuration with every layer's checks: what `check` accepts, `run` accepts.

config validates its own part and compiles the rules; the layers above it check theirs here,
through the hooks config defines (config.Checks), because config must not import them. The
checks do what the daemon will do: a channel is built with alerts.make_channel (so Apprise
parses its URL and its template renders), a selector is compiled by the site parser.
`news-monitor check`, every other command and the daemon's reload all call load_checked().

The layers are imported by the check that needs them, not with this module: Apprise (with
requests), Jinja2, BeautifulSoup and feedparser cost more than half a second of CPU to
import, and a configuration of console channels and feeds needs none of them to be checked
(`check` and `test` on the shipped config; bench/startup.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor import logs
from monitor.config import Checks, Config, load_config

APPRISE_URLS = "https://github.com/caronc/apprise/wiki"


def _template(path: Path, url: str) -> None:
    from monitor.alerts import channel_style
    from monitor.alerts.render import load_template

    load_template(path, channel_style(url))


def _selector(selector: str) -> None:
    from monitor.sources.sites import check_selector

    check_selector(selector)


class _OtherThreads(logging.Filter):
    """Lets through the records of every thread but the one that made it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


@contextmanager
def _apprise_quiet() -> Iterator[None]:
    """Apprise logs each URL it cannot parse, twice, with the URL as written: the problem
    says so already, located. Only this thread's records are held back, so a daemon's
    deliveries logging meanwhile are not."""
    logger = logging.getLogger("apprise")
    quiet = _OtherThreads()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _plain_console(url: str, template: Path | None) -> bool:
    """A console channel with the shipped layout: building it (make_channel) only loads the
    shipped plain-text template, which cannot fail on a given install, so it is not built
    here and the alerts layer is not imported for it. The scheme is read as make_channel
    reads it."""
    scheme, sep, _ = url.strip().partition("://")
    return template is None and bool(sep) and scheme.lower() == "console"


def _channel(name: str, url: str, template: Path | None) -> None:
    """Build the channel as the daemon does, and drop it: building sends nothing. The URL's
    secrets are masked in logs from now on, before any library can log them."""
    logs.REDACTOR.add_urls([url])
    if _plain_console(url, template):
        return
    from monitor.alerts import make_channel

    try:
        with _apprise_quiet():
            make_channel(name, url, template=template)
    except ValueError as err:
        reason = str(err).removeprefix(f"channel {name!r}: ")
        if "Apprise does not accept" in reason:
            reason += f"; see {APPRISE_URLS} for the form of each service's URL"
        raise ValueError(reason) from None


LAYER_CHECKS = Checks(template=_template, channel=_channel, selector=_selector)


def load_checked(path: str | Path, env: dict[str, str] | None = None) -> Config:
    """load_config() with every layer's checks; raises ConfigError listing every problem.

    The one way the CLI and the daemon load a configuration. The Config it returns has its
    rules compiled (Config.matcher) and every channel known to build, so running it cannot
    fail on anything in the files.
    """
    return load_config(path, env, checks=LAYER_CHECKS)

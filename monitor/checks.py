"""Loading a configuration with every layer's checks: what `check` accepts, `run` accepts.

config validates its own part and compiles the rules; the layers above it check theirs here,
through the hooks config defines (config.Checks), because config must not import them. The
checks do what the daemon will do: a channel is built with alerts.make_channel (so Apprise
parses its URL and its template renders), a selector is compiled by the site parser.
`news-monitor check`, every other command and the daemon's reload all call load_checked().
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor import logs
from monitor.alerts import channel_style, make_channel
from monitor.alerts.render import load_template
from monitor.config import Checks, Config, load_config
from monitor.sources.sites import check_selector

APPRISE_URLS = "https://github.com/caronc/apprise/wiki"


def _template(path: Path, url: str) -> None:
    load_template(path, channel_style(url))


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


def _channel(name: str, url: str, template: Path | None) -> None:
    """Build the channel as the daemon does, and drop it: building sends nothing. The URL's
    secrets are masked in logs from now on, before any library can log them."""
    logs.REDACTOR.add_urls([url])
    try:
        with _apprise_quiet():
            make_channel(name, url, template=template)
    except ValueError as err:
        reason = str(err).removeprefix(f"channel {name!r}: ")
        if "Apprise does not accept" in reason:
            reason += f"; see {APPRISE_URLS} for the form of each service's URL"
        raise ValueError(reason) from None


LAYER_CHECKS = Checks(template=_template, channel=_channel, selector=check_selector)


def load_checked(path: str | Path, env: dict[str, str] | None = None) -> Config:
    """load_config() with every layer's checks; raises ConfigError listing every problem.

    The one way the CLI and the daemon load a configuration. The Config it returns has its
    rules compiled (Config.matcher) and every channel known to build, so running it cannot
    fail on anything in the files.
    """
    return load_config(path, env, checks=LAYER_CHECKS)

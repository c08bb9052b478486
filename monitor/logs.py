"""Logging for people and for log shippers, with secrets kept out of every line.

Channel URLs carry passwords and tokens. Whatever logs them — our code, Apprise, httpx —
the handler's filter replaces each known secret (the parts of every configured channel
URL that authenticate) and any `scheme://user:password@` credentials before a line is
written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "***"
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^\s:/@]*):[^\s@/]+@")
_SECRET_KEYS = re.compile(r"pass|secret|token|key|auth|sig|pwd", re.I)


class Redactor(logging.Filter):
    """Masks known secrets in every record that passes the handler."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add_urls(self, urls: Iterable[str]) -> None:
        for url in urls:
            self.secrets.update(s for s in secrets_of(url) if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True

    def clean(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def secrets_of(url: str) -> set[str]:
    """The parts of a channel URL that authenticate: password, path tokens (Slack's
    T…/B…/X… webhook parts, bot tokens), and query values named like secrets."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    found = set()
    if parts.password:
        found.update({parts.password, unquote(parts.password)})
    if parts.scheme.lower() not in ("console", "mailto", "mailtos", "json", "jsons", "form",
                                    "forms", "xml", "xmls"):
        found.update(p for p in (parts.netloc.split("@")[-1], *parts.path.split("/")) if p
                     and not p.startswith("#"))
    found.update(v for k, v in parse_qsl(parts.query) if _SECRET_KEYS.search(k) and v)
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


REDACTOR = Redactor()


def setup(level: int, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(REDACTOR)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s",
                                               "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # A job still running when its next turn comes is skipped by design (the poll and
    # outbox jobs go round again on their own); APScheduler warns of each skip.
    logging.getLogger("apscheduler.scheduler").setLevel(max(level, logging.ERROR))

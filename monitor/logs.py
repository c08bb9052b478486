"""Logging for people and for log shippers: secrets masked and control characters escaped in
every line, whoever logs it and at every level.

Channel URLs carry passwords and tokens, source URLs can carry API keys, and at -vv httpx,
httpcore, urllib3 and Apprise print URLs, headers and payloads. The handler's filter
(REDACTOR) rewrites each record before it is written, in the text and the json format alike:

- every registered secret becomes ***, however it is encoded (add_urls registers the parts of
  channel URLs that authenticate, add_source_urls the keys in source URLs);
- every URL in the line goes through mask_url, so credentials and secret-looking query
  values are masked even in URLs nobody registered;
- control characters are escaped (ESC as \\x1b, a bidi override as \\u202e, a line break as
  \\n), so a feed's title or URL cannot forge a log line, hide text or drive the terminal.

mask_url and printable are for other modules too: error messages that quote a URL, output
that shows untrusted text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit

MASK = "***"
_SECRET_KEYS = re.compile(r"pass|secret|token|key|auth|sig|pwd|credential|session", re.I)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# Schemes whose host and path name a place (a site, a file, a database, a mail server), not a
# token. Every other scheme is a notification target, and Apprise puts tokens there:
# slack://T…/B…/X…, tgram://bottoken/chat, discord://id/token, json://host/secret-path.
_PLACE_SCHEMES = {"http", "https", "file", "sqlite", "postgresql", "postgres", "mysql",
                  "mailto", "mailtos", "console"}
# Targets that post to a URL the operator chose: its path may be a token or just "/hook".
_WEBHOOK_SCHEMES = {"http", "https", "json", "jsons", "form", "forms", "xml", "xmls",
                    "webhook", "webhooks"}
# A URL inside a log line; trailing punctuation is left outside.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_TRAILING = ".,;:!?)]}"
_CONTROLS = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def printable(text: str, keep: str = "") -> str:
    """The text with control characters written as escapes: ESC as \\x1b, CSI as \\x9b, a bidi
    override as \\u202e, a line break as \\n. Tabs, and the characters in `keep`, stay."""

    def escape(match: re.Match[str]) -> str:
        char = match[0]
        if char in keep:
            return char
        code = ord(char)
        return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")

    return _CONTROLS.sub(escape, text)


def printable_json(value: Any, indent: int | None = None) -> str:
    """json.dumps with non-ASCII kept readable, but the control characters it would leave
    (DEL, C1 such as CSI \\x9b, bidi overrides, line separators) written as \\u escapes: the
    same JSON value, safe on a terminal."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    # Raw line breaks are indentation: json.dumps writes those inside strings as \n.
    return _CONTROLS.sub(lambda m: m[0] if m[0] == "\n" else f"\\u{ord(m[0]):04x}", text)


# ---------------------------------------------------------------------------------------------
# Masking URLs


def _is_place(host: str) -> bool:
    """Whether a URL's host names a machine (example.org, 127.0.0.1, [::1], localhost) rather
    than being a token (slack://T1JJ3T3L2/…, discord://123456789/…)."""
    return "." in host or ":" in host or host.startswith("[") or host.lower() == "localhost"


def _secret_parameter(name: str) -> bool:
    """A query parameter whose value is a secret: named like one, or a "+Header" (json://,
    form://, xml:// send it as an HTTP header: Authorization, X-Api-Key, …)."""
    name = unquote(name)  # not unquote_plus: a raw "+" starts a header name
    return name.startswith("+") or bool(_SECRET_KEYS.search(name))


def mask_query(url: str) -> str:
    """The URL with the values of secret-looking and +Header query parameters masked."""
    head, sep, query = url.partition("?")
    if not sep:
        return url
    query, hash_, fragment = query.partition("#")
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        parts.append(f"{key}={MASK}" if eq and value and _secret_parameter(key) else part)
    return f"{head}?{'&'.join(parts)}{hash_}{fragment}"


def mask_url(url: str) -> str:
    """The URL with its secrets replaced by ***, for logs and error messages. Never raises.

    Masked: the password (user:***@host); values of query parameters named like secrets
    (token, key, secret, password, auth, sig, …) and of +Header parameters; and for
    notification targets (every scheme but http(s), file, databases and mail) the user, every
    path segment and a host that is a token (slack://***/***/***/#alerts). Text that is not
    a URL comes back as it is; a URL that cannot be parsed keeps only its scheme and what
    follows its last "@" (postgresql://***@[bad).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        at = rest.rfind("@")
        return mask_query(f"{scheme}://{MASK}{rest[at:] if at >= 0 else ''}")
    target = scheme.lower() not in _PLACE_SCHEMES
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        userinfo = (MASK if target and user else user) + (f":{MASK}" if colon else "")
    if target and host and not _is_place(host):
        host = MASK
    path = parts.path
    if target:
        path = "/".join(MASK if segment else "" for segment in path.split("/"))
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return mask_query(f"{scheme}://{userinfo}{at}{host}{path}{query}{fragment}")


def _mask_urls_in(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        found = match[0]
        url = found.rstrip(_TRAILING)
        return mask_url(url) + found[len(url) :]

    return _URL_IN_TEXT.sub(mask, text)


# ---------------------------------------------------------------------------------------------
# Secrets of configured URLs


def _looks_like_token(text: str) -> bool:
    """A path segment that is a token, not a word: "T1JJ3T3L2", "s3cr3tT0ken", 24+ chars."""
    mixed = any(c.isdigit() for c in text) or (text != text.lower() and text != text.upper())
    return len(text) >= 16 or (len(text) >= 8 and mixed)


def _spellings(secret: str) -> set[str]:
    """A secret as it may appear in a line: as written in the URL, decoded, encoded."""
    decoded = unquote_plus(secret)
    return {secret, unquote(secret), decoded, quote(decoded, safe=""), quote(decoded)}


def _query_secrets(query: str) -> set[str]:
    """Values of secret-looking and +Header parameters, and for a header such as
    "Bearer abc" its credential ("abc") on its own."""
    found: set[str] = set()
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if eq and value and _secret_parameter(key):
            found.add(value)
            found.update(unquote_plus(value).split()[1:])
    return found


def secrets_of(url: str) -> set[str]:
    """The parts of a channel URL that authenticate: the password; for notification targets
    the user, a host that is a token and the path tokens (Slack's T…/B…/X…, bot tokens; for
    webhooks posting to a chosen URL, the whole path and its token-like segments); and the
    values of secret-looking and +Header query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    scheme = parts.scheme.lower()
    found = _query_secrets(parts.query)
    if parts.password:
        found.add(parts.password)
    if scheme not in _PLACE_SCHEMES:
        host = parts.netloc.rpartition("@")[2]
        found.update(filter(None, (parts.username, None if _is_place(host) else host)))
    if scheme in _WEBHOOK_SCHEMES:
        segments = [s for s in parts.path.split("/") if s]
        found.update(s for s in segments if _looks_like_token(s))
        if segments:
            found.add(parts.path.rstrip("/"))
    elif scheme not in _PLACE_SCHEMES:
        found.update(s for s in parts.path.split("/") if s)
    return {spelling for secret in found for spelling in _spellings(secret)}


def source_secrets_of(url: str) -> set[str]:
    """The parts of a source URL that authenticate: its password and the values of query
    parameters named like secrets (?api_key=…, ?token=…)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found = _query_secrets(parts.query)
    if parts.password:
        found.add(parts.password)
    return {spelling for secret in found for spelling in _spellings(secret)}


class Redactor(logging.Filter):
    """Masks secrets and escapes control characters in every record that passes the handler."""

    MIN_SECRET = 4  # shorter parts ("1", "api") would mask ordinary words

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add_urls(self, urls: Iterable[str]) -> None:
        """Register channel URLs (Apprise targets): see secrets_of."""
        self._add(s for url in urls for s in secrets_of(url))

    def add_source_urls(self, urls: Iterable[str]) -> None:
        """Register source URLs (feeds, sites, sitemaps; file paths are ignored): see
        source_secrets_of."""
        self._add(s for url in urls if "://" in url for s in source_secrets_of(url))

    def _add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(s for s in secrets if len(s) >= self.MIN_SECRET)
        # Longest first, so a secret containing another is replaced whole.
        ordered = sorted(self.secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def clean(self, text: str, keep: str = "") -> str:
        """The text with secrets masked, URLs masked and control characters (but `keep`)
        escaped."""
        text = _mask_urls_in(text)
        if self._pattern:
            text = self._pattern.sub(MASK, text)
        return printable(text, keep)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: log what there is
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = self.clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text, keep="\n")
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info, keep="\n")
        return True


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

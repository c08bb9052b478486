"""Logs and CLI output: no secret at any log level, in any format, and no control character
or markup from a server reaching a terminal. Real runs of `news-monitor` against local feed
and webhook servers; a real SQLite store for what `status` and `alerts` show."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug import Response

from monitor import logs
from monitor.records import Alert, Entry, Poll, Seen, Snippet
from monitor.store import Store
from tests.conftest import Site, free_port, rss_feed, run_cli, write_config

AIRSTRIKE = {"title": "Airstrikes on Aleppo", "link": "https://e.org/1",
             "description": "An airstrike hit Aleppo."}
CONTROLS = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202eevil\u2066\r\nforged line"


# -- mask_url and printable -------------------------------------------------------------------


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql://monitor:Pw0rd@db.example.org:5432/news",
     "postgresql://monitor:***@db.example.org:5432/news"),
    ("postgresql://u:p@[bad", "postgresql://***@[bad"),
    ("json://[bad/token", "json://***"),
    ("http://host:notaport/x?token=t", "http://***"),
    ("https://e.org/world/rss.xml?api_key=K3y&page=2&Token=t0k",
     "https://e.org/world/rss.xml?api_key=***&page=2&Token=***"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#alerts", "slack://***/***/***/#alerts"),
    ("json://user:pw@hooks.example.org:8080/hook/s3cret?+Authorization=Bearer%20abc&x=1",
     "json://***:***@hooks.example.org:8080/***/***?+Authorization=***&x=1"),
    ("mailtos://desk:s3cret@smtp.example.org?to=a@b.org",
     "mailtos://desk:***@smtp.example.org?to=a@b.org"),
    ("sqlite:///state/monitor.db", "sqlite:///state/monitor.db"),
    ("not a url", "not a url"),
    ("", ""),
])
def test_mask_url_hides_secrets_and_never_raises(url: str, masked: str) -> None:
    assert logs.mask_url(url) == masked


def test_printable_escapes_control_characters_and_keeps_text() -> None:
    text = "a\x1b[2Jb\x9bc\u202ed\ne\tf — é"
    assert logs.printable(text) == "a\\x1b[2Jb\\x9bc\\u202ed\\ne\tf — é"
    assert json.loads(logs.printable_json({"t": CONTROLS})) == {"t": CONTROLS}
    for char in "\x1b\x9b\u202e\u2066\r\n":
        assert char not in logs.printable_json({"t": CONTROLS})


# -- the log filter ---------------------------------------------------------------------------


def log_lines(fmt: str, *records: tuple) -> str:
    """What the configured handler writes for these (message, *args) records."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redactor = logs.Redactor()
    redactor.add_urls(["json://127.0.0.1:9/hook/PathT0kenS3cret?+Authorization=Bearer%20Hdr5ecret"])
    redactor.add_source_urls(["https://e.org/rss?api_key=Src5ecret99", "feeds/local.xml"])
    handler.addFilter(redactor)
    handler.setFormatter(logs.JsonFormatter() if fmt == "json" else logging.Formatter())
    logger = logging.getLogger(f"test.hygiene.{fmt}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for message, *args in records:
            logger.warning(message, *args)
        try:
            raise ValueError(f"bad title {CONTROLS}")
        except ValueError:
            logger.exception("while parsing %s", "https://e.org/x?token=Tok3nValue")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_lines_escape_control_characters(fmt: str) -> None:
    out = log_lines(fmt, ("title %s from %r", CONTROLS, f"https://e.org/{CONTROLS}"))
    for char in "\x1b\x07\x9b\u202e\u2066\r":
        assert char not in out
    if fmt == "json":
        lines = [json.loads(line) for line in out.splitlines()]
        assert len(lines) == 2  # one object per record: no forged line
        assert lines[0]["message"].startswith("title \\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202e")
    else:
        first = out.splitlines()[0]
        assert first.startswith("title \\x1b[2J") and "\\r\\nforged line" in first


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_lines_mask_registered_and_url_secrets(fmt: str) -> None:
    out = log_lines(
        fmt,
        ("POST %s", "http://127.0.0.1:9/hook/PathT0kenS3cret"),
        ("headers %s", {"Authorization": "Bearer Hdr5ecret"}),
        ("GET %s", "https://e.org/rss?api_key=Src5ecret99"),
        ("the key alone: %s", "Src5ecret99"),
        ("state %s", "postgresql://monitor:DbPassw0rd@db.example.org/news"),
    )
    for secret in ("PathT0kenS3cret", "Hdr5ecret", "Src5ecret99", "DbPassw0rd", "Tok3nValue"):
        assert secret not in out
    assert "postgresql://monitor:***@db.example.org/news" in out


# -- real runs at -vv -------------------------------------------------------------------------

SECRETS = ("HookPassw0rd", "PathT0kenS3cret", "HdrT0ken123", "ApiK3y4567", "SrcK3y1234",
           "SrcT0ken999", "DownPassw0rd", "DownT0ken777")


def hook_urls(site: Site) -> dict[str, str]:
    """A json://, form:// and xml:// channel to the local receiver, and one that is down,
    each with a password, a path token and header secrets."""
    secrets = "?+Authorization=Bearer%20HdrT0ken123&+X-Api-Key=ApiK3y4567"
    return {
        **{scheme: f"{scheme}://hookuser:HookPassw0rd@127.0.0.1:{site.port}/{scheme}/"
                   f"PathT0kenS3cret{secrets}" for scheme in ("json", "form", "xml")},
        "down": f"json://u:DownPassw0rd@127.0.0.1:{free_port()}/DownT0ken777{secrets}",
    }


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_at_debug_level(site: Site, tmp_path: Path, fmt: str) -> None:
    site.feeds["/f.xml"] = rss_feed(AIRSTRIKE)
    source = site.url("/f.xml") + "?api_key=SrcK3y1234&token=SrcT0ken999&page=1"
    config = write_config(tmp_path, sources=[{"name": "F", "feed": source}],
                          channels=hook_urls(site))
    result = run_cli("-vv", "--log-format", fmt, "once", "-c", str(config), timeout=120)
    out = result.stdout + result.stderr
    assert "HTTP Request: GET" in out and "POST" in out  # the debug lines that quote URLs
    assert sorted(site.posts) == ["/form/PathT0kenS3cret", "/json/PathT0kenS3cret",
                                  "/xml/PathT0kenS3cret"]
    for secret in SECRETS:
        assert secret not in out, f"{secret} leaked in {fmt} logs"


# -- CLI output -------------------------------------------------------------------------------


def store_with(tmp_path: Path, *, title: str, error: str) -> Path:
    """A config whose SQLite store holds one source whose last poll failed with `error`, and
    one pending alert titled `title`."""
    config = write_config(tmp_path, sources=[{"name": "F", "feed": "https://e.org/f"}],
                          state=f"sqlite:///{tmp_path / 'state.db'}")
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    now = datetime.now(UTC)
    store.sync_sources([("F", "feed", "https://e.org/f")], now)
    entry = Entry("F", "k1", f"https://e.org/{title}", title, "x")
    alert = Alert("test-watch", "Rule", "high", title, entry.url, "F", now, Snippet("x"), ())
    store.record_poll(Poll("F", now, entries=(entry,)),
                      [Seen(entry, "story", "x", (("console", alert),))], now)
    store.record_poll(Poll("F", now, error=error), [], now)
    store.close()
    return config


def test_status_prints_server_text_as_text(site: Site, tmp_path: Path) -> None:
    reason = "[/bold] [link=https://evil.example]click here[/link]"
    site.handlers["/f.xml"] = lambda request: Response("down", status=f"503 {reason}")
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}])
    run_cli("once", "-c", str(config))
    result = run_cli("status", "-c", str(config), env={"FORCE_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    assert "[/bold] [link=https://evil.example]click here[/link]" in result.stdout
    assert "\x1b]8;" not in result.stdout  # no terminal hyperlink


def test_status_and_alerts_escape_control_characters(tmp_path: Path) -> None:
    config = store_with(tmp_path, title=f"Title {CONTROLS}", error=f"HTTP 500 {CONTROLS}")
    status = run_cli("status", "-c", str(config))
    listed = run_cli("alerts", "-c", str(config))
    as_json = run_cli("alerts", "--json", "-c", str(config))
    for result in (status, listed, as_json):
        assert result.returncode == 0, result.stderr
        for char in "\x1b\x07\x9b\u202e\u2066\r":
            assert char not in result.stdout
    assert "HTTP 500 \\x1b[2J\\x1b]0;owned" in status.stdout
    assert "[Rule] Title \\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eevil" in listed.stdout
    assert len(listed.stdout.splitlines()) == 1  # "\r\n" in the title forges no line
    assert json.loads(as_json.stdout)["title"] == f"Title {CONTROLS}"


def test_dry_run_escapes_control_characters_in_links(site: Site, tmp_path: Path) -> None:
    site.feeds["/f.xml"] = rss_feed({**AIRSTRIKE, "link": "https://e.org/a\u202etxt.exe"})
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}])
    result = run_cli("once", "--dry-run", "-c", str(config))
    assert ("would alert [Fighting in Aleppo] Airstrikes on Aleppo  "
            "(https://e.org/a\\u202etxt.exe)") in result.stdout
    as_json = run_cli("once", "--dry-run", "--json", "-c", str(config))
    assert "\u202e" not in result.stdout + as_json.stdout
    assert json.loads(as_json.stdout)["url"] == "https://e.org/a\u202etxt.exe"


def test_test_command_escapes_control_characters_in_hit_words(tmp_path: Path) -> None:
    config = write_config(tmp_path, sources=[{"name": "F", "feed": "https://e.org/f"}])
    article = "Airstrike on Aleppo\nShelling near Ale\u202eppo, \x1b[2J again.\n"
    result = run_cli("test", "-c", str(config), "-", input_text=article)
    assert result.returncode == 0, result.stderr
    assert "“Ale\\u202eppo”" in result.stdout
    assert "\u202e" not in result.stdout and "\x1b" not in result.stdout
    as_json = run_cli("test", "--json", "-c", str(config), "-", input_text=article)
    assert "\u202e" not in as_json.stdout and json.loads(as_json.stdout)["matches"]

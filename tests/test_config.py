"""Config loading and `news-monitor check`: every problem, located as file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cli import main
from monitor.config import ConfigError, load_config, parse_duration, parse_size
from tests.conftest import ROOT

MONITOR = """\
state: sqlite:///state/monitor.db
sources:
  - {name: Local, feed: feed.xml}
channels:
  desk: {url: "console://"}
watchlists: [watchlists/*.yaml]
"""


def make(tmp_path: Path, watchlist: str, monitor: str = MONITOR) -> Path:
    (tmp_path / "watchlists").mkdir(exist_ok=True)
    (tmp_path / "feed.xml").write_text("<rss/>")
    (tmp_path / "watchlists" / "w.yaml").write_text(watchlist, encoding="utf-8")
    path = tmp_path / "monitor.yaml"
    path.write_text(monitor, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(path, env=env or {})
    return [str(p) for p in err.value.problems]


def test_shipped_config_is_valid():
    config = load_config(ROOT / "config" / "monitor.yaml")
    assert len(config.sources) == 2
    assert {r.name for r in config.rules} >= {"Fighting in Aleppo", "ISIS claims an attack",
                                               "Humanitarian access"}
    assert [c.name for c in config.channels] == ["console"]


def test_shipped_production_example_only_lacks_its_secrets():
    found = problems(ROOT / "config" / "examples" / "production.yaml")
    assert found and all("environment variable" in p for p in found)
    env = {"SLACK_TOKEN": "T1/B2/C3", "SMTP_USER": "u", "SMTP_PASS": "p"}
    assert load_config(ROOT / "config" / "examples" / "production.yaml", env=env)


def test_check_reports_unknown_key_and_bad_query_with_line_and_column(tmp_path):
    path = make(tmp_path, """\
name: syria
rules:
  - name: Fighting
    places: [Aleppo]
    keywrods: [airstrike]
  - name: Aid
    query: '(ICRC OR "Red Cross" AND aid'
""")
    result = CliRunner().invoke(main, ["check", "-c", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    wl = str(tmp_path / "watchlists" / "w.yaml")
    assert any(line.startswith(f"{wl}:5:5: unknown key 'keywrods'") and "keywords" in line
               for line in lines), lines
    bad_query = [line for line in lines if line.startswith(f"{wl}:7:") and "query" in line]
    assert bad_query, lines
    col = int(bad_query[0].split(":")[2])
    assert col > 12  # points into the query, past `query: '`


def test_check_prints_summary_and_exits_zero_on_good_config(tmp_path):
    path = make(tmp_path, "name: w\nrules:\n  - {name: R, keywords: [ceasefire]}\n")
    result = CliRunner().invoke(main, ["check", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 sources, 1 watchlists, 1 rules, 1 channels" in result.output


@pytest.mark.parametrize("watchlist, expected", [
    ("name: w\nrules:\n  - {name: R, keywords: airstrike, priority: huge}\n",
     "w.yaml:3:46: rules.0.priority: priority must be one of low, normal, high, urgent"),
    ("name: w\nrules:\n  - {name: R, keywords: [a], notify: [nobody]}\n",
     "w.yaml:3:39: notify names no channel 'nobody'"),
    ("name: w\nrules:\n  - {name: R, keywords: [a]}\n  - {name: R, keywords: [b]}\n",
     "w.yaml:4:12: two rules in this watchlist are named 'R'"),
    ("name: w\nrules:\n  - {name: R}\n",
     "w.yaml:3:5: rules.0: a rule needs at least one of places, groups, events, keywords "
     "or query"),
    ("name: w\nrules:\n  - {name: R, keywords: {a: 1}}\n",
     "w.yaml:3:25: rules.0.keywords"),
    ("rules:\n  - {name: R, keywords: [a]}\n", "w.yaml:1:1: missing required key 'name'"),
    ("name: w\nrules: [\n", "w.yaml:3:1: YAML syntax error"),
    ("name: w\nname: v\nrules:\n  - {name: R, keywords: [a]}\n",
     "w.yaml:2:1: duplicate key 'name'"),
    ("name: w\nrules:\n  - {name: R, keywords: *terms}\n",
     "w.yaml:3:25: YAML syntax error: undefined alias '*terms'"),
    ("name: w\nrules:\n  - {name: R, keywords: !!python/name:os.system a}\n",
     "w.yaml:3:25: YAML syntax error"),
    ("name: w\nrules:\n  - {name: R, keywords: [a]}\n---\nname: v\n",
     "w.yaml:4:1: YAML syntax error: expected a single document"),
    ("name: w\n? [a, b]\n: 1\nrules:\n  - {name: R, keywords: [a]}\n",
     "w.yaml:2:3: keys must be plain"),
])
def test_watchlist_problems_are_located(tmp_path, watchlist, expected):
    found = problems(make(tmp_path, watchlist))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("monitor, expected", [
    (MONITOR.replace("watchlists/*.yaml", "lists/*.yaml"),
     "monitor.yaml:6:14: no watchlist file matches 'lists/*.yaml'"),
    (MONITOR + "poll: {interval: 5 minutes}\n",
     "monitor.yaml:7:18: poll.interval: bad duration '5 minutes'"),
    (MONITOR + "poll: {concurency: 3}\n",
     "monitor.yaml:7:8: unknown key 'concurency'; did you mean 'concurrency'?"),
    (MONITOR + "poll: {concurrency: many}\n", "monitor.yaml:7:21: poll.concurrency"),
    (MONITOR.replace("feed.xml", "missing.xml"),
     "monitor.yaml:3:25: feed file not found: missing.xml"),
    (MONITOR.replace("console://", "${DESK_URL}"),
     "monitor.yaml:5:15: environment variable DESK_URL is not set"),
])
def test_monitor_problems_are_located(tmp_path, monitor, expected):
    path = make(tmp_path, "name: w\nrules:\n  - {name: R, keywords: [a]}\n", monitor)
    found = problems(path)
    assert any(expected in p for p in found), found


def test_anchors_and_merge_keys_share_settings_between_rules(tmp_path):
    path = make(tmp_path, """\
name: w
rules:
  - &fighting {name: Fighting, keywords: [airstrike, shelling], priority: high}
  - {<<: *fighting, name: Fighting in Aleppo, places: [Aleppo]}
""")
    first, second = load_config(path).rules
    assert second.name == "Fighting in Aleppo"  # written here: wins over the merged one
    assert second.priority == first.priority == "high"
    assert second.keywords == first.keywords and len(first.keywords) == 2


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path = make(tmp_path, """\
name: w
rules:
  - {name: A, keywords: [a], colour: red}
  - {name: B, query: 'a AND ('}
  - {name: C, keywords: [c], notify: [ghost]}
""")
    found = problems(path)
    assert len(found) == 3, found


def test_env_vars_fill_secrets_and_defaults(tmp_path):
    monitor = MONITOR.replace("console://", "${DESK_URL:-console://}")
    path = make(tmp_path, "name: w\nrules:\n  - {name: R, keywords: [a]}\n", monitor)
    assert load_config(path, env={}).channels[0].url == "console://"
    assert load_config(path, env={"DESK_URL": "json://127.0.0.1/x"}).channels[0].url == \
        "json://127.0.0.1/x"


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    path = make(tmp_path, "name: w\nrules:\n  - {name: R, keywords: [a]}\n")
    monkeypatch.chdir("/")
    config = load_config(path, env={})
    assert config.sources[0].location == str(tmp_path / "feed.xml")
    assert config.state_url == f"sqlite:///{tmp_path / 'state' / 'monitor.db'}"


def test_rules_inherit_watchlist_notify_and_default_to_every_channel(tmp_path):
    monitor = MONITOR.replace('desk: {url: "console://"}',
                              'desk: {url: "console://"}\n  ops: {url: "console://"}')
    path = make(tmp_path, """\
name: w
notify: [ops]
rules:
  - {name: A, keywords: [a]}
  - {name: B, keywords: [b], notify: [desk]}
""", monitor)
    rules = {r.name: r.channels for r in load_config(path, env={}).rules}
    assert rules == {"A": ("ops",), "B": ("desk",)}
    (tmp_path / "watchlists" / "w.yaml").write_text("name: w\nrules:\n  - {name: A, "
                                                    "keywords: [a]}\n")
    assert load_config(path, env={}).rules[0].channels == ("desk", "ops")


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("5m", 300), ("1h30m", 5400),
                                           ("7d", 604800), ("250ms", 0.25), (90, 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5 minutes", "m5", "", "-3", True, "1h junk"])
def test_bad_durations_are_refused(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_sizes():
    assert parse_size("10MB") == 10_000_000
    assert parse_size("512KiB") == 512 * 1024
    with pytest.raises(ValueError):
        parse_size("lots")


def make_valid_config(tmp_path: Path, monitor: str = MONITOR) -> Path:
    return make(tmp_path, "name: w\nrules:\n  - {name: R, keywords: [a]}\n", monitor)


@pytest.mark.parametrize("monitor, expected", [
    (MONITOR.replace("sqlite:///state/monitor.db", "mysql://u:secret@h/db"),
     "monitor.yaml:1:8: state: expected sqlite:///path/to/monitor.db or "
     "postgresql://user@host/db (found mysql://)"),
    (MONITOR.replace("sqlite:///state/monitor.db", "sqlite://state.db"),
     "state: a SQLite state needs three slashes"),
    (MONITOR.replace("sqlite:///state/monitor.db", "postgresql://u:secret@h:port/db"),
     "state: cannot read this postgresql:// URL"),
    (MONITOR + "health: {listen: '0.0.0.0:99999'}\n",
     "monitor.yaml:7:18: health.listen: port 99999 is out of range (0-65535)"),
    (MONITOR.replace("feed: feed.xml", "feed: 'https:///news.xml'"),
     "monitor.yaml:3:25: feed URL has no host name: https:///news.xml"),
])
def test_values_the_daemon_needs_are_checked_where_written(tmp_path, monitor, expected):
    found = problems(make_valid_config(tmp_path, monitor))
    assert any(expected in p for p in found), found
    assert not any("secret" in p for p in found)  # a state URL may hold a password


def test_new_poll_keys_have_their_defaults(tmp_path):
    poll = load_config(make_valid_config(tmp_path)).settings.poll
    assert (poll.allow_private, poll.article_concurrency, poll.article_budget,
            poll.parse_timeout) == ((), 4, 60.0, 30.0)
    assert load_config(make_valid_config(tmp_path)).sources[0].allow_private is False


def test_private_address_allowances_are_normalised_and_carried_to_sources(tmp_path):
    monitor = MONITOR.replace("{name: Local, feed: feed.xml}",
                              "{name: Local, feed: feed.xml, allow_private: true}")
    monitor += ("poll: {allow_private: [10.1.2.3/8, 192.168.1.20, 'fd00::/8', '::1'], "
                "article_concurrency: 8, article_budget: 2m, parse_timeout: 45s}\n")
    config = load_config(make_valid_config(tmp_path, monitor))
    poll = config.settings.poll
    assert poll.allow_private == ("10.0.0.0/8", "192.168.1.20/32", "fd00::/8", "::1/128")
    assert (poll.article_concurrency, poll.article_budget, poll.parse_timeout) == (8, 120, 45)
    assert config.sources[0].allow_private is True


@pytest.mark.parametrize("monitor, expected", [
    (MONITOR + "poll: {allow_private: [10.0.0.0/8, intranet.local]}\n",
     "monitor.yaml:7:36: poll.allow_private.1: 'intranet.local' is not an IP address or CIDR "
     "block (e.g. 10.0.0.0/8, 192.168.1.20, fd00::/8)"),
    (MONITOR + "poll: {allow_private: [10.0.0.0/33]}\n",
     "monitor.yaml:7:24: poll.allow_private.0: '10.0.0.0/33' is not an IP address"),
    (MONITOR + "poll: {article_concurrency: 0}\n", "monitor.yaml:7:29: poll.article_concurrency"),
    (MONITOR + "poll: {article_concurrency: 101}\n", "poll.article_concurrency: Input should "
                                                      "be less than or equal to 100"),
    (MONITOR + "poll: {article_budget: 0s}\n", "poll.article_budget: Input should be greater "
                                               "than 0"),
    (MONITOR + "poll: {parse_timeout: soon}\n", "poll.parse_timeout: bad duration 'soon'"),
    (MONITOR.replace("{name: Local, feed: feed.xml}", "{name: Local, feed: feed.xml, "
                     "allow_private: maybe}"), "monitor.yaml:3:50: sources.0.allow_private"),
])
def test_new_poll_and_source_keys_are_checked_where_written(tmp_path, monitor, expected):
    found = problems(make_valid_config(tmp_path, monitor))
    assert any(expected in p for p in found), found


@settings(max_examples=300, deadline=None)
@given(st.text().filter(lambda s: "\0" not in s), st.sampled_from(["sqlite", "SQLite"]))
def test_every_sqlite_state_url_that_check_accepts_is_one_sqlalchemy_reads(rest, scheme):
    """`check` accepts a sqlite:/// URL without importing SQLAlchemy: SQLAlchemy must read
    every such URL (else the daemon would fail on what `check` passed)."""
    from sqlalchemy.engine import make_url

    from monitor.config.values import check_state_url

    url = f"{scheme}:///{rest}"
    assert check_state_url(url) == url
    make_url(url)  # raises if SQLAlchemy could not read it

"""What `news-monitor check` accepts, `run` accepts: every invalid edit that would stop the
daemon is refused by `check` at file:line:col, and `once` refuses it with the same message,
never with a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import cli
from monitor.checks import load_checked
from monitor.config import Checks, ConfigError, load_config
from tests.conftest import ROOT, run_cli, write_config

DEEP = "(" * 40 + "aid" + ")" * 40


def config_with(tmp_path: Path, edit: str) -> Path:
    """A valid config with one invalid edit of the kind named."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")
    rules = [{"name": "Fighting", "keywords": ["airstrike"]}]
    channels: dict = {"console": "console://"}
    if edit == "deep query":
        rules.append({"name": "Deep", "query": DEEP})
    elif edit == "bad term":
        rules.append({"name": "Regex", "keywords": [".*"]})
    elif edit == "bad channel url":
        channels["hook"] = "json://"
    elif edit == "failing template":
        (tmp_path / "fails.j2").write_text("{{ alert.title }} {{ 1 // 0 }}\n", encoding="utf-8")
        channels["desk"] = {"url": "console://", "template": "fails.j2"}
    return write_config(tmp_path, sources=[{"name": "F", "feed": str(feed)}],
                        channels=channels, rules=rules)


EXPECTED = {
    "deep query": r"watchlists/test\.yaml:\d+:\d+: bad query: query nests 40 levels deep",
    "bad term": r"watchlists/test\.yaml:\d+:\d+: rules\.1\.keywords\.0: '\.\*' has no letter",
    "bad channel url": r"monitor\.yaml:\d+:\d+: channels\.hook\.url: Apprise does not accept "
                       r"the URL json://\*\*\*",
    "failing template": r"monitor\.yaml:\d+:\d+: channels\.desk\.template: bad template: "
                        r".*fails\.j2:1: ZeroDivisionError",
}


@pytest.mark.parametrize("edit", EXPECTED)
def test_check_and_once_refuse_the_same_edit_with_the_same_located_message(tmp_path, edit):
    config = config_with(tmp_path, edit)
    checked = run_cli("check", "-c", str(config))
    once = run_cli("once", "-c", str(config))
    for result in (checked, once):
        assert result.returncode == 1, result.stderr
        assert re.search(EXPECTED[edit], result.stderr), result.stderr
        assert "Traceback" not in result.stderr
        assert "1 problem found; nothing was run." in result.stderr
    assert checked.stderr == once.stderr


def test_without_the_edit_check_and_once_both_run(tmp_path):
    config = config_with(tmp_path, "none")
    assert run_cli("check", "-c", str(config)).returncode == 0
    assert run_cli("once", "--dry-run", "-c", str(config)).returncode == 0


def test_load_config_alone_skips_only_the_higher_layers_checks(tmp_path):
    config = config_with(tmp_path, "bad channel url")
    assert load_config(config).channels  # shape, terms and rules checked; URL not built
    with pytest.raises(ConfigError) as caught:
        load_checked(config)
    assert [p.message.split(":")[0] for p in caught.value.problems] == ["channels.hook.url"]
    assert load_checked(config_with(tmp_path / "ok", "none")).matcher.rule_count == 1


def test_each_hook_is_reported_at_its_key_and_a_faulty_hook_does_not_escape(tmp_path):
    (tmp_path / "t.j2").write_text("x", encoding="utf-8")
    (tmp_path / "page.html").write_text("<a href=x>x</a>", encoding="utf-8")
    config = write_config(tmp_path, sources=[{"name": "S", "site": "page.html", "links": "a"}],
                          channels={"desk": {"url": "console://", "template": "t.j2"}})

    def refuse(*args: object) -> None:
        raise ValueError(f"refused {args[-1]}")

    def crash(*_args: object) -> None:
        raise KeyError("internal")

    checks = Checks(template=refuse, channel=crash, selector=refuse)
    with pytest.raises(ConfigError) as caught:
        load_config(config, checks=checks)
    found = sorted(p.message for p in caught.value.problems)
    assert found == ["channels.desk.template: bad template: refused console://",
                     "channels.desk.url: unexpected KeyError: 'internal'",
                     "sources.0.links: bad CSS selector: refused a"]


def test_a_fault_in_loading_is_one_line_naming_the_file_not_a_traceback(tmp_path, monkeypatch):
    def fault(path: Path) -> None:
        raise RuntimeError("something we did not foresee")

    import monitor.checks

    monkeypatch.setattr(monitor.checks, "load_checked", fault)  # cli imports it when it runs
    result = CliRunner().invoke(cli.main, ["check", "-c", str(tmp_path / "monitor.yaml")])
    assert result.exit_code == 1
    assert result.output.strip() == (f"{tmp_path / 'monitor.yaml'}: unexpected problem: "
                                     "RuntimeError: something we did not foresee")


def test_config_does_not_import_the_layers_above_it():
    probe = ("import sys, monitor.config; print(sorted(m for m in sys.modules if "
             "m.startswith(('monitor.alerts', 'monitor.sources', 'monitor.service', "
             "'monitor.store'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"

"""Source health in the store, the config and `status`: one announcement however many
replicas decide it, health_alerts checked like every channel name, silence_factor's
defaults, and what `status` shows."""

from __future__ import annotations

import json

from monitor.config import load_config
from monitor.store import Store
from tests.conftest import run_cli
from tests.healthkit import T0, Clock, Feed, Run, config_for


def test_two_replicas_deciding_the_same_change_announce_it_once(tmp_path, state_url):
    store_a = Store.open(state_url, owner="a")
    store_b = Store.open(state_url, owner="b")
    try:
        store_a.sync_sources([("Wire", "feed", "https://e.org/f.xml")], T0)
        won = [s.announce("Wire", "ok", "failing", T0, "failing", "Wire: failing", ["admin"])
               for s in (store_a, store_b)]
        assert won == [True, False]
        assert [n.source for n in store_b.due_health("admin", T0)] == ["Wire"]
        assert store_b.source_state("Wire").health == "failing"
    finally:
        store_a.close()
        store_b.close()


def test_status_shows_failing_since_and_the_health_notices(site, tmp_path):
    feed = Feed()
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": feed.url}])
    run = Run(config, Clock())
    try:
        run.poll()
        feed.stop()
        for _ in range(3):
            run.poll()
    finally:
        run.close()
        feed.stop()
    shown = json.loads(run_cli("status", "-c", str(config), "--json").stdout)
    [row] = shown["sources"]
    assert (row["health"], row["failing"], row["errors"]) == ("failing", True, 3)
    assert row["health_since"] == "2026-11-25T12:11:01+00:00"  # the first failed poll
    [notice] = shown["health_notices"]
    assert (notice["event"], notice["channel"], notice["state"]) == ("failing", "admin", "sent")
    table = run_cli("status", "-c", str(config)).stdout
    assert "Wire (failing)" in table and "failing since 2026-11-25T12:11:01" in table
    assert "health notices (0 waiting to be sent)" in table


def test_a_health_alerts_channel_that_does_not_exist_is_a_located_config_error(site,
                                                                               tmp_path):
    config = config_for(tmp_path, site, [{"name": "Wire", "feed": "https://e.org/f.xml"}],
                        health_alerts=["admin", "opps"])
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "health_alerts names no channel 'opps' (channels: admin)" in result.stderr
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1)
                if "opps" in text)
    assert f"monitor.yaml:{line}:" in result.stderr


def test_silence_factor_defaults_to_4_may_be_set_per_source_and_0_turns_it_off(site,
                                                                              tmp_path):
    url = "https://e.org/f.xml"
    config = load_config(config_for(tmp_path, site, [
        {"name": "Default", "feed": url}, {"name": "Bursty", "feed": url, "silence_factor": 0},
        {"name": "Slow", "feed": url, "silence_factor": 10}]))
    assert {s.name: s.silence_factor for s in config.sources} == {
        "Default": 4.0, "Bursty": None, "Slow": 10.0}
    assert config.health_channels == ("admin",)
    off = load_config(config_for(tmp_path, site, [{"name": "Default", "feed": url}],
                                 poll={"silence_factor": None}, health_alerts=[]))
    assert off.sources[0].silence_factor is None and off.health_channels == ()

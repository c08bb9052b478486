"""One message per story per channel: every rule that fired for the story is named in it,
the highest priority leading; a rule that fires later joins the message while it waits and
goes as a message of its own once it has gone; a batch's title says what is in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from monitor.alerts.outbox import by_story
from monitor.alerts.render import stories_heading
from monitor.records import Alert, Entry, Fired, Hit, OutboxItem, Poll, Seen, Snippet
from monitor.store import Store
from monitor.store.codec import alert_to_json
from monitor.store.repair import alembic_config
from tests.conftest import Site, rss_feed, run_cli, write_config

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def alert(rule: str = "R", priority: str = "normal", score: float = 1.0,
          url: str = "https://e.org/1") -> Alert:
    return Alert(watchlist="w", rule=rule, priority=priority, title="T", url=url, source="S",
                 published=NOW, snippet=Snippet("a b c", ((0, 1),)), terms=(rule.lower(),),
                 score=score, hits=(Hit(rule.lower(), "text", 0, 1),))


def entry(key: str, source: str = "S") -> Entry:
    return Entry(source=source, key=key, url=f"https://e.org/{key}", title="T", summary="s")


def record(store: Store, key: str, *pairs: tuple[str, Alert], story: str = "story",
           source: str = "S", when: datetime = NOW) -> int:
    seen = Seen(entry(key, source), story, "text", tuple(pairs))
    poll = Poll(source, when, entries=(seen.entry,))
    return store.record_poll(poll, [seen], when + timedelta(minutes=5))


def opened(state_url: str) -> Store:
    store = Store.open(state_url)
    store.sync_sources([("S", "feed", "https://e.org/s"), ("T", "feed", "https://e.org/t")],
                       NOW)
    return store


def rules_of(item: OutboxItem) -> list[str]:
    return [f.rule for f in item.alert.rules()]


def test_a_rule_firing_later_joins_the_story_message_while_it_waits(state_url):
    store = opened(state_url)
    try:
        assert record(store, "1", ("desk", alert("A"))) == 1
        assert record(store, "2", ("desk", alert("B")), source="T") == 1
        [item] = store.claim_alerts(NOW, LEASE)
        assert rules_of(item) == ["A", "B"]
        assert item.alert.also[0].url == "https://e.org/1"  # where B's hits are
    finally:
        store.close()


def test_a_higher_priority_rule_firing_later_leads_the_waiting_message(state_url):
    store = opened(state_url)
    try:
        record(store, "1", ("desk", alert("Low", "low")))
        record(store, "2", ("desk", alert("Urgent", "urgent")), source="T")
        [item] = store.claim_alerts(NOW, LEASE)
        assert rules_of(item) == ["Urgent", "Low"]
        assert item.alert.priority == "urgent"
        assert [r.rules for r in store.alert_rows()] == [("Urgent", "Low")]
    finally:
        store.close()


def test_a_rule_firing_after_the_message_was_claimed_goes_as_a_message_of_its_own(state_url):
    store = opened(state_url)
    try:
        record(store, "1", ("desk", alert("A")))
        [first] = store.claim_alerts(NOW, LEASE)  # a delivery is reading it
        record(store, "2", ("desk", alert("B")), source="T")
        store.mark_sent(first.id, NOW, "desk")
        [second] = store.claim_alerts(NOW, LEASE)
        assert rules_of(first) == ["A"] and rules_of(second) == ["B"]
    finally:
        store.close()


def test_a_rule_that_fired_for_a_story_never_fires_for_it_again(state_url):
    store = opened(state_url)
    try:
        record(store, "1", ("desk", alert("A")), ("ops", alert("A")))
        for item in store.claim_alerts(NOW, LEASE):
            store.mark_sent(item.id, NOW, item.channel)
        assert record(store, "2", ("desk", alert("A")), ("ops", alert("A")), source="T") == 0
    finally:
        store.close()
    store = opened(state_url)  # nor after a restart
    try:
        assert record(store, "3", ("desk", alert("A")), story="story") == 0
        assert store.claim_alerts(NOW, LEASE) == []
    finally:
        store.close()


def test_each_channel_gets_its_own_message_with_the_rules_routed_to_it(state_url):
    store = opened(state_url)
    try:
        both = alert("A").with_rules([alert("B").lead()])
        assert record(store, "1", ("desk", both), ("ops", alert("B"))) == 3
        items = {i.channel: rules_of(i) for i in store.claim_alerts(NOW, LEASE)}
        assert items == {"desk": ["A", "B"], "ops": ["B"]}
    finally:
        store.close()


def test_rules_alerted_before_the_upgrade_are_not_alerted_again(tmp_path):
    """A database of the release before (one outbox row per rule) keeps its promise: the
    rule it alerted does not fire again, and its waiting row is still delivered."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    engine = create_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (name, location, active, next_check_at, "
                          "error_count, entries_seen, kind) VALUES ('S', 'https://e.org/s', 1, "
                          "'2026-12-01 09:00:00', 0, 0, 'feed')"))
        conn.execute(text("INSERT INTO entries (source, key_hash, key, url, story, title, "
                          "seen_at) VALUES ('S', 'h', 'k', 'https://e.org/1', 'story', 'T', "
                          "'2026-12-01 09:00:00')"))
        conn.execute(text("INSERT INTO alerts (story, watchlist, rule, channel, entry_id, "
                          "priority, payload, state, attempts, next_attempt_at, created_at) "
                          "VALUES ('story', 'w', 'A', 'desk', 1, 'normal', :p, 'pending', 0, "
                          "'2026-12-01 09:00:00', '2026-12-01 09:00:00')"),
                     {"p": alert_to_json(alert("A"))})
    engine.dispose()
    store = opened(url)
    try:
        assert record(store, "2", ("desk", alert("A"))) == 0
        [item] = store.claim_alerts(NOW, LEASE)
        assert rules_of(item) == ["A"]
    finally:
        store.close()


def item(number: int, story: str, one: Alert) -> OutboxItem:
    return OutboxItem(number, "desk", one, 0, NOW, story)


def test_two_rows_of_one_story_go_out_as_one_message_naming_both():
    merged = by_story([item(1, "s1", alert("A")), item(2, "s2", alert("X")),
                       item(3, "s1", alert("B", "high"))])
    assert [[f.rule for f in a.rules()] for a in merged] == [["B", "A"], ["X"]]


def test_a_batch_title_names_its_rules_not_just_a_count():
    batch = [alert("Fighting in Aleppo"), alert("ISIS claims an attack"),
             alert("Fighting in Aleppo")]
    assert stories_heading(batch) == "3 stories: Fighting in Aleppo (2), ISIS claims an attack"
    assert stories_heading(batch[:1], "Digest") == "Digest of 1 story: Fighting in Aleppo"
    many = [alert(f"Rule number {n} with a long name") for n in range(40)]
    heading = stories_heading(many)
    assert len(heading) <= 200 and heading.startswith("40 stories: Rule number 0 ")
    assert heading.endswith(" more")


def test_with_rules_names_each_rule_once_highest_priority_first():
    one = alert("A", "low").with_rules([alert("B", "urgent").lead(), alert("A", "high").lead(),
                                        alert("C", "urgent", score=5).lead()])
    assert [(f.rule, f.priority) for f in one.rules()] == [
        ("C", "urgent"), ("B", "urgent"), ("A", "low")]


# -- end to end --------------------------------------------------------------------------


def posts(site: Site, path: str) -> list[dict]:
    return [json.loads(body) for body in site.posts.get(path, [])]


def test_the_bundled_sample_article_is_one_message_naming_every_rule_it_fires(
        bundled_config: Path, site: Site) -> None:
    """`once` on the shipped config, with a json:// and a webhook:// receiver beside the
    console: each gets the Aleppo story once, naming the seven rules it fires."""
    data = yaml.safe_load(bundled_config.read_text())
    data["channels"]["hook"] = {"url": f"json://127.0.0.1:{site.port}/json", "group_wait": 0}
    data["channels"]["wh"] = {"url": f"webhook://127.0.0.1:{site.port}/hook",
                              "group_wait": 0}
    bundled_config.write_text(yaml.safe_dump(data, allow_unicode=True))
    watchlist = bundled_config.parent / "watchlists" / "syria.yaml"
    rules = yaml.safe_load(watchlist.read_text())
    rules["notify"] = ["console", "hook", "wh"]
    for rule in rules["rules"]:
        rule.pop("notify", None)
    watchlist.write_text(yaml.safe_dump(rules, allow_unicode=True, sort_keys=False))
    result = run_cli("once", "-c", str(bundled_config))
    assert result.returncode == 0, result.stderr
    plain, structured = posts(site, "/json"), posts(site, "/hook")
    seven = {"Fighting in Aleppo", "ISIS claims an attack", "Humanitarian access",
            "SDF around Manbij",
            # the shipped rules on event types (events:) and on the toll (min_killed: 10)
            "Air and artillery strikes on Idlib", "Bombings and kidnappings in Syria",
            "Mass-casualty attacks"}
    aleppo = [d for d in structured if "Aleppo" in d["alerts"][0]["title"]]
    assert len(aleppo) == 1, structured
    [story] = aleppo[0]["alerts"]
    assert {r["name"] for r in story["rules"]} == seven
    assert story["rules"][0]["priority"] == "urgent"  # the highest priority leads
    assert all(r["terms"] for r in story["rules"])  # each rule's matched words
    texts = [p for p in plain if "Aleppo" in p["title"]]
    assert len(texts) == 1, plain
    assert all(name in texts[0]["message"] for name in seven)
    console = [block for block in result.stdout.split("\n\n") if "Aleppo" in block]
    assert len(console) == 1, result.stdout
    assert all(name in console[0] for name in seven)


def test_a_burst_is_one_message_whose_title_names_its_rules(site: Site, tmp_path: Path):
    site.feeds["/f.xml"] = rss_feed(
        {"title": "Airstrike hits Aleppo market", "link": "https://n.example.org/1",
         "description": "An airstrike on Aleppo."},
        {"title": "Shelling in Aleppo's east", "link": "https://n.example.org/2",
         "description": "Shelling hit eastern Aleppo."},
        {"title": "Daesh claimed responsibility", "link": "https://n.example.org/3",
         "description": "ISIS claimed responsibility for the suicide bombing."})
    config = write_config(tmp_path, sources=[{"name": "W", "feed": site.url("/f.xml")}],
                          channels={"desk": {"url": f"json://127.0.0.1:{site.port}/json",
                                             "group_wait": "30s"}})
    result = run_cli("once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    [message] = posts(site, "/json")
    assert message["title"] == "3 stories: Fighting in Aleppo (2), ISIS claims an attack"


def test_entries_of_one_poll_are_recorded_together_as_one_by_one(state_url):
    # one poll, written as a batch: the first entry listing a rule for a story and channel
    # claims it, a later entry's new rule joins the message made in the same poll, another
    # story gets its own, and a key listed twice is one entry
    store = opened(state_url)
    try:
        seen = [Seen(entry("1"), "story", "text", (("desk", alert("A")),)),
                Seen(entry("2"), "story", "text",
                     (("desk", alert("A").with_rules([_fired("B")])),)),
                Seen(entry("3"), "other", "text", (("desk", alert("A")), ("ops", alert("C")))),
                Seen(entry("1"), "story", "text", (("desk", alert("D")),))]
        poll = Poll("S", NOW, entries=tuple(s.entry for s in seen))
        assert store.record_poll(poll, seen, NOW + timedelta(minutes=5)) == 4
        assert store.source_state("S").entries_seen == 3
        items = sorted((i.story, i.channel, rules_of(i)) for i in store.claim_alerts(NOW, LEASE))
        assert items == [("other", "desk", ["A"]), ("other", "ops", ["C"]),
                         ("story", "desk", ["A", "B"])]
        assert record(store, "4", ("desk", alert("B")), story="story") == 0  # fired already
    finally:
        store.close()


def _fired(rule: str) -> Fired:
    return Fired("w", rule, "normal", (rule.lower(),), 1.0,
                 (Hit(rule.lower(), "text", 0, 1),), "https://e.org/2")

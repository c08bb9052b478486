"""The store, on SQLite and on a real PostgreSQL: what it promises about seen entries and the
outbox, and its migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from monitor.records import Alert, Entry, Poll, Seen, Snippet
from monitor.store import HEAD, Store, StoreError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def entry(key: str, source: str = "S") -> Entry:
    return Entry(
        source=source, key=key, url=f"https://e.org/{key}", title=f"Title {key}", summary="text"
    )


def alert(rule: str = "R") -> Alert:
    return Alert(
        watchlist="w",
        rule=rule,
        priority="high",
        title="T",
        url="https://e.org/1",
        source="S",
        published=NOW,
        snippet=Snippet("a b c", ((0, 1),)),
        terms=("a",),
    )


@pytest.fixture
def store(state_url):
    s = Store.open(state_url)
    s.sync_sources([("S", "feed", "https://e.org/feed"), ("T", "feed", "https://e.org/t")], NOW)
    yield s
    s.close()


@pytest.fixture
def replicas(state_url):
    """Two processes' stores on one database, as two replicas hold them."""
    pair = (Store.open(state_url, owner="replica-a"), Store.open(state_url, owner="replica-b"))
    yield pair
    for s in pair:
        s.close()


def record(store: Store, *seen: Seen, source: str = "S", error: str | None = None) -> int:
    poll = Poll(
        source, NOW, entries=tuple(s.entry for s in seen), error=error, etag='"e"', body_hash="h"
    )
    return store.record_poll(poll, list(seen), NOW + timedelta(minutes=5))


def test_head_names_the_newest_migration():
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from monitor.store import HEAD, MIGRATIONS

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_migrations_create_the_schema_and_reopening_is_a_no_op(state_url):
    Store.open(state_url).close()
    store = Store.open(state_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"sources", "entries", "alerts", "leases", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == HEAD
    store.close()


def test_entry_and_its_alerts_are_recorded_together_and_only_once(store):
    seen = Seen(entry("1"), "story-1", "text", (("desk", alert()), ("ops", alert())))
    assert record(store, seen) == 2
    assert store.unseen("S", ["1", "2"]) == {"2"}
    assert record(store, seen) == 0  # same entry again: nothing new
    assert len(store.claim_alerts(NOW, LEASE)) == 2


def test_a_story_alerts_once_per_rule_and_channel_whatever_the_source(store):
    record(store, Seen(entry("1"), "story", "t", (("desk", alert("R")),)))
    record(
        store,
        Seen(entry("9", "T"), "story", "t", (("desk", alert("R")), ("desk", alert("Other")))),
        source="T",
    )
    [item] = store.claim_alerts(NOW, LEASE)  # Other joined the story's waiting message
    assert [f.rule for f in item.alert.rules()] == ["R", "Other"]


def test_a_failed_transaction_records_neither_entry_nor_alert(store):
    bad = Seen(entry("1"), "story", "t", (("desk", alert()),))
    broken = Seen(entry("2"), "x" * 100, "t", (("desk", alert()),))  # story too long for PG
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        if store.engine.dialect.name == "sqlite":
            with store.engine.begin() as conn:  # SQLite does not enforce lengths: force one
                conn.execute(
                    text(
                        "create trigger t before insert on alerts "
                        "when new.story = 'story' begin select raise(abort, 'x'); end"
                    )
                )
            record(store, bad)
        else:
            record(store, bad, broken)
    assert store.unseen("S", ["1", "2"]) == {"1", "2"}
    assert store.claim_alerts(NOW, LEASE) == []


def test_claim_due_takes_each_due_source_once_until_its_poll_is_recorded(store):
    first = store.claim_due(NOW, timedelta(minutes=2))
    assert sorted(s.name for s in first) == ["S", "T"]
    assert store.claim_due(NOW, timedelta(minutes=2)) == []
    record(store)  # S polled: next check in 5 minutes, lease given back
    assert store.source_state("S").next_check_at == NOW + timedelta(minutes=5)
    assert [s.name for s in store.claim_due(NOW + timedelta(minutes=6), timedelta(minutes=10))] == [
        "T",
        "S",
    ]


def test_a_lease_that_is_not_renewed_expires_and_another_replica_takes_the_source(replicas):
    first, second = replicas
    first.sync_sources([("S", "feed", "https://e.org/feed")], NOW)
    assert [s.name for s in first.claim_due(NOW, LEASE)] == ["S"]
    assert second.claim_due(NOW + timedelta(seconds=20), LEASE) == []
    first.renew(NOW + timedelta(seconds=20), LEASE, ["S"])  # a: still polling
    assert second.claim_due(NOW + timedelta(seconds=40), LEASE) == []
    assert [s.name for s in second.claim_due(NOW + timedelta(seconds=51), LEASE)] == ["S"]
    # a wakes up late and records its poll: b's lease and schedule are left alone
    first.record_poll(Poll("S", NOW, ()), [], NOW + timedelta(minutes=5))
    assert second.source_state("S").next_check_at == NOW
    assert [r.owner for r in second.replicas(NOW + timedelta(seconds=52))] == ["replica-b"]


def test_a_clean_stop_gives_back_every_lease_at_once(replicas):
    first, second = replicas
    first.sync_sources([("S", "feed", "https://e.org/feed")], NOW)
    first.claim_due(NOW, LEASE)
    assert first.take_leases(["channel:desk"], NOW, LEASE) == {"channel:desk"}
    assert second.take_leases(["channel:desk"], NOW, LEASE) == set()
    first.release_all()
    assert [s.name for s in second.claim_due(NOW, LEASE)] == ["S"]
    assert second.take_leases(["channel:desk"], NOW, LEASE) == {"channel:desk"}


def test_channel_lease_is_renewed_by_its_owner_and_taken_over_when_it_expires(replicas):
    first, second = replicas
    assert first.take_leases(["channel:desk"], NOW, LEASE) == {"channel:desk"}
    later = NOW + timedelta(seconds=25)
    assert first.take_leases(["channel:desk"], later, LEASE) == {"channel:desk"}
    assert second.take_leases(["channel:desk"], later + timedelta(seconds=20), LEASE) == set()
    taken = later + LEASE + timedelta(seconds=1)
    assert second.take_leases(["channel:desk"], taken, LEASE) == {"channel:desk"}
    assert first.take_leases(["channel:desk"], taken, LEASE) == set()


def test_two_replicas_never_claim_the_same_outbox_row(replicas):
    first, second = replicas
    first.sync_sources([("S", "feed", "https://e.org/feed")], NOW)
    record(first, *(Seen(entry(str(i)), f"s{i}", "t", (("desk", alert()),)) for i in range(10)))
    a = first.claim_alerts(NOW, LEASE, limit=4)
    b = second.claim_alerts(NOW, LEASE)
    assert len(a) == 4 and len(b) == 6
    assert not {i.id for i in a} & {i.id for i in b}
    first.release_alerts([i.id for i in a])
    second.release_alerts([i.id for i in a])  # not b's to give back: no effect
    assert len(second.claim_alerts(NOW, LEASE)) == 4


def test_removed_sources_stop_being_claimed_but_keep_their_history(store):
    store.sync_sources([("S", "feed", "https://e.org/feed")], NOW)
    assert [s.name for s in store.claim_due(NOW, timedelta(minutes=1))] == ["S"]
    assert {s.name for s in store.source_states()} == {"S", "T"}


def test_poll_errors_count_up_and_clear_on_success(store):
    record(store, error="HTTP 500")
    record(store, error="HTTP 502")
    state = store.source_state("S")
    assert state.error_count == 2 and state.last_error == "HTTP 502"
    record(store)
    state = store.source_state("S")
    assert state.error_count == 0 and state.last_success_at == NOW and state.etag == '"e"'


def test_outbox_marks(store):
    record(store, Seen(entry("1"), "s1", "t", (("desk", alert()),)))
    item = store.claim_alerts(NOW, LEASE)[0]
    assert item.alert == alert()
    store.mark_retry(item.id, "down", NOW + timedelta(minutes=1))
    assert store.claim_alerts(NOW, LEASE) == []
    assert store.claim_alerts(NOW + timedelta(minutes=1), LEASE)[0].attempts == 1
    store.mark_sent(item.id, NOW)
    assert store.alert_counts() == {"sent": 1}


def test_prune_text_keeps_the_seen_row(store):
    record(store, Seen(entry("1"), "s1", "long text", ()))
    assert store.prune_text(NOW + timedelta(days=31)) == 1
    assert store.unseen("S", ["1"]) == set()


def test_replicas_starting_together_both_sync_the_same_sources(state_url):
    from concurrent.futures import ThreadPoolExecutor

    if state_url.startswith("sqlite"):
        pytest.skip("one process per SQLite file")
    configured = [(f"feed {i}", "feed", f"https://e.org/{i}") for i in range(2000)]
    stores = [Store.open(state_url, owner=f"replica-{n}") for n in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: s.sync_sources(configured, NOW), stores))  # raises if racing
    assert len(stores[0].source_states()) == 2000
    for s in stores:
        s.close()


def test_a_state_url_that_cannot_be_used_is_reported_without_its_password():
    with pytest.raises(StoreError) as err:
        Store.open("nosuchdriver://desk:s3cret-pw@db.example.org/monitor")
    assert "s3cret-pw" not in str(err.value) and "cannot use state" in str(err.value)


def test_replicas_opening_a_new_database_together_both_start(state_url):
    """The second waits for the first's migration and then finds nothing to do (it once
    took the first's fresh schema for a half-made one and failed)."""
    from concurrent.futures import ThreadPoolExecutor

    if state_url.startswith("sqlite"):
        pytest.skip("one process per SQLite file")
    with ThreadPoolExecutor(3) as pool:
        stores = list(pool.map(lambda n: Store.open(state_url, owner=f"r{n}"), range(3)))
    for s in stores:
        s.close()


def test_times_recorded_with_a_poll_compare_in_sql_as_the_store_writes_them(store):
    """A poll's rows go to the driver as built SQL: their times must be stored in the same
    form as every other write's, or comparisons in SQL (SQLite compares the text) miss an
    entry published on a whole second."""
    from dataclasses import replace

    whole = replace(entry("1"), published=NOW)
    later = replace(entry("2"), published=NOW + timedelta(microseconds=1500))
    record(store, Seen(whole, "story-1", "t", (("desk", alert()),)), Seen(later, "story-2", "t"))
    assert store.published_since("S", NOW, NOW) == 1
    assert store.published_since("S", NOW, NOW + timedelta(seconds=1)) == 2
    assert [seen_at for *_, seen_at in store.entries_after(0, NOW)] == [NOW, NOW]
    assert len(store.claim_alerts(NOW, LEASE)) == 1  # queued at NOW: due at NOW

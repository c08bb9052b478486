"""The source-health policy alone (monitor/sourcehealth.py): which notice a source is due,
from what it is now and what was last announced; and how notices make one message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sourcehealth import (
    MIN_ITEMS,
    SEPARATOR,
    STATE_AFTER,
    Facts,
    Notice,
    decide,
    gap_window,
    message,
    notice_text,
    usual_gap,
)
from monitor.sources.schedule import MIN_HISTORY, WEEK, Pace

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = 3600.0


def facts(**given: object) -> Facts:
    values: dict = {"announced": "ok", "announced_at": None, "errors": 0,
                    "last_new_at": T0, "watched_since": T0 - timedelta(days=10),
                    "usual_gap": None}
    values.update(given)
    return Facts(**values)


def test_the_poll_that_makes_errors_reach_failing_after_is_the_failing_one():
    assert decide(facts(errors=4), T0, failing_after=5, silence_factor=4) is None
    assert decide(facts(errors=5), T0, failing_after=5, silence_factor=4) == "failing"


def test_a_source_announced_failing_is_not_announced_again_while_it_fails():
    again = facts(announced="failing", announced_at=T0, errors=9)
    assert decide(again, T0, failing_after=5, silence_factor=4) is None


def test_the_first_success_after_failing_is_a_recovery_and_only_a_success_is():
    failing = facts(announced="failing", announced_at=T0)
    assert decide(failing, T0, failing_after=5, silence_factor=4) == "recovered"
    still = facts(announced="failing", announced_at=T0, errors=1)  # failing_after raised
    assert decide(still, T0, failing_after=5, silence_factor=4) is None


def test_a_source_quiet_for_more_than_four_usual_gaps_is_silent():
    quiet = facts(last_new_at=T0, usual_gap=HOUR)
    assert decide(quiet, T0 + timedelta(hours=4), failing_after=5, silence_factor=4) is None
    assert decide(quiet, T0 + timedelta(hours=4, seconds=1), failing_after=5,
                  silence_factor=4) == "silent"


def test_silence_needs_a_known_gap_and_a_factor():
    late = T0 + timedelta(days=30)
    assert decide(facts(usual_gap=None), late, failing_after=5, silence_factor=4) is None
    for off in (0, None):
        assert decide(facts(usual_gap=HOUR), late, failing_after=5, silence_factor=off) is None


def test_a_failing_source_is_failing_not_silent():
    both = facts(errors=5, usual_gap=HOUR, announced="silent", announced_at=T0)
    assert decide(both, T0 + timedelta(days=3), failing_after=5, silence_factor=4) == "failing"


def test_a_recovered_source_counts_its_silence_from_its_recovery():
    recovered_at = T0 + timedelta(days=3)  # last new item at T0, then down for three days
    back = facts(announced="ok", announced_at=recovered_at, usual_gap=HOUR)
    assert decide(back, recovered_at + timedelta(hours=3), failing_after=5,
                  silence_factor=4) is None
    assert decide(back, recovered_at + timedelta(hours=5), failing_after=5,
                  silence_factor=4) == "silent"


def test_a_new_item_from_a_silent_source_makes_it_active_again():
    silent_at = T0 + timedelta(hours=5)
    silent = facts(announced="silent", announced_at=silent_at, last_new_at=T0, usual_gap=HOUR)
    assert decide(silent, silent_at + timedelta(days=2), failing_after=5,
                  silence_factor=4) is None
    back = facts(announced="silent", announced_at=silent_at,
                 last_new_at=silent_at + timedelta(days=2), usual_gap=HOUR)
    assert decide(back, silent_at + timedelta(days=2), failing_after=5,
                  silence_factor=4) == "active"


def test_the_usual_gap_is_known_only_from_a_day_of_history_and_a_few_items():
    assert usual_gap(Pace(100, MIN_HISTORY - 1)) is None
    assert usual_gap(Pace(MIN_ITEMS - 1, WEEK)) is None
    assert usual_gap(Pace(14, WEEK)) == WEEK / 14


def test_the_gap_is_counted_over_the_week_before_the_last_new_item():
    last = T0 + timedelta(days=20)
    assert gap_window(last, T0, WEEK) == (last - timedelta(seconds=WEEK), last)
    assert gap_window(T0 + timedelta(days=2), T0, WEEK) == (T0, T0 + timedelta(days=2))


def test_many_sources_failing_make_one_message_naming_them_all():
    notices = [Notice(n, "failing", f"{n}: failing since …") for n in ("a", "b", "c")]
    title, body = message(notices)
    assert title == "3 sources failing: a, b, c"
    assert body.split(SEPARATOR) == [n.text for n in notices]


def test_mixed_changes_are_counted_by_kind_in_the_title():
    title, _ = message([Notice("a", "failing", "a"), Notice("b", "recovered", "b"),
                        Notice("c", "failing", "c")])
    assert title == "Source health: 2 failing (a, c); 1 recovered (b)"
    assert message([Notice("a", "silent", "a")])[0] == "Source a silent"


def test_a_long_message_says_how_many_notices_it_leaves_out():
    notices = [Notice(f"s{i}", "failing", "x" * 500) for i in range(20)]
    _, body = message(notices)
    kept = body.count("x" * 500)
    assert 0 < kept < 20
    assert body.endswith(f"… and {20 - kept} more (see `news-monitor status`)")


def test_a_failing_notice_says_what_is_wrong_since_when_and_what_to_do():
    text = notice_text("failing", "Wire", now=T0, errors=5, failing_since=T0 - timedelta(
        minutes=40), last_error="connection refused\nsecond line", where="http://h/feed")
    assert text == ("Wire: failing since 2026-11-25 11:20 UTC, 5 failed polls in a row; last "
                    "error: connection refused. Check that http://h/feed answers "
                    "(`news-monitor status` shows every source).")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), max_size=60), st.integers(1, 6))
def test_each_run_of_failing_after_errors_is_one_failure_and_one_recovery(polls, failing_after):
    """Oracle: every run of at least failing_after failed polls is announced once, when it
    reaches failing_after; it recovers once, at the success that ends it."""
    announced, errors, events = "ok", 0, []
    now = T0
    for failed in polls:
        now += timedelta(minutes=5)
        errors = errors + 1 if failed else 0
        event = decide(Facts(announced, now, errors, None, T0), now,
                       failing_after=failing_after, silence_factor=4)
        if event:
            events.append(event)
            announced = STATE_AFTER[event]
    runs, length = [], 0
    for failed in [*polls, False]:
        if failed:
            length += 1
            continue
        if length:
            runs.append(length)
        length = 0
    long_runs = sum(r >= failing_after for r in runs)
    ended = long_runs - (1 if polls and polls[-1] and runs and runs[-1] >= failing_after
                         else 0)
    assert events.count("failing") == long_runs
    assert events.count("recovered") == ended
    assert all(a != b for a, b in zip(events, events[1:], strict=False))  # alternate

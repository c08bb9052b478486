"""The surge detector: one burst, one alert; quiet and busy topics' ordinary swings are not
surges; young history never surges; the tail is the distribution's."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.surges import (
    Action,
    SurgeSettings,
    SurgeState,
    baseline,
    baseline_key,
    decide,
    describe,
    upper_tail,
)

HOUR = timedelta(hours=1)
NOW = datetime(2026, 3, 16, 14, 20, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)


def flat_history(per_hour: int, days: int = 14, end: datetime = NOW) -> list:
    """`per_hour` stories in every whole hour of the `days` days before `end`'s hour (and
    the hour before them, which a window not aligned on the hour reaches)."""
    last = end.replace(minute=0, second=0, microsecond=0)
    return [(last - HOUR * h, per_hour) for h in range(1, days * 24 + 2)]


def step(state: SurgeState, count: int, history, now=NOW, since=SINCE, s=None):
    s = s or SurgeSettings()
    return decide("Aleppo", state, count, baseline(history, since, now, s), now, s)


def replay(times: list[datetime], since: datetime, start: datetime, stop: datetime):
    """Call the detector as the daemon would, at every story and every 5 minutes, from the
    story times alone, carrying the state; returns the non-trivial decisions."""
    times = sorted(times)
    tick = timedelta(minutes=5)
    ticks = [start + tick * i for i in range(int((stop - start) / tick))]
    moments = sorted([t for t in times if start <= t < stop] + ticks)
    s = SurgeSettings()
    state = SurgeState()
    out = []
    for now in moments:
        count = bisect.bisect_right(times, now) - bisect.bisect_right(times, now - s.window)
        buckets: dict[datetime, int] = {}
        for t in times[: bisect.bisect_right(times, now)]:
            hour = t.replace(minute=0, second=0, microsecond=0)
            buckets[hour] = buckets.get(hour, 0) + 1
        base = baseline(sorted(buckets.items()), since, now, s)
        d = decide("Aleppo", state, count, base, now, s)
        state = d.state
        if d.action in (Action.START, Action.END):
            out.append((now, d))
    return out


def hourly_stories(start: datetime, hours: int) -> list[datetime]:
    """One story an hour, at a minute that wanders, like a steady ~1/h topic."""
    return [start + HOUR * h + timedelta(minutes=(h * 37) % 60) for h in range(hours)]


def test_a_burst_of_15_in_an_hour_over_one_an_hour_gives_one_start_then_one_end() -> None:
    since = NOW - timedelta(days=14)
    times = hourly_stories(since, 14 * 24 + 8)
    burst_at = NOW + timedelta(minutes=3)
    times += [burst_at + timedelta(minutes=4 * i) for i in range(15)]
    events = replay(times, since, NOW - 2 * HOUR, NOW + 6 * HOUR)
    assert [d.action for _, d in events] == [Action.START, Action.END]
    (started, start), (ended, _) = events
    assert started - burst_at < HOUR  # within the window
    assert start.count >= SurgeSettings().min_stories
    assert start.p_value is not None and start.p_value < SurgeSettings().alpha
    assert "Aleppo: " in start.line and "stories in the last hour; usually 1." in start.line
    assert ended > burst_at + HOUR  # not before the burst is over


def test_a_quiet_topics_zero_to_two_is_not_a_surge_but_five_is() -> None:
    history = flat_history(0)
    assert step(SurgeState(), 2, history).action is Action.NOTHING
    assert step(SurgeState(), 3, history).action is Action.NOTHING
    assert step(SurgeState(), 5, history).action is Action.START


def test_a_busy_topics_twenty_to_twenty_four_is_not_a_surge_but_eighty_is() -> None:
    history = flat_history(20)
    d = step(SurgeState(), 24, history)
    assert d.action is Action.NOTHING
    assert d.expected == pytest.approx(20)
    assert step(SurgeState(), 80, history).action is Action.START


def test_young_history_never_surges() -> None:
    since = NOW - timedelta(hours=30)
    history = flat_history(0, days=1)
    d = step(SurgeState(), 40, history, since=since)
    assert d.action is Action.NOTHING
    assert d.p_value is None
    # the same burst with 3 days of history is one
    d = step(SurgeState(), 40, flat_history(0, days=3), since=NOW - timedelta(days=3))
    assert d.action is Action.START


def test_short_history_is_judged_more_cautiously() -> None:
    """The same rate seen for 3 days rather than 14: the same count is less surprising."""
    long = step(SurgeState(), 9, flat_history(1))
    short = step(SurgeState(), 9, flat_history(1, days=3), since=NOW - timedelta(days=3))
    assert short.expected == pytest.approx(long.expected)
    assert short.p_value > long.p_value


def test_no_second_alert_until_the_surge_has_ended() -> None:
    history = flat_history(1)
    s = SurgeSettings()
    d = step(SurgeState(), 15, history)
    assert d.action is Action.START
    state = d.state
    # it calms down, flares up again before the cooldown is over: still the same surge
    for minutes, count in ((10, 12), (20, 1), (35, 14), (45, 1), (60, 1)):
        d = step(state, count, history, now=NOW + timedelta(minutes=minutes))
        assert d.action is Action.CONTINUE
        state = d.state
    assert state.peak == 15
    d = step(state, 1, history, now=NOW + timedelta(minutes=45) + s.cooldown)
    assert d.action is Action.END
    assert d.state == SurgeState()
    # and a new burst after the end is a new surge
    later = NOW + 3 * HOUR
    assert step(d.state, 15, flat_history(1, end=later), now=later).action is Action.START


def test_the_baseline_follows_the_topics_daily_rhythm() -> None:
    """10 stories an hour from 09:00 to 17:00 UTC, none at night: noon expects many, 3 a.m.
    few, and the same 12 stories are a surge at night only."""
    last = NOW.replace(minute=0)
    history = [
        (last - HOUR * h, 10 if 9 <= (last - HOUR * h).hour < 17 else 0)
        for h in range(1, 14 * 24 + 1)
    ]
    noon = NOW.replace(hour=12, minute=30)
    night = NOW.replace(hour=3, minute=30)
    assert baseline(history, SINCE, noon).expected > 6
    assert baseline(history, SINCE, night).expected < 2
    assert step(SurgeState(), 12, history, now=noon).action is Action.NOTHING
    assert step(SurgeState(), 12, history, now=night).action is Action.START


def test_the_window_never_counts_in_its_own_baseline() -> None:
    history = flat_history(1, end=NOW - HOUR)  # up to the hour before the window's first
    burst = [(NOW.replace(minute=0) - HOUR, 50), (NOW.replace(minute=0), 50)]
    assert baseline(history + burst, SINCE, NOW).expected == pytest.approx(
        baseline(history, SINCE, NOW).expected
    )


def test_sparse_history_counts_missing_hours_as_zero() -> None:
    dense = flat_history(0)
    dense[30] = (dense[30][0], 3)
    sparse = [dense[30]]
    assert baseline(sparse, SINCE, NOW) == baseline(dense, SINCE, NOW)


def test_the_baseline_key_changes_with_the_windows_first_hour_only() -> None:
    assert baseline_key(NOW) == baseline_key(NOW + timedelta(minutes=30))
    assert baseline_key(NOW) != baseline_key(NOW + HOUR)


def test_the_line_reads_like_the_issue() -> None:
    assert describe("Aleppo", 14, 1.23, HOUR) == "Aleppo: 14 stories in the last hour; usually 1.2"
    assert describe("Idlib", 1, 0.1, timedelta(minutes=30)) == (
        "Idlib: 1 story in the last 30 minutes; usually 0.1"
    )


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        SurgeSettings(alpha=0.5, end_alpha=0.1)
    with pytest.raises(ValueError):
        SurgeSettings(window=timedelta(0))
    with pytest.raises(ValueError):
        SurgeSettings(min_history=timedelta(days=20))


def _direct_tail(count: int, mean: float, dispersion: float | None) -> float:
    """1 - sum of the pmf below `count`, term by term in 80-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 80
        m = Decimal(mean)
        lower = Decimal(0)
        if dispersion is None:
            term = (-m).exp()
            for i in range(count):
                lower += term
                term = term * m / (i + 1)
        else:
            k = Decimal(dispersion)
            p = k / (k + m)
            term = (k * p.ln()).exp()  # pmf(0) = p^k
            for i in range(count):
                lower += term
                term = term * (k + i) / (i + 1) * (1 - p)
        return float(1 - lower)


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=120),
    mean=st.floats(min_value=0.01, max_value=60),
    dispersion=st.one_of(st.none(), st.floats(min_value=0.3, max_value=100)),
)
def test_the_tail_matches_a_direct_sum(count: int, mean: float, dispersion) -> None:
    got = upper_tail(count, mean, dispersion)
    want = _direct_tail(count, mean, dispersion)
    assert 0.0 <= got <= 1.0
    assert got == pytest.approx(want, rel=1e-9, abs=1e-14)


def test_the_tail_keeps_tiny_values() -> None:
    """Far above the mean, 1 - cdf would be 0 in floats; the direct upper sum is not."""
    tiny = upper_tail(40, 1.0)
    assert 0 < tiny < 1e-40
    assert tiny == pytest.approx(_direct_tail(40, 1.0, None), rel=1e-9)


def test_overdispersion_makes_the_same_count_less_surprising() -> None:
    assert upper_tail(30, 10.0, 10.0) > upper_tail(30, 10.0)

"""Is a topic suddenly in the news? The surge detector, pure: no store, no config, no clock.

A topic is anything a rule can name (a watchlist, a rule, a place, a group). The store counts,
for each topic, the distinct stories that matched it. The caller gives, at `now`:

- `count`: the distinct stories first seen in the window (now - window, now];
- `history`: counts per hour bucket, as (hour_start, count) pairs, UTC, aligned on the hour,
  over at least the past `baseline_days` days. Buckets may be sparse (a GROUP BY on the
  truncated hour returns only the hours that had a story): an hour missing inside the covered
  span counts as zero, which is why the caller also gives
- `since`: when counting began for this topic (the rule's creation, or the store's first
  record for it). Without it a quiet topic and a new one look alike.

These are what a store gives with two cheap indexed queries, and they survive restarts.

The baseline (`baseline`) is the expected count for the window: the rate in the same hours
of day over the covered past days (the hours the window touches, widened by
`neighbour_hours` on each side, so one odd hour last Tuesday does not set the bar), shrunk
towards the topic's overall hourly rate by a prior worth `prior_hours` hours (so a topic with
two days of history leans on its overall rate, one with fourteen follows its diurnal rhythm),
and never below `floor_rate` (so a topic never seen is not "expected 0", where any story
would be infinitely surprising). Only whole hours before the window's first hour count: the
burst being judged never raises its own bar. History younger than `min_history` never
surges: one or two days cannot tell a rhythm from an accident.

The test (`upper_tail`) is a negative binomial upper tail, a Poisson whose rate itself varies
(news rates differ from day to day far more than a Poisson allows; see bench/surges.py), with
a variance of mean + mean^2 / dispersion; dispersion None is the plain Poisson. A topic
surges when count >= min_stories and P(X >= count | baseline) < alpha. The size of the
negative binomial shrinks (the test widens) when the baseline rests on few days or few
stories: its own error adds to the day-to-day spread (`baseline`). It stays surging
until the count has been unremarkable (P >= end_alpha, or below min_stories) for `cooldown`:
the gap between alpha and end_alpha, and the cooldown, are the hysteresis that makes one
burst one alert, however it flickers on its way down.

`decide` is the whole step: it takes the caller's `SurgeState`, the window's count and its
baseline, and returns a `Decision` with the next state, which the caller stores (so replicas
and restarts share it). The baseline depends only on the window's first hour
(`baseline_key`), so the caller reads the history once an hour per topic, not at every story.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SurgeSettings:
    """How a surge is told from noise. The defaults come from bench/surges.py (seed 17, 16
    simulated topic-weeks per rate band from 0.1/h to 20/h, with a diurnal rhythm, a day rate
    varying ~30% and stories arriving in small clusters; evaluated at every story and every
    5 minutes, as the daemon does):

    - alpha 1e-5 with dispersion 10: 0.07 false surges per topic-week over all bands (none
      had more than one; worst band 0.12), where the plain Poisson test (dispersion None) at
      the same alpha gives 1.35 (4.3 at 20/h: it cannot explain a busy day), and alpha 1e-4
      (min_stories 4, 4 weeks) gave 0.5-0.75 per week on topics of 1/h or less; with days
      varying ~50% (--day-shape 4) the default still gives 0.15 (2% of topic-weeks had
      two; up to 0.75 in a new topic's first week);
    - min_stories 5: 4 stories in an hour on a topic seen a few times a day are still
      noise, often one event told by several stories (with 4, 0.1/h topics had 0.38 false
      surges per week, 8 weeks; with 5, 0.12); a quiet topic's 0 -> 2 never is one;
    - the issue's burst (15 stories in an hour over ~1/h) is caught in all 20 trials, 32 min
      in (median; worst 53), with one start per burst and an end within 4 h in every trial;
      10x the rate of a band of 1/h or more is caught within the window in 95-100% of
      trials; 5x a rate of 1/h or less (2 to 5 stories) mostly is not: too few to tell from
      the clusters of ordinary days;
    - end_alpha 0.01 and a 30-minute cooldown: one start per burst; with end_alpha 0.1 a
      surge on a topic whose day runs busy did not end within 4 h in 5-20% of trials;
    - prior_hours 24: the same-hour rate of 14 days (42 hours of slot) outweighs the overall
      rate; at 48 false surges were 0.17 a week (the diurnal rhythm was damped);
    - min_history 2 days, and the test widened for a baseline on few days (`baseline`): in
      a new topic's first week, 0 to 0.25 false surges per band (4 runs each); with the
      plain dispersion at 2 days a 1/h topic had 0.5.

    window and baseline_days are the issue's (1 h, the same hour over 14 days).
    """

    window: timedelta = HOUR
    baseline_days: int = 14
    min_stories: int = 5  # the smallest count that can ever be a surge
    alpha: float = 1e-5  # start: P(X >= count | baseline) below this
    end_alpha: float = 0.01  # end: P(X >= count | baseline) at least this ...
    cooldown: timedelta = timedelta(minutes=30)  # ... for this long
    dispersion: float | None = 10.0  # negative binomial size; None: plain Poisson
    neighbour_hours: int = 1  # hours of day either side of the window's, in the baseline
    prior_hours: float = 24.0  # weight of the overall rate against the same-hour rate
    floor_rate: float = 0.02  # stories per hour: the least a baseline can be
    min_history: timedelta = timedelta(days=2)  # younger history never surges

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("surge window must be positive")
        if self.baseline_days < 1:
            raise ValueError("baseline_days must be at least 1")
        if self.min_stories < 1:
            raise ValueError("min_stories must be at least 1")
        if not 0 < self.alpha < self.end_alpha <= 1:
            raise ValueError("need 0 < alpha < end_alpha <= 1")
        if self.dispersion is not None and self.dispersion <= 0:
            raise ValueError("dispersion must be positive (or None for Poisson)")
        if self.min_history > timedelta(days=self.baseline_days):
            raise ValueError("min_history cannot exceed baseline_days")
        if self.floor_rate <= 0 or self.prior_hours < 0 or self.neighbour_hours < 0:
            raise ValueError("floor_rate must be positive; prior and neighbours not negative")


@dataclass(frozen=True)
class SurgeState:
    """What the caller keeps per topic between calls: whether a surge is on, since when,
    and since when its count has been back to normal (the cooldown's clock)."""

    active_since: datetime | None = None
    calm_since: datetime | None = None
    peak: int = 0  # the highest window count of the current surge

    @property
    def active(self) -> bool:
        return self.active_since is not None


class Action(StrEnum):
    NOTHING = "nothing"
    START = "start"  # send the surge alert
    CONTINUE = "continue"  # still surging: send nothing
    END = "end"  # the surge is over: a new one may start


@dataclass(frozen=True)
class Baseline:
    expected: float  # stories expected in the window
    history_hours: float  # whole hours of history behind it
    young: bool  # too little history to judge
    dispersion: float | None = None  # the negative binomial size to test with; None: Poisson


@dataclass(frozen=True)
class Decision:
    action: Action
    state: SurgeState  # store this; pass it to the next call
    count: int
    expected: float
    p_value: float | None  # None when history is too young to test
    line: str  # e.g. "Aleppo: 14 stories in the last hour; usually 1.2"


def _floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(t: datetime) -> datetime:
    floor = _floor_hour(t)
    return floor if floor == t else floor + HOUR


def baseline(
    history: Iterable[tuple[datetime, int]],
    since: datetime,
    now: datetime,
    settings: SurgeSettings = SurgeSettings(),
) -> Baseline:
    """The expected count for the window ending at `now` (see the module docstring)."""
    end = _floor_hour(now - settings.window)  # first hour the window touches: not history
    last = _floor_hour(now - timedelta(microseconds=1))  # last hour it touches
    start = max(_ceil_hour(since), end - timedelta(days=settings.baseline_days))
    hours = max(0, int((end - start) / HOUR))
    young = hours * HOUR < settings.min_history or hours == 0
    window_hours = settings.window / HOUR
    floor = settings.floor_rate * window_hours
    if hours == 0:
        return Baseline(floor, 0.0, True)
    k = settings.neighbour_hours
    span = int((last - end) / HOUR)  # the window touches hours end .. end + span
    # A past hour b is in the slot when it falls at offset j (from -k to span + k) from the
    # same clock hour as `end` on an earlier day. Offsets wrap at 24 for a wide slot.
    slot = {j % 24 for j in range(-k, span + k + 1)}
    total = 0
    in_slot = 0
    for hour_start, n in history:
        if not start <= hour_start < end:
            continue
        total += n
        if (int((hour_start - end) / HOUR)) % 24 in slot:
            in_slot += n
    slot_hours = sum(1 for h in range(hours) if (-1 - h) % 24 in slot)  # hour end-1-h
    overall = total / hours
    behind = in_slot + settings.prior_hours * overall  # the stories the rate rests on
    rate = behind / (slot_hours + settings.prior_hours)
    size = None
    if settings.dispersion is not None:
        # Today's rate strays from the mean day by 1/dispersion (relative variance); the
        # estimate itself strays by that over the days behind it, plus its own Poisson noise.
        # Few days or few stories widen the test, so young history is judged cautiously.
        days = hours / 24
        spread = (1 + 1 / days) / settings.dispersion + 1 / max(behind, 1.0)
        size = 1 / spread
    return Baseline(max(floor, rate * window_hours), float(hours), young, size)


def baseline_key(now: datetime, settings: SurgeSettings = SurgeSettings()) -> datetime:
    """The hour a baseline belongs to: two calls with the same key (and the same history and
    `since`) give the same baseline."""
    return _floor_hour(now - settings.window)


def _log_pmf(i: int, mean: float, dispersion: float | None) -> float:
    if dispersion is None:
        return -mean + i * math.log(mean) - math.lgamma(i + 1)
    k = dispersion
    return (
        math.lgamma(i + k)
        - math.lgamma(k)
        - math.lgamma(i + 1)
        + k * math.log(k / (k + mean))
        + i * math.log(mean / (k + mean))
    )


def upper_tail(count: int, mean: float, dispersion: float | None = None) -> float:
    """P(X >= count) for X Poisson(mean), or negative binomial with that mean and size
    `dispersion` (variance mean + mean^2 / dispersion). Below the mean it is one minus the
    few lower terms; above it, the upper terms summed directly, so a tiny tail keeps its
    digits instead of vanishing in 1 - 0.9999..."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if count <= mean:
        lower = math.fsum(math.exp(_log_pmf(i, mean, dispersion)) for i in range(count))
        return min(1.0, max(0.0, 1.0 - lower))
    q = mean / (dispersion + mean) if dispersion is not None else 0.0
    term = math.exp(_log_pmf(count, mean, dispersion))
    terms = [term]
    i = count
    while term > 0:
        # pmf(i + 1) / pmf(i): decreasing in i past the mode, which count > mean already is
        ratio = (i + dispersion) / (i + 1) * q if dispersion is not None else mean / (i + 1)
        term *= ratio
        i += 1
        terms.append(term)
        if term < terms[0] * 1e-18 or (ratio < 1 and term / (1 - ratio) < terms[0] * 1e-18):
            break
    return min(1.0, math.fsum(terms))


def describe(topic: str, count: int, expected: float, window: timedelta) -> str:
    """The alert's headline: "Aleppo: 14 stories in the last hour; usually 1.2"."""
    stories = "story" if count == 1 else "stories"
    return f"{topic}: {count} {stories} in the last {_span(window)}; usually {expected:.1f}"


def _span(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def decide(
    topic: str,
    state: SurgeState,
    count: int,
    base: Baseline,
    now: datetime,
    settings: SurgeSettings = SurgeSettings(),
) -> Decision:
    """One step for one topic at `now`: start, continue, end, or nothing, and the next state.
    Call it when a story matches the topic and every few minutes (so a surge can end while
    no story comes). `base` is `baseline(...)` for this `now`; it only changes when the
    window's first hour does (`baseline_key`), so a caller may keep it for that hour instead
    of reading the history again at every story."""
    line = describe(topic, count, base.expected, settings.window)
    if base.young and not state.active:
        return Decision(Action.NOTHING, state, count, base.expected, None, line)
    p = upper_tail(count, base.expected, base.dispersion)
    if not state.active:
        if count >= settings.min_stories and p < settings.alpha:
            started = SurgeState(active_since=now, calm_since=None, peak=count)
            return Decision(Action.START, started, count, base.expected, p, line)
        return Decision(Action.NOTHING, state, count, base.expected, p, line)
    peak = max(state.peak, count)
    calm = count < settings.min_stories or p >= settings.end_alpha
    if not calm:
        going = SurgeState(active_since=state.active_since, calm_since=None, peak=peak)
        return Decision(Action.CONTINUE, going, count, base.expected, p, line)
    calm_since = state.calm_since or now
    if now - calm_since >= settings.cooldown:
        return Decision(Action.END, SurgeState(), count, base.expected, p, line)
    cooling = SurgeState(active_since=state.active_since, calm_since=calm_since, peak=peak)
    return Decision(Action.CONTINUE, cooling, count, base.expected, p, line)

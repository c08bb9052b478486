"""Source health as alerts: when a source's state is worth a message, and what it says.

A pure policy (no clock, no store), so every case is a unit test. It is level-triggered:
from what a source is now (errors in a row, when it last brought something new, its usual
gap between items) and what was last *announced* for it, it says which notice is due, if
any. An edge-triggered rule ("this poll made the count reach failing_after") would lose
its notice to a crash between the poll's record and the notice's; compared with the
announced state the next poll finds it again, and a restart repeats nothing, since the
announced state lives in the store and changes by compare-and-set (store/health.py).

States: ok, failing, silent. Notices:
- failing: errors in a row reached `failing_after` (from ok or silent: failing says more);
- recovered: the first successful poll of a source announced failing;
- silent: a source that answers but has brought nothing new for more than
  `silence_factor` times its usual gap between items (Huginn's "expected update period").
  Only when that gap is known: a day of history and MIN_ITEMS items, counted over the week
  before its last new item (the pace polling.py adapts to, ending where the silence
  begins: counted up to now, a silence would shrink the pace it is measured against);
- active: a new item from a source announced silent. Worth a message: whoever was told a
  source went quiet otherwise keeps looking into it, and it is one message per silence.

A recovered source starts its silence clock again at its recovery: a source that was down
for days has not been "silent" for those days, it has been failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from monitor.config import format_duration
from monitor.sources.schedule import MIN_HISTORY, Pace

Event = Literal["failing", "recovered", "silent", "active"]
State = Literal["ok", "failing", "silent"]
STATE_AFTER: dict[Event, State] = {"failing": "failing", "recovered": "ok", "silent": "silent",
                                   "active": "ok"}
MIN_ITEMS = 4  # items in the window before a source's usual gap counts as known
SEPARATOR = " · "
SUMMARY_MAX = 3000  # characters of one message's body; the rest is counted, not dropped


@dataclass(frozen=True, slots=True)
class Facts:
    """A source as the decision needs it, after a poll."""

    announced: State  # the health state last announced
    announced_at: datetime | None  # ... and when (None: never announced anything)
    errors: int  # errors in a row, this poll included
    last_new_at: datetime | None  # the last poll that brought a new entry
    watched_since: datetime | None  # when the source was added
    usual_gap: float | None = None  # seconds; None when not known from enough history


def decide(facts: Facts, now: datetime, *, failing_after: int,
           silence_factor: float | None) -> Event | None:
    """The notice this source is due, if any. `silence_factor` None or 0: never silent."""
    if facts.errors >= failing_after:
        return "failing" if facts.announced != "failing" else None
    if facts.errors:  # failing, but not for long enough yet (or not yet recovered)
        return None
    if facts.announced == "failing":
        return "recovered"
    if facts.announced == "silent":
        new = facts.last_new_at
        return "active" if new and (facts.announced_at is None or new > facts.announced_at) \
            else None
    quiet = quiet_since(facts)
    if (silence_factor and facts.usual_gap and quiet is not None
            and (now - quiet).total_seconds() > silence_factor * facts.usual_gap):
        return "silent"
    return None


def quiet_since(facts: Facts) -> datetime | None:
    """Since when a healthy source has brought nothing new: its last new item, its
    recovery or its addition, whichever came last."""
    times = [t for t in (facts.last_new_at, facts.watched_since, facts.announced_at) if t]
    return max(times) if times else None


def usual_gap(pace: Pace) -> float | None:
    """Seconds between a source's items, from its pace, or None with too little history."""
    if pace.window < MIN_HISTORY or pace.published < MIN_ITEMS:
        return None
    return pace.window / pace.published


def could_be_silent(facts: Facts, now: datetime, silence_factor: float | None,
                    min_gap: float) -> bool:
    """Whether the usual gap is worth looking up: a healthy source, announced ok, quiet for
    longer than the factor times the shortest gap it could have (`min_gap`). Most polls
    find a source that published lately and cost no query."""
    quiet = quiet_since(facts)
    return bool(silence_factor and facts.errors == 0 and facts.announced == "ok"
                and facts.last_new_at is not None and quiet is not None
                and (now - quiet).total_seconds() > silence_factor * min_gap)


def gap_window(last_new_at: datetime, watched_since: datetime,
               week: float) -> tuple[datetime, datetime]:
    """The span a usual gap is counted over: the week (or less, since the source was added)
    before its last new item."""
    span = min(week, max((last_new_at - watched_since).total_seconds(), 0.0))
    return last_new_at - timedelta(seconds=span), last_new_at


def stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@dataclass(frozen=True, slots=True)
class Notice:
    """One source's health change, as queued for a channel and shown in `status`."""

    source: str
    event: Event
    text: str


def notice_text(event: Event, name: str, *, now: datetime, errors: int = 0,
                failing_since: datetime | None = None, last_error: str | None = None,
                where: str = "", last_new_at: datetime | None = None,
                usual_gap: float | None = None, silent_since: datetime | None = None,
                failed_before: int = 0) -> str:
    """The line a notice says: which source, what is wrong, since when, what to do."""
    if event == "failing":
        error = (last_error or "unknown error").splitlines()[0][:300]
        return (f"{name}: failing since {stamp(failing_since)}, {errors} failed polls in a "
                f"row; last error: {error}. Check that {where or 'its address'} answers "
                f"(`news-monitor status` shows every source).")
    if event == "recovered":
        since = f" (failing since {stamp(failing_since)})" if failing_since else ""
        after = f" after {failed_before} failed polls in a row" if failed_before else ""
        return f"{name}: recovered at {stamp(now)}{after}{since}."
    if event == "silent":
        gap = format_duration(usual_gap) if usual_gap else "unknown"
        return (f"{name}: silent — no new item since {stamp(last_new_at)}; it usually "
                f"publishes every {gap}. Check that {where or 'it'} still publishes, or "
                f"whether its address has moved.")
    return (f"{name}: active again — a new item at {stamp(now)}, the first since "
            f"{stamp(silent_since)}.")


TITLES: dict[Event, str] = {"failing": "failing", "recovered": "recovered",
                            "silent": "silent", "active": "active again"}


def message(notices: list[Notice]) -> tuple[str, str]:
    """One message (title, body) for every notice gathered for a channel: "3 sources
    failing: a, b, c"; mixed events are counted by kind. The body lists each notice's line,
    in the order they happened, up to SUMMARY_MAX characters and then how many more."""
    by_event: dict[Event, list[str]] = {}
    for n in notices:
        names = by_event.setdefault(n.event, [])
        if n.source not in names:
            names.append(n.source)
    if len(by_event) == 1:
        (event, names), = by_event.items()
        title = (f"Source {names[0]} {TITLES[event]}" if len(names) == 1 else
                 f"{len(names)} sources {TITLES[event]}: {', '.join(names)}")
    else:
        title = "Source health: " + "; ".join(
            f"{len(names)} {TITLES[event]} ({', '.join(names)})"
            for event, names in by_event.items())
    lines: list[str] = []
    size = 0
    for i, n in enumerate(notices):
        if size + len(n.text) > SUMMARY_MAX and lines:
            lines.append(f"… and {len(notices) - i} more (see `news-monitor status`)")
            break
        lines.append(n.text)
        size += len(n.text) + 1
    title = title if len(title) <= 300 else title[:297] + "…"
    return title, SEPARATOR.join(lines)

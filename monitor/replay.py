"""Surges replayed: which surges the rules as they are now would have raised on stored news.

`backtest` hands over, in the order they were first seen, the (time, story) of each stored
entry and the topics its matches count for now (topics.py). Each topic's stories are counted
as the store counts them (a story once), and the detector (surges.py) is asked at each new
story and every TICK between, as the daemon does at every delivery pass. The history comes
from the replayed period itself: a topic's first two days never surge, so ask for a period
that starts a few days before the part of interest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.records import Topic
from monitor.surges import Action, SurgeSettings, SurgeState, baseline, decide

TICK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReplayedSurge:
    topic: str
    started_at: datetime
    ended_at: datetime | None
    line: str  # as the alert would have said it


@dataclass
class _Track:
    topic: Topic
    settings: SurgeSettings
    since: datetime
    times: list[datetime]
    state: SurgeState
    started: int | None = None  # index into the result of the surge on now


def replay_surges(events: Iterable[tuple[datetime, str, tuple[Topic, ...]]]
                  ) -> list[ReplayedSurge]:
    """(first seen, story, topics) in time order -> the surges they would have raised."""
    tracks: dict[str, _Track] = {}
    seen: set[tuple[str, str]] = set()
    found: list[ReplayedSurge] = []
    clock: datetime | None = None
    for when, story, topics in events:
        while clock is not None and clock + TICK <= when:  # the delivery passes between
            clock += TICK
            for track in tracks.values():
                if track.state.active:
                    _step(track, clock, found)
        clock = when if clock is None or when > clock else clock
        for topic in topics:
            if (topic.key, story) in seen:
                continue
            seen.add((topic.key, story))
            track = tracks.get(topic.key)
            if track is None:
                track = tracks[topic.key] = _Track(topic, SurgeSettings(
                    window=timedelta(seconds=topic.window), min_stories=topic.min_stories),
                    when, [], SurgeState())
            track.times.append(when)
            _step(track, when, found)
    return found


def _step(track: _Track, now: datetime, found: list[ReplayedSurge]) -> None:
    settings = track.settings
    horizon = now - timedelta(days=settings.baseline_days + 1)
    recent = [t for t in track.times if horizon < t <= now]
    track.times = recent
    count = sum(1 for t in recent if t > now - settings.window)
    hours = Counter(t.replace(minute=0, second=0, microsecond=0) for t in recent)
    decision = decide(track.topic.label, track.state, count,
                      baseline(hours.items(), track.since, now, settings), now, settings)
    track.state = decision.state
    if decision.action == Action.START:
        track.started = len(found)
        found.append(ReplayedSurge(track.topic.key, now, None, decision.line))
    elif decision.action == Action.END and track.started is not None:
        surge = found[track.started]
        found[track.started] = ReplayedSurge(surge.topic, surge.started_at, now, surge.line)
        track.started = None

"""Alerts to and from JSON, so the outbox keeps what is needed to render them later.

Rows written by older versions lack the newer keys (hits, the other rules, the kind of a
hit, the casualty figures) and come back with their defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.facts.figures import Casualties
from monitor.records import Alert, Fired, Hit, Snippet, Update


def _hits(hits: Iterable[Hit]) -> list[list[Any]]:
    return [[h.term, h.field, h.start, h.end, h.concept, h.kind] for h in hits]


def _hits_from(rows: Iterable[list[Any]]) -> tuple[Hit, ...]:
    return tuple(Hit(row[0], row[1], int(row[2]), int(row[3]), row[4],
                     row[5] if len(row) > 5 else None) for row in rows)


def alert_to_json(alert: Alert) -> str:
    data: dict[str, Any] = {
        "watchlist": alert.watchlist,
        "rule": alert.rule,
        "priority": alert.priority,
        "title": alert.title,
        "url": alert.url,
        "source": alert.source,
        "published": alert.published.isoformat() if alert.published else None,
        "snippet": {"text": alert.snippet.text, "marks": [list(m) for m in alert.snippet.marks]},
        "terms": list(alert.terms),
        "sources": list(alert.sources),
        "score": alert.score,
        "hits": _hits(alert.hits),
    }
    if alert.lead_url:
        data["lead_url"] = alert.lead_url
    if alert.min_sources > 1:
        data["min_sources"] = alert.min_sources
    if alert.single_source:
        data["single_source"] = True
    if alert.also:
        data["also"] = [_fired(f) for f in alert.also]
    if alert.casualties.figures():
        data["casualties"] = alert.casualties.as_json()
    if alert.update is not None:
        u = alert.update
        data["update"] = {"number": u.number, "of_title": u.of_title,
                          "of_sent_at": u.of_sent_at, "changes": list(u.changes),
                          "thread": u.thread}
    return json.dumps(data, ensure_ascii=False)


def _fired(f: Fired) -> dict[str, Any]:
    data = {"watchlist": f.watchlist, "rule": f.rule, "priority": f.priority,
            "terms": list(f.terms), "score": f.score, "hits": _hits(f.hits), "url": f.url}
    if f.min_sources > 1:
        data["min_sources"] = f.min_sources
    return data


def _update_from(data: dict[str, Any] | None) -> Update | None:
    if not data:
        return None
    return Update(int(data["number"]), data["of_title"], float(data["of_sent_at"]),
                  tuple(data.get("changes", ())), data.get("thread", ""))


def alert_from_json(text: str) -> Alert:
    data: dict[str, Any] = json.loads(text)
    published = data.get("published")
    snippet = data.get("snippet") or {}
    return Alert(
        watchlist=data["watchlist"],
        rule=data["rule"],
        priority=data["priority"],
        title=data["title"],
        url=data["url"],
        source=data["source"],
        published=datetime.fromisoformat(published) if published else None,
        snippet=Snippet(snippet.get("text", ""),
                        tuple((int(a), int(b)) for a, b in snippet.get("marks", []))),
        terms=tuple(data.get("terms", ())),
        sources=tuple(data.get("sources", ())),
        score=data.get("score"),
        hits=_hits_from(data.get("hits", ())),
        lead_url=data.get("lead_url", ""),
        min_sources=int(data.get("min_sources", 1)),
        single_source=bool(data.get("single_source", False)),
        update=_update_from(data.get("update")),
        casualties=Casualties.from_json(data.get("casualties")),
        also=tuple(Fired(f["watchlist"], f["rule"], f["priority"], tuple(f.get("terms", ())),
                         f.get("score"), _hits_from(f.get("hits", ())), f.get("url", ""),
                         int(f.get("min_sources", 1)))
                   for f in data.get("also", ())),
    )

"""Alerts to and from JSON, so the outbox keeps what is needed to render them later."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.records import Alert, Hit, Snippet


def alert_to_json(alert: Alert) -> str:
    return json.dumps({
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
        "hits": [[h.term, h.field, h.start, h.end, h.concept] for h in alert.hits],
    }, ensure_ascii=False)


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
        hits=tuple(Hit(term, field, int(start), int(end), concept)
                   for term, field, start, end, concept in data.get("hits", ())),
    )

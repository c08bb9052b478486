"""The records of casualty figures, as the reader (casualties.py) makes them and alerts,
the outbox and webhooks carry them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

KINDS = ("killed", "injured", "kidnapped", "displaced")
QUALIFIERS = ("", "at least", "more than", "up to", "about")
MAX_FIGURE_TEXT = 200  # characters of the words a figure quotes
MAX_STORED_COUNT = 50_000_000  # as numbers.MAX_COUNT: the most a stored row may hold


@dataclass(frozen=True)
class Figure:
    """One count of one kind, with how sure the article is of it."""

    kind: str  # "killed" | "injured" | "kidnapped" | "displaced"
    count: int
    qualifier: str  # "" (exact) | "at least" | "more than" | "up to" | "about"
    text: str  # the words it was read from, as written

    def __str__(self) -> str:
        return f"{self.qualifier} {self.count:,} {self.kind}".strip()

    def minimum(self) -> int:
        """The count the words prove, for a rule's `min_killed`: "more than 10" proves 11,
        "about 30" is taken as 30 (reporters round), "up to 40" proves nothing (0)."""
        if self.qualifier == "up to":
            return 0
        return self.count + 1 if self.qualifier == "more than" else self.count


@dataclass(frozen=True)
class Casualties:
    """The figures an article gives for its own event; None where it gives none."""

    killed: Figure | None = None
    injured: Figure | None = None
    kidnapped: Figure | None = None
    displaced: Figure | None = None

    def figures(self) -> tuple[Figure, ...]:
        """The figures present, in the order killed, injured, kidnapped, displaced."""
        return tuple(f for f in (getattr(self, k.name) for k in fields(self)) if f is not None)

    def get(self, kind: str) -> Figure | None:
        return getattr(self, kind, None) if kind in KINDS else None

    def __str__(self) -> str:
        return ", ".join(str(f) for f in self.figures())

    def as_json(self) -> dict[str, dict[str, Any]]:
        """{kind: {count, qualifier, text}} for the kinds present: the webhook's and the
        outbox's shape."""
        return {f.kind: {"count": f.count, "qualifier": f.qualifier, "text": f.text}
                for f in self.figures()}

    @classmethod
    def from_json(cls, data: Any) -> Casualties:
        """The inverse of as_json; what is not a well-formed figure is left out (a row
        written by another version must still load)."""
        if not isinstance(data, dict):
            return cls()
        read: dict[str, Figure] = {}
        for kind in KINDS:
            item = data.get(kind)
            if not isinstance(item, dict):
                continue
            count, qualifier, text = item.get("count"), item.get("qualifier", ""), \
                item.get("text", "")
            if (isinstance(count, int) and not isinstance(count, bool)
                    and 0 < count <= MAX_STORED_COUNT and qualifier in QUALIFIERS
                    and isinstance(text, str)):
                read[kind] = Figure(kind, count, qualifier, text[:MAX_FIGURE_TEXT])
        return cls(**read)

"""`min_killed`, `min_injured`, `min_kidnapped`, `min_displaced`: on a rule, and on a
watchlist as the default of its rules (a rule's own value wins; 0 on a rule drops the
watchlist's minimum), like `notify`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from monitor.facts import Minimums
from monitor.facts.numbers import MAX_COUNT

Least = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]


class CasualtyMinimums(BaseModel):
    """The keys, shared by rules and watchlists (settings.RuleConfig, WatchlistFile)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_killed: Least | None = Field(
        None, description="fire only when the article reports at least this many killed "
                          "in its own event (\"up to N\" proves none; 0: no minimum)")
    min_injured: Least | None = Field(
        None, description="fire only when the article reports at least this many injured")
    min_kidnapped: Least | None = Field(
        None, description="fire only when the article reports at least this many kidnapped, "
                          "abducted or taken hostage")
    min_displaced: Least | None = Field(
        None, description="fire only when the article reports at least this many displaced "
                          "or fled")


def minimums(rule: CasualtyMinimums, watchlist: CasualtyMinimums | None = None) -> Minimums:
    """The rule's minimums, each taken from the watchlist where the rule sets none."""
    def least(name: str) -> int:
        own = getattr(rule, name)
        if own is None and watchlist is not None:
            own = getattr(watchlist, name)
        return own or 0
    return Minimums(least("min_killed"), least("min_injured"), least("min_kidnapped"),
                    least("min_displaced"))

"""A rule's casualty minimums (`min_killed: 10`, `min_injured`, …) and the test of an
article's figures against them.

What a figure proves is Figure.minimum: "at least 32" proves 32, "more than 10" proves 11,
"about 30" is taken as 30, and "up to 40" proves nothing, so it never meets a minimum. An
article that gives no figure of a kind does not meet a minimum of that kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.facts.casualties import KINDS, Casualties


@dataclass(frozen=True, slots=True)
class Minimums:
    """The least count of each kind a rule asks for; 0: no minimum of that kind."""

    killed: int = 0
    injured: int = 0
    kidnapped: int = 0
    displaced: int = 0

    def __bool__(self) -> bool:
        return any(self.asked())

    def asked(self) -> tuple[tuple[str, int], ...]:
        """(kind, minimum) of the kinds with a minimum, in the order of KINDS."""
        return tuple((kind, getattr(self, kind)) for kind in KINDS if getattr(self, kind))

    def met_by(self, figures: Casualties) -> bool:
        """Whether every minimum asked for is proven by the article's figure of its kind."""
        for kind, least in self.asked():
            figure = figures.get(kind)
            if figure is None or figure.minimum() < least:
                return False
        return True

    def describe(self) -> str:
        """"at least 10 killed, 5 injured": what `test` shows of a rule that asked."""
        return ", ".join(f"{least} {kind}" for kind, least in self.asked())

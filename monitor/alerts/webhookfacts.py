"""The facts part of a webhook alert: the casualty figures its article gives.

Kept apart from webhook.py (the document and its delivery) so that each fact the pipeline
learns to read adds a model here, not to the channel."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.facts import Casualties, Figure


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookFigure(_Model):
    """One casualty figure as the article gives it."""

    count: int = Field(ge=1, description="the number read (\"at least 32\" gives 32)")
    qualifier: Literal["", "at least", "more than", "up to", "about"] = Field(
        description="how sure the article is: \"\" exact, \"at least\" (also no fewer than, "
                    "a range's lower bound), \"more than\" (over), \"up to\" (as many as), "
                    "\"about\" (around, nearly, some)")
    text: str = Field(description="the words it was read from, as written (untrusted)")


class WebhookCasualties(_Model):
    """The figures the article gives for its own event (not historical totals nor other
    events'); a kind it gives none of is null."""

    killed: WebhookFigure | None = None
    injured: WebhookFigure | None = None
    kidnapped: WebhookFigure | None = Field(None, description="kidnapped, abducted, taken "
                                                              "hostage")
    displaced: WebhookFigure | None = Field(None, description="displaced, fled, uprooted")


def webhook_casualties(figures: Casualties) -> WebhookCasualties:
    def one(figure: Figure | None) -> WebhookFigure | None:
        if figure is None:
            return None
        return WebhookFigure(count=figure.count, qualifier=figure.qualifier,  # type: ignore[arg-type]
                             text=figure.text)
    return WebhookCasualties(killed=one(figures.killed), injured=one(figures.injured),
                             kidnapped=one(figures.kidnapped),
                             displaced=one(figures.displaced))

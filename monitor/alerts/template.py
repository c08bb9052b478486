"""Message templates: the Jinja2 files that lay messages out, shipped or the operator's own.

The layout lives in templates (monitor/alerts/templates/, overridable per channel by a file,
see load_template); the escaping lives in views.py. One template renders a single alert (a
batch of one with heading "") and a batch (a digest, a burst, a quiet-hours summary). Every
render runs in a bounded sandbox (bounds.py): at most RENDER_SECONDS and MESSAGE_MAX
characters, with no huge values on the way.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
)

from monitor.alerts.bounds import BoundedEnvironment, TemplateBoundError, render_bounded
from monitor.alerts.snippets import make_snippet
from monitor.alerts.views import ESCAPERS, FILTERS, Kind, Style, alert_view, oneline
from monitor.records import Alert, Hit

_TEMPLATE_FILES: dict[Kind, str] = {
    "slack": "slack.md.j2",
    "mrkdwn": "slack.md.j2",
    "email": "email.html.j2",
    "email_text": "email.txt.j2",
    "text": "plain.txt.j2",
}
# Alerts shown in one batch message at most; the rest are counted ("… and 12 more"). Slack
# cuts messages at about 40,000 characters (Apprise at 35,000): 20 compact blocks stay far below.
BATCH_SHOWN: dict[Kind, int] = {
    "slack": 20,
    "mrkdwn": 20,
    "email": 100,
    "email_text": 100,
    "text": 100,
}
TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def _environment(kind: Kind) -> BoundedEnvironment:
    return BoundedEnvironment(
        filters={**FILTERS[kind], "oneline": oneline},
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=kind == "email",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class MessageTemplate:
    """A compiled message template for one kind of target; renders one alert or a batch.

    The template gets `alerts` (AlertView list, at most BATCH_SHOWN), `alert` (the first of
    them), `heading` (escaped; "" for a single alert), `more` (alerts not shown), `total`,
    and `raw_heading`. Output is stripped of leading and trailing blank lines.

    render() raises TemplateBoundError when the template runs past the time or size bound,
    and whatever else the template raises (an undefined name, a sandbox refusal).
    """

    def __init__(self, kind: Kind, template: Template, name: str) -> None:
        self.kind = kind
        self.name = name
        self._template = template

    def render(self, alerts: Sequence[Alert], heading: str = "") -> str:
        if not alerts:
            raise ValueError("nothing to render: no alerts")
        shown = [alert_view(self.kind, alert) for alert in alerts[: BATCH_SHOWN[self.kind]]]
        text = render_bounded(
            self._template,
            {
                "alerts": shown,
                "alert": shown[0],
                "heading": ESCAPERS[self.kind].line(heading),
                "raw_heading": heading,
                "more": len(alerts) - len(shown),
                "total": len(alerts),
            },
        )
        return text.strip("\n")


@cache
def default_template(kind: Kind) -> MessageTemplate:
    """The template shipped in monitor/alerts/templates/ for a style (or "mrkdwn")."""
    name = _TEMPLATE_FILES[kind]
    return MessageTemplate(kind, _environment(kind).get_template(name), name)


def _error_line(exc: BaseException, filename: str) -> int | None:
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def load_template(path: Path, style: Style) -> MessageTemplate:
    """A user's template file for a channel of `style`, compiled and tried on sample alerts.

    Raises ValueError naming the file and, where Jinja knows it, the line ("path:3: ...") when
    the file cannot be read, does not compile, fails to render a single alert or a batch, or
    exceeds the time or size bound doing so.
    """
    path = Path(path)
    env = _environment(style).overlay(loader=FileSystemLoader(path.parent))
    try:
        compiled = env.get_template(path.name)
    except TemplateNotFound:
        raise ValueError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read template: {exc}") from None
    except TemplateSyntaxError as exc:
        raise ValueError(f"{path}:{exc.lineno}: {exc.message}") from None
    template = MessageTemplate(style, compiled, str(path))
    try:
        template.render([sample_alert()])
        template.render([sample_alert(), sample_alert()], "2 alerts in the last 30 s")
    except Exception as exc:  # any template failure: undefined name, sandbox, bad filter use
        line = _error_line(exc, compiled.filename or str(path))
        where = f"{path}:{line}" if line else str(path)
        what = str(exc) if isinstance(exc, TemplateBoundError) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"{where}: {what}") from None
    return template


def sample_alert(published: datetime | None = None) -> Alert:
    """A realistic alert for `news-monitor send-test CHANNEL` and for trying templates.

    published defaults to now (UTC, whole minutes), so the test message reads as current.
    """
    text = (
        "DAMASCUS - The Syrian army said on Monday it had repelled an offensive by armed "
        "opposition groups in south-western Aleppo, after a week of heavy fighting and "
        "airstrikes around the Ramouseh district."
    )
    words = ("offensive", "Aleppo", "fighting")
    spans = [(text.index(word), text.index(word) + len(word)) for word in words]
    # Hits and a score too, so a webhook receiver tried with send-test sees their shape.
    hits = tuple(Hit(word, "text", start, end, *(("Aleppo", "place") if word == "Aleppo"
                                                 else (None, None)))
                 for word, (start, end) in zip(words, spans, strict=True))
    when = published or datetime.now(UTC).replace(second=0, microsecond=0)
    return Alert(
        watchlist="syria-conflict",
        rule="Fighting in Aleppo",
        priority="high",
        title="Syrian army repel armed opposition's advance in Aleppo (news-monitor test)",
        url="https://example.org/world/middle-east/aleppo-offensive",
        source="news-monitor send-test",
        published=when,
        snippet=make_snippet(text, spans),
        terms=words,
        score=3.0,
        hits=hits,
    )

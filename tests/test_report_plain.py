"""`news-monitor test` prints each fired rule's message without Jinja2 (report.plain_block):
it must be exactly what the console channel's shipped template (plain.txt.j2) renders for
the same alert, whatever the feed put in it."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.alerts import make_snippet, plain_text, sample_alert
from monitor.facts.figures import Casualties, Figure
from monitor.records import Alert, Fired, Hit, Snippet, Update
from monitor.report import plain_block

_PIECES = st.sampled_from(
    [*"ab Z9<>&!@#*_~`|\\[]()\n\r\t\x1b\x00\u202e:.,-'é", "<!channel>", "@here", "@everyone"]
    + ["<@123>", "{{ x }}", "{% if %}", "word", "  ", "…", "حلب"]
)
_TEXT = st.lists(_PIECES, max_size=12).map("".join)
_PRIORITY = st.sampled_from(["urgent", "high", "normal", "low"])


@st.composite
def _fired(draw: st.DrawFn) -> Fired:
    return Fired(
        draw(_TEXT), draw(_TEXT), draw(_PRIORITY), tuple(draw(st.lists(_TEXT, max_size=3)))
    )


@st.composite
def _alerts(draw: st.DrawFn) -> Alert:
    text = draw(_TEXT)
    spans = draw(st.lists(st.tuples(st.integers(-1, 40), st.integers(-1, 40)), max_size=3))
    events = draw(st.lists(st.sampled_from(["airstrike", "shelling", "abduction"]), max_size=3))
    figures = draw(
        st.lists(st.sampled_from(["killed", "injured", "kidnapped"]), max_size=3, unique=True)
    )
    update = draw(
        st.none()
        | st.builds(
            Update,
            st.integers(1, 3),
            _TEXT,
            st.floats(0, 2e9),
            st.lists(_TEXT, max_size=2).map(tuple),
        )
    )
    sources = draw(st.lists(_TEXT, max_size=3))
    return Alert(
        watchlist=draw(_TEXT),
        rule=draw(_TEXT),
        priority=draw(_PRIORITY),
        title=draw(_TEXT),
        url=draw(
            st.sampled_from(
                ["", "https://e.org/a?b=1&c=2", "http://x/<a>|b d", "javascript:alert(1)"]
            )
        ),
        source=draw(_TEXT),
        published=draw(st.none() | st.just(datetime(2016, 8, 22, 14, 5, tzinfo=UTC))),
        snippet=draw(
            st.just(Snippet(text, tuple(spans)))
            | st.just(make_snippet(text, [(0, min(3, len(text)))]))
        ),
        terms=tuple(draw(st.lists(_TEXT, max_size=3))),
        sources=tuple(sources),
        outlets=tuple(draw(st.sampled_from(["a.org", "b.org", ""])) for _ in sources),
        hits=tuple(Hit(e, "text", 0, 1, e, "event") for e in events),
        also=tuple(draw(st.lists(_fired(), max_size=3))),
        single_source=draw(st.booleans()),
        min_sources=draw(st.integers(1, 3)),
        update=update,
        casualties=Casualties(**{k: Figure(k, 3, "at least", "") for k in figures}),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_alerts())
def test_the_block_test_prints_is_what_the_console_template_renders(alert: Alert) -> None:
    assert plain_block(alert) == plain_text(alert)


def test_the_sample_alert_and_one_with_many_rules_print_as_the_template_renders() -> None:
    sample = sample_alert(datetime(2016, 8, 22, 14, 5, tzinfo=UTC))
    many = Alert(
        **{f: getattr(sample, f) for f in Alert.__slots__ if f != "also"},
        also=tuple(Fired("w", f"rule {i}", "low", ("x",)) for i in range(30)),
    )
    for alert in (sample, many):
        assert plain_block(alert) == plain_text(alert)
    assert "… and 11 more" in plain_block(many)  # 31 rules, 20 shown

"""Rendering alerts: snippets, and escaping for Slack, email and the terminal."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from apprise.plugins.slack import NotifySlack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.alerts import make_snippet, plain_text
from monitor.alerts.render import (
    batch_subject,
    email_html,
    email_subject,
    email_text,
    safe_url,
    slack_markdown,
    slack_text,
)
from monitor.records import Alert, Snippet

TITLE = "Syrian army repel armed opposition's advance in Aleppo"
TEXT = (
    "DAMASCUS - The Syrian army said on Monday it had repelled an offensive by armed "
    "opposition groups in south-western Aleppo, after a week of heavy fighting and "
    "airstrikes around the Ramouseh district."
)
HOSTILE = "<!channel> <script>alert(1)</script> <@U123ABC> @here &"
FORBIDDEN_IN_SLACK = ("<!channel", "<!here", "<!everyone", "<@U", "<#C", "<script", "<!subteam")


def spans_of(text: str, *words: str) -> list[tuple[int, int]]:
    pattern = "|".join(re.escape(word) for word in words)
    return [m.span() for m in re.finditer(pattern, text)]


def make_alert(**changes: object) -> Alert:
    alert = Alert(
        watchlist="syria-conflict",
        rule="Fighting in Aleppo",
        priority="high",
        title=TITLE,
        url="https://example.org/world/aleppo?id=1&lang=en",
        source="Local sample",
        published=datetime(2016, 8, 22, 14, 5, 33, tzinfo=UTC),
        snippet=make_snippet(TEXT, spans_of(TEXT, "Aleppo", "offensive")),
        terms=("Aleppo", "offensive"),
    )
    return replace(alert, **changes)


def marked(snippet: Snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


# -- snippets ---------------------------------------------------------------------------------


def test_short_text_is_kept_whole_with_its_marks() -> None:
    snippet = make_snippet(TEXT, spans_of(TEXT, "Aleppo", "offensive"))
    assert snippet.text == TEXT
    assert marked(snippet) == ["offensive", "Aleppo"]


def test_window_holds_the_most_hits_and_cuts_at_words() -> None:
    filler = "Nothing of note happened in the capital that day, officials said. " * 6
    dense = "Shelling hit Aleppo overnight and an airstrike on Aleppo killed four people. "
    text = "Aleppo was calm. " + filler + dense + filler
    snippet = make_snippet(text, spans_of(text, "Aleppo", "airstrike", "Shelling"), width=120)
    assert marked(snippet) == ["Shelling", "Aleppo", "airstrike", "Aleppo"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    inner = snippet.text[1:-1]
    assert inner in text  # cut between words: no half word at either end
    start = text.index(inner)
    assert text[start - 1] == " " and text[start + len(inner)] == " "
    assert len(snippet.text) <= 122


def test_ties_go_to_the_first_hit() -> None:
    filler = "word " * 100
    text = "Aleppo " + filler + "Aleppo " + filler
    snippet = make_snippet(text, spans_of(text, "Aleppo"), width=60)
    assert snippet.text.startswith("Aleppo")
    assert snippet.marks == ((0, 6),)


def test_whitespace_collapses_and_marks_follow() -> None:
    text = "Fighting\n\n  in\t\tAleppo \r\n continues"
    snippet = make_snippet(text, spans_of(text, "Aleppo", "continues"))
    assert snippet.text == "Fighting in Aleppo continues"
    assert marked(snippet) == ["Aleppo", "continues"]


def test_overlapping_spans_merge_and_bad_spans_are_ignored() -> None:
    text = "the air strike on Aleppo"
    snippet = make_snippet(text, [(4, 10), (8, 14), (-5, -1), (30, 40), (7, 7)])
    assert marked(snippet) == ["air strike"]


def test_no_hits_gives_the_beginning() -> None:
    text = "word " * 200
    snippet = make_snippet(text, [], width=50)
    assert snippet.text.startswith("word") and snippet.text.endswith("…")
    assert snippet.marks == ()


def test_hit_longer_than_the_window_is_clipped() -> None:
    text = "x " * 20 + "a" * 100 + " y" * 20
    snippet = make_snippet(text, [(40, 140)], width=30)
    assert all(snippet.text[s:e] == "a" * (e - s) for s, e in snippet.marks)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(alphabet="ab \n\t\x1b.-", max_size=400),
    st.lists(st.tuples(st.integers(-5, 420), st.integers(-5, 420)), max_size=6),
    st.integers(1, 300),
)
def test_snippet_marks_are_valid_and_point_at_the_hit_words(
    text: str, spans: list[tuple[int, int]], width: int
) -> None:
    snippet = make_snippet(text, spans, width=width)
    previous_end = -1
    for start, end in snippet.marks:
        assert 0 <= start < end <= len(snippet.text)
        assert start > previous_end  # sorted, merged, not touching
        previous_end = end
        assert snippet.text[start:end].strip() == snippet.text[start:end]
    assert "\x1b" not in snippet.text and "\n" not in snippet.text and "  " not in snippet.text


# -- Slack ------------------------------------------------------------------------------------


def test_slack_text_layout() -> None:
    lines = slack_text(make_alert()).split("\n")
    assert lines[0] == (
        "🔴 *<https://example.org/world/aleppo?id=1&amp;lang=en|"
        "Syrian army repel armed opposition's advance in Aleppo>*"
    )
    assert lines[1] == "Rule: *Fighting in Aleppo* · watchlist: syria-conflict · priority: high"
    assert lines[2] == "Source: Local sample (1 source) · 2016-08-22 14:05 UTC"
    assert lines[3].startswith("> ")
    assert "*offensive*" in lines[3] and "*Aleppo*" in lines[3]


def test_slack_without_linkable_url_shows_bold_title_and_no_link() -> None:
    for url in ("", "javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"):
        first = slack_text(make_alert(url=url)).split("\n")[0]
        assert first == f"🔴 *{TITLE}*"


def test_slack_names_every_source_and_unknown_time() -> None:
    text = slack_text(make_alert(sources=("Local sample", "BBC"), published=None))
    assert "Sources: Local sample, BBC (2 outlets, 2 independent) · time unknown" in text


def test_slack_text_neutralises_hostile_title() -> None:
    text = slack_text(make_alert(title=HOSTILE + " *bold* _it_ ~s~ `code` a|b"))
    for needle in FORBIDDEN_IN_SLACK:
        assert needle not in text
    assert "&lt;script&gt;" in text and "&amp;" in text
    assert "@\u200bhere" in text
    first = text.split("\n")[0]
    # The title cannot open or close bold, italics, code or end the link text.
    title_part = first[first.index("|") + 1 : -2]
    assert not set(title_part) & set("*_~`|<>")


def test_slack_bare_mentions_get_a_zero_width_space() -> None:
    text = slack_text(make_alert(title="ping @channel @everyone @here, mail a@b.org"))
    for word in ("channel", "everyone", "here"):
        assert f"@\u200b{word}" in text
    assert "a@b.org" in text


def test_slack_snippet_is_escaped_too() -> None:
    snippet = Snippet("say <!here> & <@U1> near Aleppo", ((len("say <!here> & <@U1> near "), 31),))
    text = slack_text(make_alert(snippet=snippet))
    quote = text.split("\n")[-1]
    assert quote.startswith("> ") and "*Aleppo*" in quote
    for needle in FORBIDDEN_IN_SLACK:
        assert needle not in quote


_PIECES = st.sampled_from(
    [*"ab Z9<>&!@#*_~`|\\[]()\n\x1b:.,-'é", "<!channel>", "@here", "&amp;", "**", "](<", ">)"]
    + ["<http://x.y>", "# ", "> ", "- ", "```", "word"]
)
_TEXT = st.lists(_PIECES, max_size=20).map("".join)


@st.composite
def _alerts(draw: st.DrawFn) -> Alert:
    text = draw(_TEXT)
    spans = draw(st.lists(st.tuples(st.integers(-1, 60), st.integers(-1, 60)), max_size=3))
    url = draw(st.sampled_from(["", "https://e.org/a?b=1&c=2", "http://x/<a>|b\\c d", "ftp://x"]))
    return make_alert(
        title=draw(_TEXT),
        rule=draw(_TEXT),
        watchlist=draw(_TEXT),
        source=draw(_TEXT),
        url=url,
        snippet=Snippet(text, tuple(spans)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_alerts())
def test_apprise_turns_slack_markdown_into_exactly_slack_text(alert: Alert) -> None:
    """The channel sends slack_markdown() declared as MARKDOWN; Apprise's own converter must
    produce the mrkdwn we meant (slack_text), whatever the feed put in the alert."""
    expected = slack_text(alert)
    assert NotifySlack._commonmark_to_slack(slack_markdown(alert)) == expected
    for needle in FORBIDDEN_IN_SLACK:
        assert needle not in expected


# -- email ------------------------------------------------------------------------------------


def test_email_subject_format() -> None:
    assert email_subject(make_alert()) == f"[Fighting in Aleppo] {TITLE}"
    assert email_subject(make_alert()).startswith("[Fighting in Aleppo] Syrian army repel")


def test_email_subject_is_one_line_and_trimmed() -> None:
    subject = email_subject(make_alert(title="Evil\r\nBcc: victim@example.org\x00\t  title"))
    assert subject == "[Fighting in Aleppo] Evil Bcc: victim@example.org title"
    long = email_subject(make_alert(title="word " * 100))
    assert len(long) == 200 and long.endswith("…") and "\n" not in long


def test_email_html_escapes_everything_from_the_feed() -> None:
    alert = make_alert(
        title="<script>alert(1)</script> \"quoted\" & 'single'",
        source="<b>Bad source</b>",
        snippet=Snippet("<img src=x onerror=alert(1)> near Aleppo", ((34, 40),)),
    )
    body = email_html(alert)
    assert "<script" not in body and "<img" not in body and "<b>Bad" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#x27;single&#x27;" in (
        body
    )
    assert '<a href="https://example.org/world/aleppo?id=1&amp;lang=en">' in body
    assert "<mark><b>Aleppo</b></mark>" in body
    assert "HIGH" in body and "Fighting in Aleppo" in body and "syria-conflict" in body
    assert "2016-08-22 14:05 UTC" in body


def test_email_html_links_only_http_urls() -> None:
    body = email_html(make_alert(url='javascript:alert("x")'))
    assert "href" not in body
    assert "javascript:alert(&quot;x&quot;)" in body  # shown as text, never as a link
    quoted = email_html(make_alert(url='https://e.org/a"onmouseover="x'))
    assert 'href="https://e.org/a%22onmouseover=%22x"' in quoted


def test_email_text_marks_words_with_double_asterisks() -> None:
    text = email_text(make_alert())
    assert "**offensive**" in text and "**Aleppo**" in text
    assert TITLE in text and "https://example.org/world/aleppo?id=1&lang=en" in text
    assert "Source: Local sample (1 source) · 2016-08-22 14:05 UTC" in text


def test_time_is_shown_in_utc() -> None:
    cest = timezone(timedelta(hours=2))
    text = email_text(make_alert(published=datetime(2016, 8, 22, 16, 5, tzinfo=cest)))
    assert "2016-08-22 14:05 UTC" in text
    naive = email_text(make_alert(published=datetime(2016, 8, 22, 14, 5)))
    assert "2016-08-22 14:05 UTC" in naive


# -- console ----------------------------------------------------------------------------------


def test_plain_text_layout() -> None:
    assert plain_text(make_alert()).split("\n") == [
        "[high] Fighting in Aleppo (syria-conflict)",
        f"  {TITLE}",
        "  https://example.org/world/aleppo?id=1&lang=en",
        "  source: Local sample (1 source) · 2016-08-22 14:05 UTC",
        f"  {TEXT.replace('offensive', '[offensive]').replace('Aleppo', '[Aleppo]')}",
    ]


def test_plain_text_strips_terminal_escapes() -> None:
    title = "\x1b[2J\x1b]0;owned\x07Breaking\x9b31m \u202eevil\r\nnext"
    text = plain_text(make_alert(title=title, snippet=Snippet("\x1b[31mred\x1b[0m", ())))
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert "Breaking" in text and "next" in text
    assert len(text.split("\n")) == 5


def test_plain_text_defuses_group_mentions() -> None:
    text = plain_text(make_alert(title="@everyone look <@123> at a@b.org"))
    assert "@\u200beveryone" in text and "<\u200b@123>" in text and "a@b.org" in text


def test_plain_text_defuses_matrix_and_zulip_group_mentions() -> None:
    text = plain_text(make_alert(title="@room and @**all**, mail desk@room.org"))
    assert "@\u200broom" in text and "@\u200b**all**" in text and "desk@room.org" in text


def test_subjects_and_titles_ping_nobody() -> None:
    subject = email_subject(make_alert(title="@everyone <!channel> <@&42> @here a@b.org"))
    assert subject == (
        "[Fighting in Aleppo] @\u200beveryone <\u200b!channel> <\u200b@&42> @\u200bhere a@b.org"
    )
    assert batch_subject("Digest for <@U123> @channel", 2) == (
        "Digest for <\u200b@U123> @\u200bchannel"
    )


def test_email_defuses_mentions_too() -> None:
    alert = make_alert(title="<!channel> @everyone", snippet=Snippet("@here near Aleppo", ()))
    assert "&lt;\u200b!channel&gt; @\u200beveryone" in email_html(alert)
    assert "@\u200bhere near Aleppo" in email_html(alert)
    assert "<\u200b!channel> @\u200beveryone" in email_text(alert)


def test_safe_url() -> None:
    assert safe_url("https://e.org/a b|c<d>") == "https://e.org/a%20b%7Cc%3Cd%3E"
    assert safe_url("HTTP://e.org/") == "http://e.org/"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https:///nohost") is None
    assert safe_url("http://e.org\x1b/x") == "http://e.org/x"
    assert safe_url("http://e.o\nrg/\tx") == "http://e.org/x"
    assert safe_url("https://bbc.co.uk@evil.example/") is None


def _normalise_by_character(text: str) -> tuple[str, list[int]]:
    """The plain definition: one character at a time."""
    from monitor.alerts.escape import DROP_RE
    out: list[str] = []
    offsets: list[int] = []
    after_space = True
    for ch in text:
        offsets.append(len(out))
        if ch.isspace():
            if not after_space:
                out.append(" ")
            after_space = True
        elif not DROP_RE.match(ch):
            out.append(ch)
            after_space = False
    offsets.append(len(out))
    if out and out[-1] == " ":
        out.pop()
    return "".join(out), offsets


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é\t\n\r\x00\x1c\x1f\x7f\x85\xa0\u2028"
                                             "\u202a\u2066\u3000")), max_size=60))
def test_snippet_text_is_flattened_as_character_by_character(text):
    from monitor.alerts.snippets import _normalise
    assert _normalise(text) == _normalise_by_character(text)

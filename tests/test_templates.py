"""Message templates: batches in every style, user templates from files, and escaping that a
user template cannot undo. Real local targets, as in test_channels.py."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from apprise.plugins.slack import NotifySlack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from monitor.alerts import DeliveryError, make_channel, sample_alert
from monitor.alerts.channels import AppriseChannel
from monitor.alerts.render import (
    batch_subject,
    email_batch_html,
    load_template,
    plain_batch,
    plain_text,
    slack_batch_markdown,
    slack_batch_text,
    slack_markdown,
    slack_text,
)
from monitor.records import Alert, Snippet
from tests.conftest import Inbox
from tests.test_channels import (
    FORBIDDEN,
    HOSTILE,
    SLACK_HOOK_PATH,
    SLACK_URL,
    mail_url,
    make_alert,
    received_json,
)

HEADING = "Digest: 3 alerts since 08:00 UTC"


def received_text(raw: str) -> str:
    return json.loads(raw)["attachments"][0]["text"]


def alerts(count: int = 3) -> list[Alert]:
    return [
        make_alert(title=f"Story {n} near Aleppo", url=f"https://example.org/{n}")
        for n in range(1, count + 1)
    ]


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def slack_channel(receiver: HTTPServer, template: Path | None = None) -> AppriseChannel:
    channel = make_channel("ops", SLACK_URL, template=template)
    assert isinstance(channel, AppriseChannel)
    channel.service.webhook_url = receiver.url_for("/services")
    return channel


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- batches in each style --------------------------------------------------------------------


def test_slack_batch_is_heading_then_compact_blocks() -> None:
    text = slack_batch_text(alerts(), HEADING)
    blocks = text.split("\n\n")
    assert blocks[0] == f"*{HEADING}*"
    assert len(blocks) == 4
    assert blocks[1].split("\n") == [
        "🔴 *<https://example.org/1|Story 1 near Aleppo>*",
        "Fighting in Aleppo · syria-conflict · Local sample · 2016-08-22 14:05 UTC",
        "> The army said it repelled an *offensive* near *Aleppo* after days of shelling.",
    ]
    assert NotifySlack._commonmark_to_slack(slack_batch_markdown(alerts(), HEADING)) == text


def test_slack_batch_is_capped() -> None:
    text = slack_batch_text(alerts(25), "25 alerts in the last 30 s")
    assert "Story 20 near" in text and "Story 21 near" not in text
    assert text.endswith("\n\n… and 5 more")
    assert len(text) < 35000


_TEXT = st.lists(
    st.sampled_from([*"ab Z<>&!@#*_~`|\\[]()\n\x1b:.-", "<!channel>", "@here", "**", "](<"]),
    max_size=15,
).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=3), _TEXT)
def test_apprise_turns_slack_batch_markdown_into_exactly_the_mrkdwn(
    fields: list[tuple[str, str]], heading: str
) -> None:
    batch = [
        make_alert(title=title, source=source, snippet=Snippet(title + " " + source, ((0, 2),)))
        for title, source in fields
    ]
    expected = slack_batch_text(batch, heading)
    assert NotifySlack._commonmark_to_slack(slack_batch_markdown(batch, heading)) == expected
    for needle in FORBIDDEN:
        assert needle not in expected


def test_email_batch_html_has_a_section_per_alert() -> None:
    batch = [*alerts(2), make_alert(title="<script>x</script>", url="javascript:alert(1)")]
    body = email_batch_html(batch, HEADING)
    assert f"<h1>{HEADING}</h1>" in body
    assert body.count("<hr>") == 3 and body.count("<h2>") == 3
    assert '<h2><a href="https://example.org/2">Story 2 near Aleppo</a></h2>' in body
    assert "<script" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert body.count("<mark><b>Aleppo</b></mark>") == 3


def test_batch_subject_is_one_line() -> None:
    assert batch_subject("Digest\r\nBcc: victim@example.org", 3) == "Digest Bcc: victim@example.org"
    assert batch_subject("", 3) == "3 alerts"
    assert len(batch_subject("x" * 500, 3)) == 200


def test_plain_batch_is_heading_then_each_plain_block() -> None:
    batch = alerts()
    assert plain_batch(batch, HEADING) == "\n\n".join(
        [HEADING, *(plain_text(alert) for alert in batch)]
    )


def test_console_batch_and_single(tmp_path: Path) -> None:
    stream = io.StringIO()
    channel = make_channel("console", "console://", stream=stream)
    run(channel.send_batch(alerts(2), "2 alerts in the last 30 s\x1b[2J"))
    out = stream.getvalue()
    assert out.startswith("2 alerts in the last 30 s[2J\n\n[high] Fighting in Aleppo")
    assert out.endswith("\n\n") and "\x1b" not in out
    with pytest.raises(DeliveryError, match="empty batch"):
        run(channel.send_batch([], HEADING))


# -- send-test --------------------------------------------------------------------------------


def test_sample_alert_is_the_aleppo_example() -> None:
    alert = sample_alert()
    assert (alert.rule, alert.watchlist, alert.priority) == (
        "Fighting in Aleppo",
        "syria-conflict",
        "high",
    )
    marked = [alert.snippet.text[s:e] for s, e in alert.snippet.marks]
    assert marked == ["offensive", "Aleppo", "fighting"]
    assert alert.published is not None and alert.published.tzinfo is not None
    assert "*offensive*" in slack_text(alert) and "Aleppo" in alert.title


# -- user templates ---------------------------------------------------------------------------


def test_user_template_renders_single_and_batch(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.txt.j2",
        "{% if heading %}{{ heading }} ({{ total }}){% else %}single{% endif %}:\n"
        "{% for a in alerts %}- {{ a.title }} <{{ a.url }}>\n{% endfor %}",
    )
    stream = io.StringIO()
    channel = make_channel("console", "console://", stream=stream, template=path)
    run(channel.send(make_alert(title="One")))
    run(channel.send_batch(alerts(2), "Two alerts"))
    assert stream.getvalue() == (
        "single:\n- One <https://example.org/world/aleppo?id=1&lang=en>\n\n"
        "Two alerts (2):\n- Story 1 near Aleppo <https://example.org/1>\n"
        "- Story 2 near Aleppo <https://example.org/2>\n\n"
    )


def test_user_slack_template_cannot_make_a_hostile_title_live(
    receiver: HTTPServer, tmp_path: Path
) -> None:
    receiver.expect_request(SLACK_HOOK_PATH, method="POST").respond_with_data("ok")
    path = write(tmp_path, "slack.md.j2", "Alert: {{ alert.title }} {{ heading }}\n")
    channel = slack_channel(receiver, path)
    hostile = make_alert(title=HOSTILE)
    run(channel.send(hostile))
    run(channel.send_batch([hostile, make_alert()], f"Burst {HOSTILE}"))
    assert len(receiver.log) == 2
    for request, _ in receiver.log:
        raw = request.get_data(as_text=True)
        text = received_text(raw)
        for needle in FORBIDDEN:
            assert needle not in raw and needle not in text
        assert "&lt;\u200b!channel&gt;" in text and "&lt;script&gt;" in text
        assert "@\u200bhere" in text


def test_default_slack_template_batch_through_apprise(receiver: HTTPServer) -> None:
    receiver.expect_request(SLACK_HOOK_PATH, method="POST").respond_with_data("ok")
    batch = [*alerts(2), make_alert(title=HOSTILE)]
    run(slack_channel(receiver).send_batch(batch, HEADING))
    payload, raw = received_json(receiver)
    assert payload["attachments"][0]["text"] == slack_batch_text(batch, HEADING)
    for needle in FORBIDDEN:
        assert needle not in raw


def test_user_html_template_autoescapes_even_raw_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mail.html.j2",
        "<p>{{ alert.title }}|{{ alert.raw_alert.title }}|{{ alert.raw_alert.title | html }}</p>",
    )
    template = load_template(path, "email")
    body = template.render([make_alert(title="<b>x</b> 'q'")])
    assert body == (
        "<p>&lt;b&gt;x&lt;/b&gt; &#x27;q&#x27;|&lt;b&gt;x&lt;/b&gt; &#39;q&#39;|"
        "&lt;b&gt;x&lt;/b&gt; &#x27;q&#x27;</p>"
    )


def test_raw_values_need_the_style_filter(tmp_path: Path) -> None:
    path = write(tmp_path, "s.md.j2", "{{ alert.raw_alert.title | slack }} {{ raw_heading }}")
    text = load_template(path, "slack").render([make_alert(title=HOSTILE)], "")
    assert "<!channel" not in text and "\\<script\\>" in text


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ok\n{% if heading %}\nno end\n", 3, "Unexpected end of template"),
        ("line one\n\n{{ alert.title | nosuchfilter }}", 3, "nosuchfilter"),
        ("fine\n{{ alert.nosuchfield }}\n", 2, "nosuchfield"),
        ("{{ alert.raw_alert.__class__.__mro__ }}", 1, "__class__"),
    ],
)
def test_broken_template_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, "broken.j2", text)
    with pytest.raises(ValueError, match=message) as caught:
        make_channel("ops", SLACK_URL, template=path)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_missing_template_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.j2"
    with pytest.raises(ValueError, match="not found") as caught:
        make_channel("console", "console://", template=path)
    assert str(path) in str(caught.value)


def test_default_templates_render_what_the_functions_render() -> None:
    alert = sample_alert()
    assert NotifySlack._commonmark_to_slack(slack_markdown(alert)) == slack_text(alert)
    assert slack_batch_text([alert], "") == slack_text(alert)


# -- email batch through a real SMTP server ---------------------------------------------------


def test_email_batch_is_one_message_with_heading_subject(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    batch = [*alerts(3), replace(make_alert(), title="Quiet-hours <story>")]
    run(make_channel("desk", mail_url(port)).send_batch(batch, "Quiet hours: 4 alerts\r\nBcc: x"))
    (message,) = inbox.messages
    assert message["Subject"] == "Quiet hours: 4 alerts Bcc: x"
    assert message["Bcc"] is None
    html_part = message.get_body(preferencelist=("html",)).get_content()
    for title in ("Story 1 near Aleppo", "Story 2 near Aleppo", "Story 3 near Aleppo"):
        assert title in html_part
    assert "Quiet-hours &lt;story&gt;" in html_part
    text_part = message.get_body(preferencelist=("plain",)).get_content()
    assert "Story 3 near Aleppo" in text_part

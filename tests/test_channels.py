"""Channels against real local targets: aiosmtpd for email, an HTTP receiver for Slack,
Mattermost and JSON webhooks, a closed port for a target that is down."""

from __future__ import annotations

import asyncio
import io
import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from monitor.alerts import DeliveryError, channel_style, make_channel, plain_text, redact_url
from monitor.alerts.channels import AppriseChannel, ConsoleChannel
from monitor.alerts.render import headline, slack_markdown, slack_text
from monitor.records import Alert, Snippet
from tests.bounded import finishes
from tests.conftest import Inbox, free_port

SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#alerts"
SLACK_HOOK_PATH = "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
HOSTILE = "<!channel> <script>alert(1)</script> <@U123ABC> @here &"
FORBIDDEN = ("<!channel", "<!here", "<@U", "<script")
# Mentions in every chat's syntax: Slack, Discord (users, roles, @everyone), Matrix, Zulip.
PINGS = "<!channel> <!here> <@U123ABC> <@123456> <@&987> <#C42> @everyone @here @room @**all**"
LIVE_PINGS = ("<!", "<@", "<#", "@everyone", "@here", "@room", "@**all")
DISCORD_URL = "discord://123456789012345678/AbCdEf_Token-123"
DISCORD_HOOK_PATH = "/api/webhooks/123456789012345678/AbCdEf_Token-123"


def make_alert(**changes: object) -> Alert:
    text = "The army said it repelled an offensive near Aleppo after days of shelling."
    alert = Alert(
        watchlist="syria-conflict",
        rule="Fighting in Aleppo",
        priority="high",
        title="Syrian army repel armed opposition's advance in Aleppo",
        url="https://example.org/world/aleppo?id=1&lang=en",
        source="Local sample",
        published=datetime(2016, 8, 22, 14, 5, tzinfo=UTC),
        snippet=Snippet(
            text,
            (
                (text.index("offensive"), text.index("offensive") + 9),
                (text.index("Aleppo"), text.index("Aleppo") + 6),
            ),
        ),
        terms=("offensive", "Aleppo"),
    )
    return replace(alert, **changes)


def send(channel: object, alert: Alert) -> None:
    asyncio.run(channel.send(alert))  # type: ignore[attr-defined]


def mail_url(port: int, credentials: str = "") -> str:
    return f"mailto://{credentials}127.0.0.1:{port}?from=monitor@example.org&to=desk@example.org"


def received_json(server: HTTPServer) -> tuple[dict, str]:
    assert len(server.log) == 1, server.log
    raw = server.log[0][0].get_data(as_text=True)
    return json.loads(raw), raw


# -- email ------------------------------------------------------------------------------------


def test_email_is_multipart_with_subject_html_and_plain(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    send(make_channel("desk", mail_url(port)), make_alert())
    (message,) = inbox.messages
    assert message["Subject"] == (
        "[Fighting in Aleppo] Syrian army repel armed opposition's advance in Aleppo"
    )
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    html_part, text_part = parts["text/html"], parts["text/plain"]
    assert '<a href="https://example.org/world/aleppo?id=1&amp;lang=en">' in html_part
    assert "armed opposition&#x27;s advance" in html_part
    assert "<mark><b>offensive</b></mark>" in html_part
    # Apprise derives the plain part from the HTML: it still carries the facts and the link.
    for fact in (
        "Fighting in Aleppo",
        "syria-conflict",
        "Local sample",
        "2016-08-22 14:05 UTC",
        "https://example.org/world/aleppo?id=1&lang=en",
        "offensive near Aleppo",
    ):
        assert fact in text_part


def test_email_hostile_title_is_escaped_and_flattened(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    title = "<script>alert(1)</script>\r\nBcc: victim@example.org"
    send(make_channel("desk", mail_url(port)), make_alert(title=title))
    (message,) = inbox.messages
    assert message["Subject"] == (
        "[Fighting in Aleppo] <script>alert(1)</script> Bcc: victim@example.org"
    )
    assert message["Bcc"] is None
    html_part = message.get_body(preferencelist=("html",)).get_content()
    assert "<script" not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.org" in html_part


# -- Slack-like chat --------------------------------------------------------------------------


def slack_channel(receiver: HTTPServer) -> AppriseChannel:
    """The real Apprise Slack plugin, its hard-coded webhook host pointed at our receiver."""
    channel = make_channel("ops", SLACK_URL)
    assert isinstance(channel, AppriseChannel)
    channel.service.webhook_url = receiver.url_for("/services")
    return channel


def test_slack_payload_is_mrkdwn_with_bold_link_and_snippet(receiver: HTTPServer) -> None:
    receiver.expect_request(SLACK_HOOK_PATH, method="POST").respond_with_data("ok")
    alert = make_alert()
    send(slack_channel(receiver), alert)
    payload, _ = received_json(receiver)
    assert payload["mrkdwn"] is True and payload["channel"] == "#alerts"
    text = payload["attachments"][0]["text"]
    assert text == slack_text(alert)
    assert text.startswith(
        "🔴 *<https://example.org/world/aleppo?id=1&amp;lang=en|"
        "Syrian army repel armed opposition's advance in Aleppo>*\n"
    )
    assert "\n> The army said it repelled an *offensive* near *Aleppo*" in text


def test_slack_hostile_title_arrives_inert(receiver: HTTPServer) -> None:
    receiver.expect_request(SLACK_HOOK_PATH, method="POST").respond_with_data("ok")
    snippet = Snippet(f"{HOSTILE} near Aleppo", ())
    alert = make_alert(title=HOSTILE, snippet=snippet, sources=("Local sample", "<!here>"))
    send(slack_channel(receiver), alert)
    payload, raw = received_json(receiver)
    text = payload["attachments"][0]["text"]
    for needle in FORBIDDEN:
        assert needle not in raw and needle not in text
    assert "@\u200bhere" in text and "&lt;script&gt;" in text
    assert text == slack_text(alert)


def test_slack_rejection_raises_without_tokens(receiver: HTTPServer) -> None:
    receiver.expect_request(SLACK_HOOK_PATH, method="POST").respond_with_data(
        "invalid_token", status=403
    )
    with pytest.raises(DeliveryError) as caught:
        send(slack_channel(receiver), make_alert())
    reason = str(caught.value)
    assert reason.startswith("ops: failure") and "403" in reason
    for token in ("A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7"):
        assert token not in reason


def test_mattermost_gets_the_commonmark_form(receiver: HTTPServer) -> None:
    receiver.expect_request("/hooks/abcdefghijkl", method="POST").respond_with_data("ok")
    alert = make_alert(title=HOSTILE)
    url = f"mmost://127.0.0.1:{receiver.port}/abcdefghijkl"
    assert channel_style(url) == "slack"
    send(make_channel("mm", url), alert)
    payload, raw = received_json(receiver)
    text = payload["text"]
    assert text == slack_markdown(alert) and text.startswith("🔴 **[")
    # Mattermost renders CommonMark and never raw HTML: "\<script\>" shows as text.
    assert "\\<script\\>" in text
    for needle in ("<!channel", "<!here", "<@U"):
        assert needle not in raw
    assert "@\u200bhere" in text


# -- generic webhooks -------------------------------------------------------------------------


def assert_inert(text: str) -> None:
    for needle in LIVE_PINGS:
        assert needle not in text, (needle, text)
    assert "<\u200b@123456>" in text and "@\u200beveryone" in text


def test_json_webhook_title_and_message_ping_nobody(receiver: HTTPServer) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    channel = make_channel("hook", f"json://127.0.0.1:{receiver.port}/hook")
    alert = make_alert(title=PINGS, snippet=Snippet(f"{PINGS} near Aleppo", ()))
    send(channel, alert)
    asyncio.run(channel.send_batch([alert, alert], f"Burst {PINGS}"))
    for request, _ in receiver.log:
        payload = json.loads(request.get_data(as_text=True))
        assert_inert(payload["title"])
        assert_inert(payload["message"])


def discord_channel(receiver: HTTPServer, url: str) -> AppriseChannel:
    """The real Apprise Discord plugin (as the channel adjusts it), its webhook base URL
    pointed at our receiver."""
    channel = make_channel("chat", url)
    assert isinstance(channel, AppriseChannel)
    channel.service.notify_url = receiver.url_for("/api/webhooks")
    return channel


@pytest.mark.parametrize(
    "url",
    [
        DISCORD_URL,
        f"{DISCORD_URL}?format=markdown",  # embeds: Apprise would look for pings in the body
        "https://discord.com/api/webhooks/123456789012345678/AbCdEf_Token-123",
    ],
)
def test_discord_pings_nobody(receiver: HTTPServer, url: str) -> None:
    receiver.expect_request(DISCORD_HOOK_PATH, method="POST").respond_with_data("", status=204)
    alert = make_alert(title=PINGS, snippet=Snippet(f"{PINGS} near Aleppo", ()))
    send(discord_channel(receiver, url), alert)
    payload, raw = received_json(receiver)
    assert payload["allowed_mentions"] == {"parse": []}
    assert "allow_mentions" not in payload and "\U0001f449" not in raw  # no "👉 <@…>" line
    text = payload.get("content") or payload["embeds"][0]["title"] + "\n" + json.dumps(
        payload["embeds"][0], ensure_ascii=False
    )
    assert_inert(text)


def test_discord_pings_whom_the_ping_parameter_names(receiver: HTTPServer) -> None:
    receiver.expect_request(DISCORD_HOOK_PATH, method="POST").respond_with_data("", status=204)
    send(discord_channel(receiver, f"{DISCORD_URL}?ping=@12345,@here"), make_alert(title=PINGS))
    payload, _ = received_json(receiver)
    assert payload["allowed_mentions"] == {"parse": ["everyone"], "users": ["12345"]}
    assert payload["content"].endswith("\U0001f449 @here <@12345>")



def test_json_webhook_gets_title_and_plain_message(receiver: HTTPServer) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    alert = make_alert()
    send(make_channel("hook", f"json://127.0.0.1:{receiver.port}/hook"), alert)
    payload, _ = received_json(receiver)
    assert (
        payload["title"]
        == headline(alert)
        == ("[Fighting in Aleppo] Syrian army repel armed opposition's advance in Aleppo")
    )
    assert payload["message"] == plain_text(alert)
    assert "[offensive]" in payload["message"]


def test_channel_keeps_its_apprise_instance_and_pacing(receiver: HTTPServer) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    channel = make_channel("hook", f"json://127.0.0.1:{receiver.port}/hook")
    assert isinstance(channel, AppriseChannel)
    service = channel.service
    service.request_rate_per_sec = 0.3  # json:// has none; give it one we can measure
    started = time.monotonic()
    send(channel, make_alert())
    send(channel, make_alert())
    assert channel.service is service
    # a lower bound only: the second send waited for the pace; a busy machine only adds
    assert time.monotonic() - started >= 0.3
    assert len(receiver.log) == 2


# -- failures ---------------------------------------------------------------------------------


def test_email_target_down_is_a_delivery_error_without_the_password() -> None:
    """A refused connection ends the send with one error (nothing here retries): the
    ceiling only catches a send that would keep trying."""
    channel = make_channel("desk", mail_url(free_port(), credentials="user:s3cret@"))
    with pytest.raises(DeliveryError) as caught:
        finishes(lambda: send(channel, make_alert()))
    reason = str(caught.value)
    assert reason.startswith("desk: failure") and "s3cret" not in reason
    assert "\n" not in reason and len(reason) < 250


def test_webhook_target_down_fails_without_secrets() -> None:
    url = f"json://user:s3cret@127.0.0.1:{free_port()}/hook?+X-Api-Key=k3yvalue"
    with pytest.raises(DeliveryError) as caught:
        send(make_channel("hook", url), make_alert())
    reason = str(caught.value)
    assert "s3cret" not in reason and "k3yvalue" not in reason


def test_webhook_error_status_is_a_delivery_error(receiver: HTTPServer) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("boom", status=500)
    with pytest.raises(DeliveryError, match="500"):
        send(make_channel("hook", f"json://127.0.0.1:{receiver.port}/hook"), make_alert())


def test_unusable_url_is_a_value_error_without_secrets() -> None:
    with pytest.raises(ValueError, match="'bad'") as caught:
        make_channel("bad", "nosuchservice://user:s3cret@host/token")
    assert "s3cret" not in str(caught.value)
    with pytest.raises(ValueError):
        make_channel("bad", "slack://not-enough-tokens")


# -- console, styles, redaction ---------------------------------------------------------------


def test_console_prints_plain_text_and_a_blank_line() -> None:
    stream = io.StringIO()
    channel = make_channel("console", "console://", stream=stream)
    assert isinstance(channel, ConsoleChannel)
    alert = make_alert(title="\x1b[2JBreaking")
    send(channel, alert)
    assert stream.getvalue() == plain_text(alert) + "\n\n"
    assert "\x1b" not in stream.getvalue()


def test_console_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    send(make_channel("console", "console://"), make_alert())
    assert capsys.readouterr().out.startswith("[high] Fighting in Aleppo (syria-conflict)\n")


def test_channel_style_by_scheme() -> None:
    assert channel_style(SLACK_URL) == "slack"
    assert channel_style("mmosts://host/token") == "slack"
    assert channel_style("mailtos://u:p@smtp.example.org?to=a@b.org") == "email"
    assert channel_style("MAILTO://host") == "email"
    assert channel_style("json://host/hook") == "text"
    assert channel_style("console://") == "text"
    assert channel_style("not a url") == "text"


def test_redact_url() -> None:
    assert "s3cret" not in redact_url("mailtos://user:s3cret@smtp.example.org?to=a@b.org")
    assert redact_url("mailtos://user:s3cret@smtp.example.org?to=a@b.org").startswith(
        "mailtos://user:****@smtp.example.org"
    )
    slack = redact_url(SLACK_URL)
    assert slack.startswith("slack://") and "TIiajkdnlazkcOXrIdevi7" not in slack
    assert "k3y" not in redact_url("json://host/hook?+Authorization=Bearer%20k3y")
    assert redact_url("nosuchservice://user:s3cret@host") == "nosuchservice://***"
    assert redact_url("console://") == "console://"

"""Email threading against a real SMTP server (aiosmtpd): a story's first mail on a channel
carries the story's thread id as its own Message-ID, and its updates reply to that id, so mail
clients show them under it. Apprise builds the mails; news-monitor sets the Message-ID."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from email import message_from_string, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st

from monitor.alerts import DeliveryError, make_channel
from monitor.alerts.channels import AppriseChannel
from monitor.alerts.mail import mail_thread, with_message_id
from monitor.records import Update
from monitor.stories import thread_id
from tests.conftest import Inbox, free_port
from tests.test_channels import make_alert

FIRST = make_alert(story="story-1")
UPDATE = replace(FIRST, update=Update(number=1, of_title=FIRST.title, of_sent_at=0.0,
                                      changes=("3 more independent outlets",)))


class Envelopes(Inbox):
    """Keeps each mail with the recipients its envelope named; refuses `refuse`."""

    def __init__(self, refuse: str = "") -> None:
        super().__init__()
        self.recipients: list[list[str]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.recipients.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox() -> Envelopes:
    box = Envelopes()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


def url(port: int, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"from": "monitor@example.org",
                                              "to": "desk@example.org", **extra}.items())
    return f"mailto://127.0.0.1:{port}?{query}"


def deliver(channel: object, *alerts, heading: str = "") -> None:
    if len(alerts) == 1 and not heading:
        asyncio.run(channel.send(alerts[0]))  # type: ignore[attr-defined]
    else:
        asyncio.run(channel.send_batch(list(alerts), heading))  # type: ignore[attr-defined]


def test_an_update_replies_to_the_first_mails_own_message_id(inbox: Envelopes) -> None:
    channel = make_channel("desk", url(inbox.port))
    deliver(channel, FIRST)
    deliver(channel, UPDATE)
    first, update = inbox.messages
    root = thread_id("story-1", "desk")
    assert first["Message-ID"] == root
    assert update["In-Reply-To"] == root and update["References"] == root
    assert update["Message-ID"] and update["Message-ID"] != root
    assert len(first.get_all("Message-ID")) == 1 and len(update.get_all("Message-ID")) == 1


def test_a_resent_first_mail_keeps_the_same_message_id(inbox: Envelopes) -> None:
    """The outbox may send a mail twice after a crash; both copies carry one id, which mail
    stores fold into one."""
    channel = make_channel("desk", url(inbox.port))
    deliver(channel, FIRST)
    deliver(channel, FIRST)
    assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"]


def test_a_digest_keeps_its_own_id_and_references_each_storys_thread(inbox: Envelopes) -> None:
    channel = make_channel("desk", url(inbox.port))
    other = make_alert(story="story-2", title="Shelling in Idlib")
    deliver(channel, FIRST, other, heading="2 alerts")
    (digest,) = inbox.messages
    threads = {thread_id("story-1", "desk"), thread_id("story-2", "desk")}
    assert set(digest["References"].split()) == threads
    assert digest["Message-ID"] not in threads and digest["In-Reply-To"] is None


def test_every_recipient_gets_the_mail_with_one_id_and_bcc_stays_hidden(
        inbox: Envelopes) -> None:
    channel = make_channel("desk", url(inbox.port, to="desk@example.org,chief@example.org",
                                      cc="cc@example.org", bcc="hidden@example.org"))
    deliver(channel, FIRST)
    assert len(inbox.messages) == 2  # Apprise builds one mail per To address
    assert {m["Message-ID"] for m in inbox.messages} == {thread_id("story-1", "desk")}
    assert all(m["Bcc"] is None for m in inbox.messages)
    named = {a for rcpts in inbox.recipients for a in rcpts}
    assert {"desk@example.org", "chief@example.org", "cc@example.org",
            "hidden@example.org"} <= named


def test_a_refused_recipient_is_a_delivery_error(inbox: Envelopes) -> None:
    inbox.refuse = "desk@example.org"
    channel = make_channel("desk", url(inbox.port))
    with pytest.raises(DeliveryError, match="desk: failure"):
        deliver(channel, FIRST)


def test_the_mail_keeps_the_urls_own_headers(inbox: Envelopes) -> None:
    channel = make_channel("desk", url(inbox.port) + "&+X-Desk=syria")
    deliver(channel, UPDATE)
    (mail,) = inbox.messages
    assert mail["X-Desk"] == "syria" and mail["In-Reply-To"] == thread_id("story-1", "desk")


def test_without_its_own_sender_apprise_sends_with_the_thread_in_references(
        inbox: Envelopes) -> None:
    """The fallback for an Apprise that lacks the parts mail.py uses."""
    channel = make_channel("desk", url(inbox.port))
    assert isinstance(channel, AppriseChannel)
    channel._mailer = None
    deliver(channel, FIRST)
    deliver(channel, UPDATE)
    first, update = inbox.messages
    root = thread_id("story-1", "desk")
    assert first["References"] == root and first["Message-ID"] != root
    assert update["In-Reply-To"] == root


def test_the_thread_of_a_mail_without_a_story_is_empty() -> None:
    thread = mail_thread([make_alert()], "desk")
    assert (thread.message_id, thread.in_reply_to, thread.references) == (None, None, ())


_NAMES = st.from_regex(r"X-[A-Za-z]{1,12}", fullmatch=True)
_VALUES = st.from_regex(r"[ -~]{0,60}", fullmatch=True)


@given(headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=8),
       body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
       had_id=st.booleans())
def test_with_message_id_sets_exactly_one_id_and_keeps_the_rest(headers, body, had_id) -> None:
    mail = EmailMessage()
    for name, value in headers:
        mail[name] = value
    if had_id:
        mail["Message-ID"] = "<random.123@host>"
    mail.set_content(body)
    raw = mail.as_string()
    out = with_message_id(raw, "<story-abc@news-monitor>")
    parsed = message_from_string(out, policy=policy.default)
    assert parsed.get_all("Message-ID") == ["<story-abc@news-monitor>"]
    head, rest = out.split("\n\n", 1)
    raw_head, raw_rest = raw.split("\n\n", 1)
    assert rest == raw_rest

    def others(block: str) -> list[str]:
        return [line for line in block.splitlines() if not line.startswith("Message-ID:")]
    assert others(head) == others(raw_head)

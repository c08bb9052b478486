"""Email threading: a story's updates reply to the mail that first told a channel about it.

Mail clients thread a reply under its parent by the parent's own Message-ID (In-Reply-To,
References; RFC 5322 section 3.6.4). Apprise's email plugin gives every mail a fresh random
Message-ID and offers no way to set or read it, so a reply could only name an id no mail
carries. This module therefore sends email channels' mails itself, with Apprise's own parts
(its message builder, `NotifyEmail.prepare_emails`, and its SMTP session,
`AppriseSMTPController`, so every mailto:// URL form, TLS mode, login, Cc/Bcc, display name
and PGP setting means what it means to Apprise) and one difference: the Message-ID.

- The first alert of a story on a channel, sent alone, carries the story's thread id there
  (`stories.thread_id`: the same for every replica and every retry, so a mail re-sent after
  a crash has the id of the first copy, and mail stores fold the two).
- An update replies to it: In-Reply-To and References name the thread id.
- A mail carrying several stories (a digest, a burst) keeps a fresh id of its own and names
  each story's thread in References, which clients that thread by references group with the
  story's later mails.

When the installed Apprise lacks those parts (a future version may rename them), the
channel falls back to Apprise's own send with the thread headers alone: updates still share
the References id but do not reply to the first mail's own id.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from apprise import NotifyFormat

from monitor.records import Alert
from monitor.stories import thread_id

MAX_REFERENCES = 20  # thread ids named in one digest's References
_HEADER_END = re.compile(r"\r?\n\r?\n")
_MESSAGE_ID = re.compile(r"^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*",  # with folded lines
                         re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MailThread:
    """Where one mail sits in its stories' threads."""

    message_id: str | None  # None: a fresh id of its own
    in_reply_to: str | None
    references: tuple[str, ...]

    def headers(self) -> dict[str, str]:
        out = {}
        if self.references:
            out["References"] = " ".join(self.references)
        if self.in_reply_to:
            out["In-Reply-To"] = self.in_reply_to
        return out


def mail_thread(alerts: Sequence[Alert], channel: str) -> MailThread:
    """The thread headers of the mail that carries `alerts` on `channel`."""
    threads = tuple(dict.fromkeys(thread_id(a.story, channel) for a in alerts if a.story))
    if len(alerts) != 1 or not threads:
        return MailThread(None, None, threads[:MAX_REFERENCES])
    if alerts[0].update is None:
        return MailThread(threads[0], None, ())
    return MailThread(None, threads[0], threads)


def with_message_id(raw: str, message_id: str) -> str:
    """`raw` (a whole mail as Apprise built it) with its Message-ID header set to
    `message_id`; the header is added when Apprise wrote none."""
    end = _HEADER_END.search(raw)
    cut = end.start() if end else len(raw)
    head, rest = raw[:cut], raw[cut:]
    line = f"Message-ID: {message_id}"
    head, found = _MESSAGE_ID.subn(line.replace("\\", "\\\\"), head, count=1)
    if not found:
        head = f"{head}\n{line}" if head else line
    return head + rest


def own_sender(service: Any) -> ThreadedMailer | None:
    """A sender for `service` when it is Apprise's plain email plugin and the installed
    Apprise has the parts this module uses; None otherwise (Apprise sends, as it does)."""
    try:
        from apprise.plugins.email.base import NotifyEmail
        from apprise.plugins.email.smtp import AppriseSMTPController
    except ImportError:
        return None
    if type(service) is not NotifyEmail or not callable(getattr(NotifyEmail, "prepare_emails",
                                                                None)):
        return None
    needed = ("targets", "from_addr", "smtp_host", "port", "secure_mode", "headers",
              "socket_connect_timeout", "verify_certificate", "resolve_format")
    if not all(hasattr(service, name) for name in needed):
        return None
    return ThreadedMailer(service, NotifyEmail, AppriseSMTPController)


class ThreadedMailer:
    """Sends one rendered mail to every recipient of one email plugin instance."""

    def __init__(self, service: Any, plugin: Any, controller: Any) -> None:
        self._service = service
        self._plugin = plugin
        self._controller = controller

    def send(self, subject: str, body: str, body_format: NotifyFormat, thread: MailThread,
             timeout: float) -> tuple[bool, str]:
        """Blocking; returns (every recipient accepted, short reason). Never raises."""
        from apprise.conversion.format import convert_between

        s = self._service
        fmt = s.resolve_format(body_format)
        if fmt != body_format:
            body = convert_between(body_format, fmt, body)
        headers = {"X-Application": getattr(s, "app_id", "Apprise"), **s.headers,
                   **thread.headers()}
        message_id = thread.message_id
        if message_id is None:
            domain = s.smtp_host or s.from_addr[1].rpartition("@")[2] or "news-monitor"
            message_id = make_msgid(domain=domain)
        if callable(getattr(s, "throttle", None)):
            s.throttle()
        try:
            with self._controller(
                host=s.smtp_host, port=s.port, secure_mode=s.secure_mode,
                user=getattr(s, "user", None), password=getattr(s, "password", None),
                verify_certificate=s.verify_certificate,
                socket_connect_timeout=min(float(s.socket_connect_timeout), timeout),
            ) as smtp:
                return self._each(smtp, subject, body, fmt, headers, message_id)
        except (OSError, smtplib.SMTPException, RuntimeError, ValueError) as exc:
            where = f"{s.smtp_host}:{s.port}"
            return False, f"failure: cannot send mail via {where}: {type(exc).__name__}"
        except Exception as exc:  # Apprise's own exceptions (configuration, PGP)
            return False, f"failure: {type(exc).__name__}: {exc}"

    def _each(self, smtp: Any, subject: str, body: str, fmt: NotifyFormat,
              headers: dict[str, str], message_id: str) -> tuple[bool, str]:
        s = self._service
        refused: list[str] = []
        for message in self._plugin.prepare_emails(
            subject=subject, body=body, notify_format=fmt, from_addr=s.from_addr,
            to=s.targets, cc=getattr(s, "cc", None), bcc=getattr(s, "bcc", None),
            reply_to=getattr(s, "reply_to", None), smtp_host=s.smtp_host, attach=None,
            headers=headers, names=getattr(s, "names", None), pgp=getattr(s, "pgp", None),
            pgp_mode=getattr(s, "pgp_mode", None) or "no",
            inline=getattr(s, "inline", False), tzinfo=getattr(s, "tzinfo", None),
        ):
            raw = with_message_id(message.body, message_id)
            if not smtp.sendmail(s.from_addr[1], message.to_addrs, raw):
                refused.append(message.recipient)
        if refused:
            return False, f"failure: the SMTP server refused {len(refused)} recipient(s)"
        return True, ""

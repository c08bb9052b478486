"""Apprise plugins, adjusted where Apprise would let an untrusted message ping people.

Message text is defused before it gets here (a zero-width space after "<" and "@" in every
mention); this is the second lock, on the target itself, for what might slip through.

Discord: Apprise 2.3 sends no allowed_mentions (it writes "allow_mentions", a key Discord
ignores), so Discord pings every <@id>, <@&role>, @everyone and @here in the content, and
in embed mode (format=markdown) Apprise even adds a ping for each mention it finds in the
body. _QuietDiscord never looks for mentions in the body and sends allowed_mentions on every
post: nobody ({"parse": []}), or exactly the users and roles the operator named with the
URL's ping= parameter. It is a subclass built from the URL Apprise parsed, so Apprise's
registry of plugins is left as it is.
"""

from __future__ import annotations

from typing import Any

import apprise
from apprise import AppriseAsset
from apprise.plugins.base import NotifyBase
from apprise.plugins.discord import NotifyDiscord


class _QuietDiscord(NotifyDiscord):
    """Discord that pings only whom ping= names (see the module docstring)."""

    def ping_payload(self, *args: str) -> dict[str, Any]:
        """Pings from the operator's ping= only, never from the message body."""
        return super().ping_payload(" ".join(self.ping)) if self.ping else {}

    def _send(self, payload: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
        payload["allowed_mentions"] = _allowed(payload.pop("allow_mentions", None) or {})
        return super()._send(payload, *args, **kwargs)


def _allowed(asked: dict[str, list[str]]) -> dict[str, list[str]]:
    """Discord's allowed_mentions for what ping= asked: @everyone and @here are both the
    "everyone" kind to Discord; named users and roles are listed by id."""
    allowed = {"parse": ["everyone"] if {"everyone", "here"} & set(asked.get("parse", ())) else []}
    allowed.update({kind: ids for kind in ("users", "roles") if (ids := asked.get(kind))})
    return allowed


def service_for(url: str, asset: AppriseAsset) -> NotifyBase | None:
    """The Apprise plugin for a URL (None when Apprise cannot use it), Discord made quiet.

    A native https://discord.com/api/webhooks/… URL is Discord too: the quiet plugin is
    built from the discord:// form Apprise gives back.
    """
    service = apprise.Apprise.instantiate(url, asset=asset)
    if type(service) is not NotifyDiscord:
        return service
    results = _QuietDiscord.parse_url(service.url(privacy=False))
    if not results:
        return None
    results["asset"] = asset
    return _QuietDiscord(**results)

"""Alerts: render an Alert for each kind of target and deliver it through a channel.

render.py is the way in to the pure text functions (Slack, email, plain) and the Jinja2
templates (templates/) that lay messages out; the modules behind it each do one job (escaping,
snippets, views, templates, messages). channels.py sends one alert or a batch through the
console or Apprise. The outbox worker (outbox.py) decides when to send and retries.

The names below are imported from their module when first used (PEP 562): Apprise and
requests, which channels.py needs, cost a third of a second of CPU to import, and
`news-monitor test` (snippets, plain text) must not pay for them (bench/startup.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.alerts.channels import (
        Channel,
        DeliveryError,
        channel_style,
        make_channel,
        redact_url,
    )
    from monitor.alerts.render import make_snippet, plain_text, sample_alert

_WHERE = {
    "Channel": "channels",
    "DeliveryError": "channels",
    "channel_style": "channels",
    "make_channel": "channels",
    "redact_url": "channels",
    "make_snippet": "snippets",
    "plain_text": "render",
    "sample_alert": "render",
}

__all__ = [
    "Channel",
    "DeliveryError",
    "channel_style",
    "make_channel",
    "make_snippet",
    "plain_text",
    "redact_url",
    "sample_alert",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

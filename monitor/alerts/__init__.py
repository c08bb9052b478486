"""Alerts: render an Alert for each kind of target and deliver it through a channel.

render.py is the way in to the pure text functions (Slack, email, plain) and the Jinja2
templates (templates/) that lay messages out; the modules behind it each do one job (escaping,
snippets, views, templates, messages). channels.py sends one alert or a batch through the
console or Apprise. The outbox worker (outbox.py) decides when to send and retries.
"""

from monitor.alerts.channels import Channel, DeliveryError, channel_style, make_channel, redact_url
from monitor.alerts.render import make_snippet, plain_text, sample_alert

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

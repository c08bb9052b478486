"""Turn alerts into the text each kind of target shows: the one way in to rendering.

Pure functions, no I/O (but reading template files). The work is split by job:
  escape.py     one piece of untrusted text for one output language (control characters,
                mentions, Slack look-alikes, HTML, linkable URLs)
  snippets.py   the excerpt around the matched words, and how each language shows it
  views.py      AlertView: an alert with every field escaped for a template's kind
  bounds.py     the bounded Jinja2 sandbox: time and size bounds on every render
  template.py   MessageTemplate, the shipped templates and load_template for an operator's own
  messages.py   the messages by name (slack_text, email_html, plain_text, …) and subjects

Titles, snippets, source names and URLs come from feeds and are untrusted. Every renderer
escapes them for its own output language, so a hostile feed cannot ping a channel, break an
email header, inject HTML or send terminal escape sequences.
"""

from monitor.alerts.bounds import MESSAGE_MAX, RENDER_SECONDS, TemplateBoundError
from monitor.alerts.escape import safe_url
from monitor.alerts.messages import (
    SUBJECT_MAX,
    batch_subject,
    email_batch_html,
    email_html,
    email_subject,
    email_text,
    headline,
    plain_batch,
    plain_text,
    slack_batch_markdown,
    slack_batch_text,
    slack_markdown,
    slack_text,
    stories_heading,
)
from monitor.alerts.snippets import make_snippet
from monitor.alerts.template import (
    BATCH_SHOWN,
    TEMPLATES_DIR,
    MessageTemplate,
    default_template,
    load_template,
    sample_alert,
)
from monitor.alerts.views import AlertView, Style, format_time

__all__ = [
    "BATCH_SHOWN",
    "MESSAGE_MAX",
    "RENDER_SECONDS",
    "SUBJECT_MAX",
    "TEMPLATES_DIR",
    "AlertView",
    "MessageTemplate",
    "Style",
    "TemplateBoundError",
    "batch_subject",
    "default_template",
    "email_batch_html",
    "email_html",
    "email_subject",
    "email_text",
    "format_time",
    "headline",
    "load_template",
    "make_snippet",
    "plain_batch",
    "plain_text",
    "safe_url",
    "sample_alert",
    "slack_batch_markdown",
    "slack_batch_text",
    "slack_markdown",
    "slack_text",
    "stories_heading",
]

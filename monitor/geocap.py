"""Alerts as CAP 1.2 (OASIS Common Alerting Protocol): `news-monitor alerts --cap` and
/feeds/alerts.cap, for emergency-management systems.

One `<alert>` per alert, its elements in the order of the CAP 1.2 schema:
- identifier: "news-monitor-" and a name-based UUID of the story, the leading rule and the
  update's number (0 for the first message), so it never changes while the alert is kept
  and a follow-up gets its own; sender: given by the caller ("news-monitor@HOST" by
  default); sent: when the alert was recorded, with "-00:00" for UTC as CAP requires (no
  "Z").
- status Actual, scope Public; msgType Alert, or Update with `<references>` naming the
  first message of the story on its channel ("sender,identifier,sent", the time it was
  delivered) when the alert follows one up (issue 17's updates: the CAP exports list each
  follow-up as a message of its own, store.feed_alerts(updates=True)).
- one `<info>`: category Security; event the leading rule's name; urgency, severity and
  certainty from the rule's priority (PRIORITY_CODES: the desk's priority for the story,
  not an assessment of the event: a news report is at best "Likely" until corroborated
  elsewhere, "Observed" only for an urgent rule); senderName; headline the title (at most
  160 characters, CAP's advice); description the snippet, the rules and the sources; web
  the article's link (http(s) only); a parameter per rule naming its watchlist.
- one `<area>` when the alert's place hits have coordinates: areaDesc their names, and a
  `<circle>` "lat,lon radius" per place: the radius of the `near:` rule that brought the
  place in, else DEFAULT_RADIUS_KM (a town's point stands for a town, not an area; for a
  country or a subdivision the point is its capital's). Without coordinates no `<area>`
  (CAP allows an info without one).

Built with lxml's element API: untrusted text is put in elements (never parsed), with the
characters XML cannot carry removed (alertfeed.xml_text), so no title can inject markup;
nothing is parsed, so there is no entity or DTD to expand.
"""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime

from lxml import etree

from monitor.geoexport import alert_places
from monitor.records import Alert, Priority

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_TYPE = "application/cap+xml"
DEFAULT_RADIUS_KM = 10.0
HEADLINE_MAX = 160
# priority -> (urgency, severity, certainty)
PRIORITY_CODES: dict[Priority, tuple[str, str, str]] = {
    "low": ("Future", "Minor", "Possible"),
    "normal": ("Expected", "Moderate", "Likely"),
    "high": ("Immediate", "Severe", "Likely"),
    "urgent": ("Immediate", "Extreme", "Observed"),
}
_NAMESPACE = uuid.UUID("0b5c8f5e-2f7e-4c4a-9b9e-3d1f6f0e8a11")  # fixed: ids survive restarts
_TEXT_MAX, _NAME_MAX = 2000, 200


def default_sender() -> str:
    """news-monitor@HOST: CAP's sender is unique to the originator, without spaces, commas
    or "<" and "&"."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in ".-") or "localhost"
    return f"news-monitor@{host}"


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: seconds, an explicit offset, "-00:00" for UTC (CAP 1.2 §3.3.2)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def identifier(story: str, watchlist: str, rule: str, update: int = 0) -> str:
    name = "\0".join(map(str, (story, watchlist, rule, update))).encode(
        "utf-8", "surrogatepass").hex()
    return f"news-monitor-{uuid.uuid5(_NAMESPACE, name)}"


def _text(value: object, limit: int = _TEXT_MAX, *, one_line: bool = True) -> str:
    from monitor.alertfeed import xml_text  # the Atom feed's cleaning; no import cycle

    return xml_text(value, limit, one_line=one_line)


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CAP}}}{tag}")
    if text is not None:
        child.text = text
    return child


def cap_alert(alert: Alert, story: str, recorded: datetime, sender: str) -> etree._Element:
    """The CAP 1.2 `<alert>` element of one alert (see the module docstring)."""
    root = etree.Element(f"{{{CAP}}}alert", nsmap={None: CAP})
    number = alert.update.number if alert.update is not None else 0
    _add(root, "identifier", identifier(story, alert.watchlist, alert.rule, number))
    _add(root, "sender", sender)
    _add(root, "sent", cap_time(recorded))
    _add(root, "status", "Actual")
    _add(root, "msgType", "Update" if alert.update is not None else "Alert")
    _add(root, "scope", "Public")
    if alert.update is not None:
        first = identifier(story, alert.watchlist, alert.rule, 0)
        sent = cap_time(datetime.fromtimestamp(alert.update.of_sent_at, UTC))
        _add(root, "references", f"{sender},{first},{sent}")
    _info(root, alert)
    return root


def _info(root: etree._Element, alert: Alert) -> None:
    info = _add(root, "info")
    _add(info, "category", "Security")
    _add(info, "event", _text(alert.rule, _NAME_MAX) or "news alert")
    urgency, severity, certainty = PRIORITY_CODES[alert.priority]
    _add(info, "urgency", urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", certainty)
    _add(info, "senderName", "news-monitor")
    _add(info, "headline", _text(alert.title, HEADLINE_MAX) or "(no title)")
    _add(info, "description", _description(alert))
    from monitor.alertfeed import _link

    link = _link(alert.url)
    if link:
        _add(info, "web", link)
    for fired in alert.rules()[:20]:
        parameter = _add(info, "parameter")
        _add(parameter, "valueName", "news-monitor:rule")
        _add(parameter, "value", _text(f"{fired.watchlist}/{fired.rule}", 2 * _NAME_MAX + 1))
    places = alert_places(alert)
    if places:
        area = _add(info, "area")
        _add(area, "areaDesc", _text(", ".join(p.name for p in places)))
        for place in places:
            point = place.point
            radius = point.radius if point.near and point.radius else DEFAULT_RADIUS_KM
            _add(area, "circle", f"{point.lat:.5f},{point.lon:.5f} {radius:g}")


def _description(alert: Alert) -> str:
    from monitor.alerts.views import corroboration_line

    lines = [_text(alert.snippet.text, _TEXT_MAX, one_line=False).strip()]
    for fired in alert.rules()[:20]:
        lines.append(f"Rule: {_text(fired.rule, _NAME_MAX)} (watchlist "
                     f"{_text(fired.watchlist, _NAME_MAX)}, priority {fired.priority})")
    names = [_text(s, _NAME_MAX) for s in alert.all_sources()[:20]]
    lines.append(f"Sources: {', '.join(n for n in names if n) or 'unknown'} "
                 f"({corroboration_line(alert)})")
    if alert.update is not None:
        changes = "; ".join(_text(c, _NAME_MAX) for c in alert.update.changes[:10])
        lines.append(f"Update {alert.update.number}: {changes}")
    return "\n".join(line for line in lines if line)


def render_cap(alert: Alert, story: str, recorded: datetime, sender: str) -> bytes:
    """One alert as a CAP 1.2 document (UTF-8, with its XML declaration)."""
    return etree.tostring(cap_alert(alert, story, recorded, sender), encoding="utf-8",
                          xml_declaration=True, pretty_print=True)


def cap_line(alert: Alert, story: str, recorded: datetime, sender: str) -> str:
    """One alert as a CAP 1.2 document on one line (`alerts --cap`: one per line, as
    `--json` prints JSON lines): the line breaks of its text written as character
    references, which XML reads back as line breaks."""
    body = etree.tostring(cap_alert(alert, story, recorded, sender), encoding="unicode")
    return body.replace("\r", "&#13;").replace("\n", "&#10;")


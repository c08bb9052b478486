"""A strict checker of CAP 1.2 messages, written from the OASIS CAP 1.2 specification
(§3.2 the element structure and order of the XML schema, §3.3 the data dictionary's
required elements, value lists and formats): the tests' stand-in for the schema, which
they do not download."""

from __future__ import annotations

import re

from lxml import etree

CAP = "urn:oasis:names:tc:emergency:cap:1.2"

# (element, least, most) in the order the schema's sequences require; None: unbounded
ALERT = [("identifier", 1, 1), ("sender", 1, 1), ("sent", 1, 1), ("status", 1, 1),
         ("msgType", 1, 1), ("source", 0, 1), ("scope", 1, 1), ("restriction", 0, 1),
         ("addresses", 0, 1), ("code", 0, None), ("note", 0, 1), ("references", 0, 1),
         ("incidents", 0, 1), ("info", 0, None)]
INFO = [("language", 0, 1), ("category", 1, None), ("event", 1, 1), ("responseType", 0, None),
        ("urgency", 1, 1), ("severity", 1, 1), ("certainty", 1, 1), ("audience", 0, 1),
        ("eventCode", 0, None), ("effective", 0, 1), ("onset", 0, 1), ("expires", 0, 1),
        ("senderName", 0, 1), ("headline", 0, 1), ("description", 0, 1),
        ("instruction", 0, 1), ("web", 0, 1), ("contact", 0, 1), ("parameter", 0, None),
        ("resource", 0, None), ("area", 0, None)]
AREA = [("areaDesc", 1, 1), ("polygon", 0, None), ("circle", 0, None), ("geocode", 0, None),
        ("altitude", 0, 1), ("ceiling", 0, 1)]
PAIR = [("valueName", 1, 1), ("value", 1, 1)]
VALUES = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
    "category": {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                 "Transport", "Infra", "CBRNE", "Other"},
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}
# CAP dateTime: explicit offset, no "Z" (§3.3.2)
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
NAME = re.compile(r"^[^\s,<&]+$")  # identifier and sender: no spaces, commas, < or &
NUMBER = r"-?\d+(?:\.\d+)?"
CIRCLE = re.compile(rf"^({NUMBER}),({NUMBER}) (\d+(?:\.\d+)?)$")


def _local(element: etree._Element) -> str:
    tag = etree.QName(element)
    assert tag.namespace == CAP, f"{tag.text} is not in the CAP 1.2 namespace"
    return tag.localname


def _sequence(parent: etree._Element, model: list[tuple[str, int, int | None]]
              ) -> dict[str, list[etree._Element]]:
    """The children of `parent` checked against the sequence `model`: order, counts, no
    element the model does not name."""
    children = list(parent)
    found: dict[str, list[etree._Element]] = {}
    i = 0
    for name, least, most in model:
        run = []
        while i < len(children) and _local(children[i]) == name:
            run.append(children[i])
            i += 1
        assert len(run) >= least, f"<{_local(parent)}> needs <{name}>"
        assert most is None or len(run) <= most, f"<{_local(parent)}> has too many <{name}>"
        found[name] = run
    assert i == len(children), (f"<{_local(children[i])}> out of order or unknown in "
                                f"<{_local(parent)}>")
    return found


def _value(elements: list[etree._Element], name: str) -> str:
    text = elements[0].text or ""
    if name in VALUES:
        assert text in VALUES[name], f"<{name}> {text!r} is not one of CAP's values"
    return text


def check_cap(alert: etree._Element) -> dict[str, object]:
    """Assert `alert` is a CAP 1.2 <alert>; return its main values for the test to compare
    (circles as (lat, lon, radius) tuples)."""
    assert _local(alert) == "alert"
    parts = _sequence(alert, ALERT)
    values: dict[str, object] = {n: _value(parts[n], n) for n in
                                 ("identifier", "sender", "sent", "status", "msgType", "scope")}
    assert NAME.match(str(values["identifier"])) and NAME.match(str(values["sender"]))
    assert TIME.match(str(values["sent"])), values["sent"]
    if values["msgType"] in ("Update", "Cancel"):
        assert parts["references"], "an Update names the messages it updates"
    for reference in (parts["references"][0].text or "").split() if parts["references"] else ():
        sender, identifier, sent = reference.split(",")
        assert NAME.match(sender) and NAME.match(identifier) and TIME.match(sent), reference
    if parts["references"]:
        values["references"] = parts["references"][0].text
    infos = []
    for info in parts["info"]:
        fields = _sequence(info, INFO)
        one: dict[str, object] = {n: _value(fields[n], n) for n in
                                  ("event", "urgency", "severity", "certainty")}
        one["category"] = [_value([c], "category") for c in fields["category"]]
        for name in ("headline", "description", "web", "senderName"):
            if fields[name]:
                one[name] = fields[name][0].text or ""
        for parameter in fields["parameter"]:
            _sequence(parameter, PAIR)
        circles = []
        for area in fields["area"]:
            shape = _sequence(area, AREA)
            assert (shape["areaDesc"][0].text or "").strip(), "an empty areaDesc"
            one.setdefault("areaDesc", shape["areaDesc"][0].text)
            for circle in shape["circle"]:
                match = CIRCLE.match(circle.text or "")
                assert match, f"circle {circle.text!r} is not 'lat,lon radius'"
                lat, lon, radius = map(float, match.groups())
                assert -90 <= lat <= 90 and -180 <= lon <= 180
                circles.append((lat, lon, radius))
        one["circles"] = circles
        infos.append(one)
    values["info"] = infos
    return values

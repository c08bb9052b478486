"""The shipped event catalog as a disk cache file (diskcache.py), and back.

Reading monitor/data/events.yaml with positions and checking each of its thousands of
phrases as a rule's term is, then expanding them into matcher Terms, costs tens of
milliseconds of every `check`, `test` and reload, for a file that only changes with the
package. What the parse gives (the entries, each with its file:line) and the Terms of each
shipped type are written once and read back as two small JSON documents.

Key. The cache format, the package's version, the source of the code that reads the file
and builds the Terms (the catalog package, monitor/match, whose term checks and plurals the
Terms come from, and the YAML reader that gives the positions), the file's path and a digest
of its bytes, and the Python version. A user's events.yaml is never cached: it is small, and
`check` must report its problems at file:line from the file as it is now.

A file that passes diskcache's checks but does not decode into entries and Terms of the
expected shape is ignored, and the shipped file is parsed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from monitor.catalog import diskcache
from monitor.catalog.eventfiles import EventEntry
from monitor.match.spec import Term

log = logging.getLogger(__name__)

KIND = "events"
FORMAT = 1
_PACKAGE = Path(__file__).parent.parent


def events_key(path: Path) -> dict[str, Any]:
    """What the cached entries and Terms of the events file at `path` depend on."""
    from monitor import __version__

    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    return {
        "format": FORMAT,
        "version": __version__,
        "code": diskcache.code_digest(
            *sorted((_PACKAGE / "match").glob("*.py")), _PACKAGE / "yamlpos.py"
        ),
        "file": str(path),
        "data": [len(data), hashlib.sha256(data).hexdigest()],
        "python": list(sys.version_info[:2]),
    }


_TERMS = "terms:"  # + a type's name: the section of that type's Terms


def read(path: Path) -> tuple[tuple[EventEntry, ...], dict[str, bytes]] | None:
    """The cached entries of the events file at `path` and, by type name, the section of
    each type's Terms (terms_from() reads one: a start decodes only those its rules name);
    None when there is no usable cache file for the file as it is now."""
    sections = diskcache.read(KIND, events_key(path))
    if sections is None:
        return None
    try:
        entries = decode_entries(sections["entries"])
    except (ValueError, KeyError, TypeError) as err:
        log.info("events cache not used (%s): parsing the file", err)
        return None
    return entries, {
        name[len(_TERMS) :]: section
        for name, section in sections.items()
        if name.startswith(_TERMS)
    }


def write(
    path: Path, entries: tuple[EventEntry, ...], terms: dict[str, tuple[Term, ...]]
) -> Path | None:
    """Write the cache for the events file at `path`; None when it cannot be written."""
    return diskcache.write(KIND, events_key(path), encode(entries, terms))


def encode(entries: tuple[EventEntry, ...], terms: dict[str, tuple[Term, ...]]) -> dict[str, bytes]:
    rows = [
        [
            e.file,
            e.line,
            e.col,
            e.name,
            list(e.aliases),
            e.event_type,
            e.sub_event_type,
            [[language, list(listed)] for language, listed in e.phrases],
            list(e.excepts),
            list(e.remove),
            e.replace,
        ]
        for e in entries
    ]
    sections = {"entries": json.dumps(rows, ensure_ascii=False).encode("utf-8")}
    for name, found in terms.items():
        if any(t.point is not None for t in found):
            raise ValueError("an event Term with a point")  # events have no coordinates
        sections[_TERMS + name] = json.dumps(
            [[t.text, t.weight, t.exact_case, t.concept, t.name, list(t.longer)] for t in found],
            ensure_ascii=False,
        ).encode("utf-8")
    return sections


def decode_entries(section: bytes) -> tuple[EventEntry, ...]:
    """The entries of an `entries` section; ValueError (or TypeError) when it does not
    hold them."""
    return tuple(_entry(row) for row in _list(json.loads(section)))


def terms_from(section: bytes) -> tuple[Term, ...]:
    """The Terms of one type's section; ValueError (or TypeError) when it does not hold
    them."""
    return tuple(_term(row) for row in _list(json.loads(section)))


def _entry(row: Any) -> EventEntry:
    (
        file,
        line,
        col,
        name,
        aliases,
        event_type,
        sub_event_type,
        phrases,
        excepts,
        remove,
        replace,
    ) = _list(row, 11)
    if not isinstance(line, int) or not isinstance(col, int) or not isinstance(replace, bool):
        raise ValueError("entry position or flag of the wrong type")
    return EventEntry(
        _text(file),
        line,
        col,
        _text(name),
        _texts(aliases),
        _text(event_type),
        _text(sub_event_type),
        tuple(
            (_text(language), _texts(listed))
            for language, listed in (_list(p, 2) for p in _list(phrases))
        ),
        _texts(excepts),
        _texts(remove),
        replace,
    )


def _term(row: Any) -> Term:
    text, weight, exact_case, concept, name, longer = _list(row, 6)
    if (
        not isinstance(weight, int | float)
        or not isinstance(exact_case, bool)
        or not isinstance(name, bool)
        or not (concept is None or isinstance(concept, str))
    ):
        raise ValueError("term field of the wrong type")
    return Term(_text(text), float(weight), exact_case, concept, name, _texts(longer))


def _list(value: Any, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise ValueError("not a list of the expected length")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(_text(v) for v in _list(value))

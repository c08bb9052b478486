"""The event catalog files (the shipped monitor/data/events.yaml and the user's events.yaml):
read, bounded and shape-checked, with file:line:col for every problem.

An entry, under the event type's canonical name:

    airstrike:
      aliases: [air strike, air raid]      # other names a rule may use for the type
      acled: {event_type: Explosions/Remote violence, sub_event_type: Air/drone strike}
      phrases:                             # what signals it in text, by language code
        en: [airstrike, air raid, warplanes struck]
        ar: [غارة جوية, غارات جوية]
      except: [air raid siren]             # longer wordings that contain a phrase and mean
                                           # something else: a hit inside one does not count
      remove: [air raid]                   # user file: phrases (or excepts) to drop
      replace: true                        # user file: start the entry over

Every phrase is checked as a watch-rule term is (monitor.match.check_term), so what the
catalog holds is what a rule could have written by hand: words matched as written, a final
`*` for a prefix, no regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.catalog.files import CatalogError, kind_of, load_mapping
from monitor.catalog.names import fold_key
from monitor.match.terms import TermError, check_term
from monitor.yamlpos import Located, Path_, Problem

# Bounds: a catalog file is written by people, but a mistake (a generated file, a paste)
# must cost an error message, not the daemon's memory or its start-up time.
MAX_FILE_BYTES = 2_000_000
MAX_TYPES = 500
MAX_PHRASES = 3_000  # per event type, all languages together, excepts included
MAX_PHRASE_CHARS = 200

_KEYS = ("aliases", "acled", "phrases", "except", "remove", "replace")
_ACLED_KEYS = ("event_type", "sub_event_type")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One entry of an events file, as written."""

    file: str
    line: int
    col: int
    name: str
    aliases: tuple[str, ...] = ()
    event_type: str = ""  # ACLED's event type ("Battles"); "" when the entry does not say
    sub_event_type: str = ""  # ACLED's sub-event type ("Armed clash")
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (language, phrases), as written
    excepts: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    replace: bool = False


def events_schema() -> dict[str, Any]:
    """The JSON Schema of an events file (config/schema/events.schema.json), for editors:
    the shape parse_events() checks; what only the matcher can say of a phrase (regular
    expression syntax) is `check`'s."""
    text = {"type": "string", "minLength": 1, "maxLength": MAX_PHRASE_CHARS}
    texts = {"anyOf": [text, {"type": "array", "items": text}]}
    entry = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "aliases": {**texts, "description": "other names a rule may use for the type"},
            "acled": {"type": "object", "additionalProperties": False,
                      "description": "ACLED's coding of the type",
                      "properties": {"event_type": {"type": "string"},
                                     "sub_event_type": {"type": "string"}}},
            "phrases": {"type": "object", "description": "what signals the type in text, "
                                                        "by language code (en, ar, fr, tr...)",
                        "propertyNames": {"pattern": "^[a-z]{2,3}$"},
                        "additionalProperties": texts},
            "except": {**texts, "description": "longer wordings that contain a phrase but "
                                               "mean something else"},
            "remove": {**texts, "description": "phrases or excepts to drop"},
            "replace": {"type": "boolean", "description": "start the entry over"},
        },
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "news-monitor events file", "type": "object",
            "maxProperties": MAX_TYPES,
            "additionalProperties": {"anyOf": [{"type": "null"}, entry]}}


def parse_events(path: Path) -> tuple[EventEntry, ...]:
    """The entries of one events file; CatalogError listing every problem found."""
    located = _load(path)
    problems: list[Problem] = []
    entries: list[EventEntry] = []
    if len(located.data) > MAX_TYPES:
        raise CatalogError([located.problem((), f"{len(located.data)} event types; at most "
                                                f"{MAX_TYPES} are allowed in one file")])
    for name, value in located.data.items():
        line, col = located.where((name,), key=True)
        if not isinstance(name, str) or not fold_key(name):
            problems.append(Problem(located.file, line, col, f"'{name}' is not a name"))
            continue
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.append(located.problem((name,), (
                f"'{name}': expected a mapping with {', '.join(_KEYS)}; found "
                f"{kind_of(value)}")))
            continue
        for key in value:
            if key not in _KEYS:
                problems.append(located.problem((name, key), (
                    f"unknown key '{key}' (expected one of {', '.join(_KEYS)})"), key=True))
        entry = _entry(located, name, (line, col), value, problems)
        count = sum(len(p) for _, p in entry.phrases) + len(entry.excepts)
        if count > MAX_PHRASES:
            problems.append(located.problem((name,), (
                f"'{name}': {count} phrases; at most {MAX_PHRASES} per event type")))
            continue
        entries.append(entry)
    if problems:
        raise CatalogError(problems)
    return tuple(entries)


def _load(path: Path) -> Located:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise CatalogError([Problem(str(path), 1, 1, f"cannot read file: {err}")]) from None
    if size > MAX_FILE_BYTES:
        raise CatalogError([Problem(str(path), 1, 1, (
            f"file is {size:,} bytes; an events file may hold at most {MAX_FILE_BYTES:,}"))])
    return load_mapping(path, "event type names")


def _entry(located: Located, name: str, pos: tuple[int, int], value: dict[str, Any],
           problems: list[Problem]) -> EventEntry:
    replace = value.get("replace", False)
    if not isinstance(replace, bool):
        problems.append(located.problem((name, "replace"), "replace: expects true or false"))
        replace = False
    event_type, sub_event_type = _acled(located, name, value.get("acled"), problems)
    phrases = value.get("phrases")
    by_language: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(phrases, dict):
        for language, listed in phrases.items():
            if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
                problems.append(located.problem((name, "phrases", language), (
                    f"'{language}' is not a language code: write a lower-case ISO 639 code "
                    "such as en, ar, fr or tr"), key=True))
                continue
            by_language.append((language, _phrases(
                located, (name, "phrases", language), listed, problems, language)))
    elif phrases is not None:
        problems.append(located.problem((name, "phrases"), (
            f"'{name}': phrases: expects a mapping of language codes to lists of phrases "
            f"(en: [...], ar: [...]), found {kind_of(phrases)}")))
    return EventEntry(
        located.file, *pos, name,
        aliases=_names(located, (name, "aliases"), value.get("aliases"), problems),
        event_type=event_type, sub_event_type=sub_event_type,
        phrases=tuple(by_language),
        excepts=_phrases(located, (name, "except"), value.get("except"), problems, "except"),
        remove=_names(located, (name, "remove"), value.get("remove"), problems),
        replace=replace)


def _acled(located: Located, name: str, value: Any, problems: list[Problem]
           ) -> tuple[str, str]:
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        problems.append(located.problem((name, "acled"), (
            "acled: expects {event_type: ..., sub_event_type: ...}, found "
            f"{kind_of(value)}")))
        return "", ""
    out = []
    for key in value:
        if key not in _ACLED_KEYS:
            problems.append(located.problem((name, "acled", key), (
                f"unknown key '{key}' (expected event_type, sub_event_type)"), key=True))
    for key in _ACLED_KEYS:
        text = value.get(key, "")
        if not isinstance(text, str):
            problems.append(located.problem((name, "acled", key), f"{key}: expects text"))
            text = ""
        out.append(" ".join(text.split()))
    return out[0], out[1]


def _items(located: Located, path: Path_, value: Any, problems: list[Problem],
           what: str) -> list[tuple[Path_, str]]:
    """A text or a list of texts, each with where it is written."""
    if value is None:
        return []
    if isinstance(value, str):
        return [(path, value)]
    if not isinstance(value, list):
        problems.append(located.problem(path, (
            f"{what}: expects a list of phrases, found {kind_of(value)}")))
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            found = repr(item) if isinstance(item, str) else kind_of(item)
            problems.append(located.problem((*path, i), f"{what}: expected a phrase, found "
                                                        f"{found}"))
            continue
        out.append(((*path, i), item))
    return out


def _names(located: Located, path: Path_, value: Any, problems: list[Problem]
           ) -> tuple[str, ...]:
    out = []
    for spot, item in _items(located, path, value, problems, str(path[-1])):
        if not fold_key(item):
            problems.append(located.problem(spot, f"'{item}' has no letter or digit"))
            continue
        out.append(" ".join(item.split()))
    return tuple(out)


def _phrases(located: Located, path: Path_, value: Any, problems: list[Problem],
             what: str) -> tuple[str, ...]:
    """Phrases, each checked as a rule's term is, at its own line and column."""
    out = []
    for spot, item in _items(located, path, value, problems, what):
        text = " ".join(item.split())
        if len(text) > MAX_PHRASE_CHARS:
            problems.append(located.problem(spot, (
                f"{what}: a phrase of {len(text)} characters; at most {MAX_PHRASE_CHARS}")))
            continue
        try:
            check_term(text)
        except TermError as err:
            problems.append(located.problem(spot, f"{what}: {err.message}"))
            continue
        out.append(text)
    return tuple(out)

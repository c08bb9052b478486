"""YAML loading that remembers where every value came from.

Config errors must point at `file:line:col`, but PyYAML's plain loaders forget positions. We
build plain Python data straight from the parser's events, plus a map from each value's
path (e.g. ("rules", 2, "query")) to its position, so a pydantic error location can be turned
back into a place in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MERGE = object()  # the `<<` key
_SCALARS = yaml.constructor.SafeConstructor()
_RESOLVER = yaml.resolver.Resolver()
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config file, located for the person who must fix it."""

    file: str
    line: int  # 1-based
    col: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass
class Located:
    """Data loaded from one YAML file with the position of every value and mapping key.

    Positions are read on the first `where()`, by parsing the text again: a valid file
    never needs them, and recording 60,000 of them for a 10,000-source config would leave
    a reload's memory scattered (see load_yaml_text)."""

    file: str
    data: Any
    text: str = ""
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    positioned: bool = False  # values and keys are filled in

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor we know, 1-based."""
        if not self.positioned:
            self._read_positions()
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path_, message: str, *, key: bool = False, offset: int = 0) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col + offset, message)

    def _read_positions(self) -> None:
        self.positioned = True
        scratch = Located(self.file, None, self.text, positioned=True)
        with suppress(yaml.YAMLError):  # the first parse reported it
            _document(self.text, scratch, {})
        self.values, self.keys = scratch.values, scratch.keys


def load_yaml(path: Path, display: str | None = None, env: dict[str, str] | None = None) -> Located:
    """Load one YAML file; syntax errors and unset ${VARS} become Problems, not exceptions."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Located(name, None, problems=[Problem(name, 1, 1, "file not found")])
    except (OSError, UnicodeDecodeError) as err:
        return Located(name, None, problems=[Problem(name, 1, 1, f"cannot read file: {err}")])
    return load_yaml_text(text, name, os.environ if env is None else env)


def load_yaml_text(text: str, name: str, env: Any) -> Located:
    located = Located(name, None, text)
    try:
        data = _document(text, located, env)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = err.problem or str(err)
        located.problems.append(Problem(name, line, col, f"YAML syntax error: {detail}"))
        return located
    except yaml.YAMLError as err:
        located.problems.append(Problem(name, 1, 1, f"YAML error: {err}"))
        return located
    located.data = {} if data is None else data
    return located


def _document(text: str, located: Located, env: Any) -> Any:
    """The one document in the text, built straight from parser events: a node graph
    of a 10,000-source config would cost tens of MB for a moment, at every reload."""
    events = iter(yaml.parse(text, Loader=_PARSER))
    data, documents = None, 0
    anchors: dict[str, Any] = {}
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise yaml.MarkedYAMLError(problem="expected a single document in the file, "
                                           "found another one", problem_mark=event.start_mark)
        elif isinstance(event, yaml.NodeEvent | yaml.CollectionStartEvent):
            data = _build(event, events, (), located, env, anchors)
    return data


def _pos(event: yaml.Event) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _build(event: yaml.Event, events: Iterator[yaml.Event], path: Path_, located: Located,
           env: Any, anchors: dict[str, Any]) -> Any:
    if located.positioned:
        located.values[path] = _pos(event)
    if isinstance(event, yaml.AliasEvent):
        if event.anchor not in anchors:
            raise yaml.MarkedYAMLError(problem=f"undefined alias '*{event.anchor}'",
                                       problem_mark=event.start_mark)
        return anchors[event.anchor]
    if isinstance(event, yaml.MappingStartEvent):
        value: Any = {}
        _anchor(event, value, anchors)
        _fill_mapping(value, events, path, located, env, anchors)
        return value
    if isinstance(event, yaml.SequenceStartEvent):
        items: list[Any] = []
        _anchor(event, items, anchors)
        for child in events:
            if isinstance(child, yaml.SequenceEndEvent):
                break
            items.append(_build(child, events, (*path, len(items)), located, env, anchors))
        return items
    assert isinstance(event, yaml.ScalarEvent)
    value = _scalar(event)
    if isinstance(value, str):
        value = _expand_env(value, path, located, env)
    _anchor(event, value, anchors)
    return value


def _anchor(event: yaml.NodeEvent, value: Any, anchors: dict[str, Any]) -> None:
    if event.anchor is not None:
        anchors[event.anchor] = value


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR_TAG:
        return event.value
    if tag == _MERGE_TAG:
        return _MERGE
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return _SCALARS.construct_object(node)


def _fill_mapping(result: dict[str, Any], events: Iterator[yaml.Event], path: Path_,
                  located: Located, env: Any, anchors: dict[str, Any]) -> None:
    merged: dict[str, Any] = {}  # from `<<: *anchor`: keys written here win
    for key_event in events:
        if isinstance(key_event, yaml.MappingEndEvent):
            break
        key = _build(key_event, events, (*path, "<key>"), located, env, anchors)
        if located.positioned:
            del located.values[(*path, "<key>")]
        value_event = next(events)
        if key is _MERGE:
            value = _build(value_event, events, (*path, "<<"), located, env, anchors)
            for source in value if isinstance(value, list) else [value]:
                if not isinstance(source, dict):
                    located.problems.append(Problem(located.file, *_pos(value_event),
                                                    "'<<' merges mappings only"))
                    continue
                for k, v in source.items():
                    merged.setdefault(k, v)
            continue
        if not isinstance(key, str | int | float | bool):
            located.problems.append(Problem(located.file, *_pos(key_event), "keys must be plain"))
            _build(value_event, events, (*path, "<skipped>"), located, env, anchors)
            continue
        key = str(key)
        child = (*path, key)
        if key in result:
            located.problems.append(
                Problem(located.file, *_pos(key_event), f"duplicate key '{key}'")
            )
        if located.positioned:
            located.keys[child] = _pos(key_event)
        result[key] = _build(value_event, events, child, located, env, anchors)
    for k, v in merged.items():
        result.setdefault(k, v)


def _expand_env(value: str, path: Path_, located: Located, env: Any) -> str:
    """Replace ${VAR} (or ${VAR:-default}) so secrets stay out of the files."""

    def replace(m: re.Match[str]) -> str:
        var, default = m.group(1), m.group(2)
        if var in env:
            return env[var]
        if default is not None:
            return default
        located.problems.append(
            located.problem(path, f"environment variable {var} is not set "
                            f"(export it, or write ${{{var}:-default}})")
        )
        return m.group(0)

    return _ENV_REF.sub(replace, value) if "${" in value else value

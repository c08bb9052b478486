"""YAML loading that remembers where every value came from.

Config errors must point at `file:line:col`, but PyYAML's plain loaders forget positions. We
compose the node graph ourselves and build plain Python data plus a map from each value's
path (e.g. ("rules", 2, "query")) to its position, so a pydantic error location can be turned
back into a place in the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_SCALARS = yaml.constructor.SafeConstructor()
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
    """Data loaded from one YAML file with the position of every value and mapping key."""

    file: str
    data: Any
    text: str = ""
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor we know, 1-based."""
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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = err.problem or str(err)
        located.problems.append(Problem(name, line, col, f"YAML syntax error: {detail}"))
        return located
    except yaml.YAMLError as err:
        located.problems.append(Problem(name, 1, 1, f"YAML error: {err}"))
        return located
    if node is None:
        located.data = {}
        return located
    located.data = _build(node, (), located, env)
    return located


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: Path_, located: Located, env: Any) -> Any:
    located.values[path] = _pos(node)
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, located, env)
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), located, env) for i, child in enumerate(node.value)]
    value = node.value if node.tag == _STR_TAG else _SCALARS.construct_object(node)
    if isinstance(value, str):
        value = _expand_env(value, path, located, env)
    return value


def _build_mapping(node: yaml.MappingNode, path: Path_, located: Located, env: Any) -> dict:
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = _build(key_node, (*path, "<key>"), located, env)
        located.values.pop((*path, "<key>"), None)
        if not isinstance(key, str | int | float | bool):
            located.problems.append(Problem(located.file, *_pos(key_node), "keys must be plain"))
            continue
        key = str(key)
        child = (*path, key)
        if key in result:
            located.problems.append(
                Problem(located.file, *_pos(key_node), f"duplicate key '{key}'")
            )
        located.keys[child] = _pos(key_node)
        result[key] = _build(value_node, child, located, env)
    return result


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

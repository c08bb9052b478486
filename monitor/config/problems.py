"""Turning what is wrong into Problems at file:line:col: pydantic errors, errors inside a
scalar (a query, a term), and messages other modules already located.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.yamlpos import Located, Path_, Problem


def validate(located: Located, model: type[BaseModel], problems: list[Problem]) -> Any:
    """The file's data as `model`, or None with every problem added to `problems`."""
    problems.extend(located.problems)
    if located.problems:
        return None
    if not isinstance(located.data, dict):
        problems.append(located.problem((), f"expected a mapping of keys at the top of the "
                                            f"file, found {type(located.data).__name__}"))
        return None
    try:
        return model.model_validate(located.data)
    except ValidationError as err:
        problems.extend(explain(err, located, model))
        return None


def explain(err: ValidationError, located: Located, model: type[BaseModel]) -> list[Problem]:
    found = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        kind = e["type"]
        if kind == "extra_forbidden":
            found.append(located.problem(loc, _unknown_key(loc, model), key=True))
        elif kind == "missing":
            found.append(located.problem(loc[:-1], f"missing required key '{loc[-1]}'"))
        else:
            message = e["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in loc)
            found.append(located.problem(loc, f"{where}: {message}" if where else message))
    return found


def _unknown_key(loc: tuple, model: type[BaseModel]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(model, loc[:-1])
    hint = difflib.get_close_matches(key, allowed, n=1)
    tail = f"; did you mean '{hint[0]}'?" if hint else (
        f"; allowed here: {', '.join(sorted(allowed))}" if allowed else "")
    return f"unknown key '{key}'{tail}"


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    """Walk the model along `path` to list the keys valid where an unknown one was found."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def inside_scalar(located: Located, path: Path_, position: int, message: str) -> Problem:
    """A problem at character `position` of the string at `path` (a query, a term), allowing
    for the quote that opens the scalar."""
    line, col = located.where(path)
    lines = located.text.splitlines()
    opener = lines[line - 1][col - 1:col] if line <= len(lines) else ""
    return Problem(located.file, line, col + position + (1 if opener in ("'", '"') else 0),
                   message)


def already_located(message: str, fallback: str) -> Problem:
    """A message that starts with its own file:line:col (catalog errors), as a Problem."""
    m = re.match(r"^(.+?):(\d+):(\d+): (.*)$", message, re.S)
    if m:
        return Problem(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4))
    return Problem(fallback, 1, 1, message)

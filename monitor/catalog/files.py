"""The places and groups YAML files: parsed and shape-checked, with file:line:col for each
problem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace as replace_field
from pathlib import Path
from typing import Any

from monitor.catalog.names import _DATA, fold_key
from monitor.yamlpos import Located, Problem, load_yaml


class CatalogError(Exception):
    """A places or groups file is wrong; str() lists `file:line:col: message` lines."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class PlaceEdit:
    """One entry of a places file."""

    file: str
    line: int
    col: int
    name: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    within: str | None = None  # `in:` — the place it lies in
    within_pos: tuple[int, int] = (1, 1)
    replace: bool = False
    correction: bool = False  # from the shipped corrections, not the user's file
    means: str | None = None  # `means:` — the reading the bare name takes
    new: bool = False  # a place of its own (shipped regions), never an edit of another


@dataclass(frozen=True, slots=True)
class GroupEntry:
    file: str
    line: int
    col: int
    name: str
    aliases: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    exact_case: tuple[str, ...] = ()
    any_case: tuple[str, ...] = ()
    replace: bool = False
    marks: tuple[tuple[str, str, int, int], ...] = ()  # (field, alias, line, col) to check


def load_mapping(path: Path, what: str = "names") -> Located:
    """A catalog file read with its positions: a mapping of `what` at the top (empty when
    the file is), else CatalogError naming the file and line."""
    located = load_yaml(path, str(path), env={})
    if located.problems:
        raise CatalogError(located.problems)
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        raise CatalogError(
            [
                located.problem(
                    (),
                    f"expected a mapping of {what} at the top of "
                    f"the file, found {kind_of(located.data)}",
                )
            ]
        )
    return located


def kind_of(value: Any) -> str:
    return {list: "a list", dict: "a mapping", str: "text"}.get(type(value), type(value).__name__)


def _names(
    located: Located, path: tuple, value: Any, problems: list[Problem], what: str
) -> tuple[str, ...]:
    """A name or a list of names."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        problems.append(
            located.problem(
                path, f"{what} must be a name or a list of names, found {kind_of(value)}"
            )
        )
        return ()
    out = []
    for i, item in enumerate(items):
        spot = path if isinstance(value, str) else (*path, i)
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not fold_key(item):
            problems.append(
                located.problem(
                    spot,
                    f"{what}: expected a name with at least one letter or digit, "
                    f"found {kind_of(item) if not isinstance(item, str) else repr(item)}",
                )
            )
            continue
        out.append(" ".join(item.split()))
    return tuple(out)


def _top_entries(
    located: Located,
    allowed: tuple[str, ...],
    problems: list[Problem],
) -> Iterator[tuple[str, tuple[int, int], dict[str, Any] | None, Any]]:
    """(name, position, mapping or None, raw value) per top-level entry, shape-checked."""
    for name, value in located.data.items():
        pos = located.where((name,), key=True)
        if not fold_key(name):
            problems.append(Problem(located.file, *pos, f"'{name}' is not a name"))
            continue
        if isinstance(value, dict):
            for key in value:
                if key not in allowed:
                    problems.append(
                        located.problem(
                            (name, key),
                            f"unknown key '{key}' (expected one of {', '.join(allowed)})",
                            key=True,
                        )
                    )
            yield name, pos, value, value
        elif isinstance(value, list | str) or value is None:
            yield name, pos, None, value
        else:
            problems.append(
                located.problem(
                    (name,),
                    f"'{name}': expected a list of names or a mapping with "
                    f"{', '.join(allowed)}; found {kind_of(value)}",
                )
            )


_PLACE_KEYS = ("add", "remove", "in", "replace", "means")
_GROUP_KEYS = ("aliases", "remove", "exact_case", "any_case", "replace")


def parse_places(
    path: Path, *, correction: bool = False, new: bool = False
) -> tuple[PlaceEdit, ...]:
    located = load_mapping(path)
    problems: list[Problem] = []
    edits = []
    for name, (line, col), mapping, value in _top_entries(located, _PLACE_KEYS, problems):
        if mapping is None:
            edits.append(
                PlaceEdit(
                    located.file,
                    line,
                    col,
                    name,
                    add=_names(located, (name,), value, problems, name),
                    correction=correction,
                )
            )
            continue
        within = mapping.get("in")
        if within is not None and (not isinstance(within, str) or not fold_key(within)):
            problems.append(
                located.problem(
                    (name, "in"), f"'{name}': in: expects the name of a country or region"
                )
            )
            within = None
        replace = mapping.get("replace", False)
        if not isinstance(replace, bool):
            problems.append(located.problem((name, "replace"), "replace: expects true or false"))
            replace = False
        means = mapping.get("means")
        if means is not None and (not isinstance(means, str) or not fold_key(means)):
            problems.append(
                located.problem((name, "means"), f"'{name}': means: expects a qualified place name")
            )
            means = None
        edits.append(
            PlaceEdit(
                located.file,
                line,
                col,
                name,
                add=_names(located, (name, "add"), mapping.get("add"), problems, "add"),
                remove=_names(located, (name, "remove"), mapping.get("remove"), problems, "remove"),
                within=within,
                within_pos=located.where((name, "in")),
                replace=replace,
                correction=correction,
                means=means,
            )
        )
    if problems:
        raise CatalogError(problems)
    return tuple(replace_field(e, new=True) for e in edits) if new else tuple(edits)


def parse_groups(path: Path) -> tuple[GroupEntry, ...]:
    located = load_mapping(path)
    problems: list[Problem] = []
    entries = []
    for name, (line, col), mapping, value in _top_entries(located, _GROUP_KEYS, problems):
        if mapping is None:
            entries.append(
                GroupEntry(
                    located.file,
                    line,
                    col,
                    name,
                    aliases=_names(located, (name,), value, problems, name),
                )
            )
            continue
        replace = mapping.get("replace", False)
        if not isinstance(replace, bool):
            problems.append(located.problem((name, "replace"), "replace: expects true or false"))
            replace = False
        entry = GroupEntry(
            located.file,
            line,
            col,
            name,
            aliases=_names(located, (name, "aliases"), mapping.get("aliases"), problems, "aliases"),
            remove=_names(located, (name, "remove"), mapping.get("remove"), problems, "remove"),
            exact_case=_names(
                located, (name, "exact_case"), mapping.get("exact_case"), problems, "exact_case"
            ),
            any_case=_names(
                located, (name, "any_case"), mapping.get("any_case"), problems, "any_case"
            ),
            replace=replace,
        )
        marks = tuple(
            (field_name, alias, *located.where((name, field_name, i)))
            for field_name in ("exact_case", "any_case")
            for i, alias in enumerate(getattr(entry, field_name))
        )
        entries.append(replace_field(entry, marks=marks))
    if problems:
        raise CatalogError(problems)
    return tuple(entries)


_shipped: dict[str, Any] = {}


def shipped_file(kind: str) -> Any:
    """The package's default groups, regions and place corrections, read once per process:
    from the disk cache when it holds them for the files as they are (shippedcache.py),
    else parsed, and cached for the next start."""
    if kind not in _shipped:
        from monitor.catalog import diskcache, shippedcache

        paths = {k: _DATA / f"{k}.yaml" for k in ("groups", "regions", "places")}
        cached = shippedcache.read(paths)
        if cached is None:
            cached = {
                "places": parse_places(paths["places"], correction=True),
                "regions": parse_places(paths["regions"], new=True),
                "groups": parse_groups(paths["groups"]),
            }
            if diskcache.cache_dir() is not None:
                shippedcache.write(paths, cached)
        _shipped.update(cached)
    return _shipped[kind]

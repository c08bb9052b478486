"""The groups catalog: the shipped groups with the user's entries applied in turn."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.catalog.files import CatalogError, GroupEntry
from monitor.catalog.names import EXACT_CASE_MAX_LETTERS, cased, common_words, fold_key, letters
from monitor.yamlpos import Problem


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    aliases: tuple[str, ...]
    exact_case: frozenset[str]  # folded keys forced to exact case
    any_case: frozenset[str]  # folded keys exempt from the automatic rule


def merge_groups(layers: Iterable[tuple[GroupEntry, ...]]) -> list[Group]:
    """The shipped groups, then each user entry applied in turn; CatalogError for an
    exact_case/any_case alias that the group does not have."""
    groups: list[Group] = []
    problems: list[Problem] = []

    def find(name: str) -> int:
        key = fold_key(name)
        for i, group in enumerate(groups):
            if fold_key(group.name) == key:
                return i
        for i, group in enumerate(groups):
            if key in {fold_key(a) for a in group.aliases}:
                return i
        return -1

    for layer in layers:
        for entry in layer:
            at = find(entry.name)
            new = Group(entry.name, entry.aliases, frozenset(map(fold_key, entry.exact_case)),
                         frozenset(map(fold_key, entry.any_case)))
            if at < 0 or entry.replace:
                if at >= 0:
                    groups[at] = new
                else:
                    groups.append(new)
                continue
            old = groups[at]
            removed = {fold_key(r) for r in entry.remove}
            aliases = tuple(a for a in (*old.aliases, *entry.aliases)
                            if fold_key(a) not in removed)
            groups[at] = Group(old.name, aliases, (old.exact_case | new.exact_case) - new.any_case,
                                (old.any_case | new.any_case) - new.exact_case)
        for entry in layer:
            at = find(entry.name)
            if at < 0:
                continue
            group = groups[at]
            known = {fold_key(a) for a in (group.name, *group.aliases)}
            for field_name, alias, line, col in entry.marks:
                if fold_key(alias) not in known:
                    problems.append(Problem(
                        entry.file, line, col, f"{field_name}: '{alias}' is not the name or one "
                                               f"of the aliases of '{group.name}'"))
    if problems:
        raise CatalogError(problems)
    return groups


def group_exact(alias: str, group: Group) -> bool:
    key = fold_key(alias)
    if key in group.exact_case:
        return True
    if key in group.any_case or not cased(alias):
        return False
    return letters(alias) <= EXACT_CASE_MAX_LETTERS or key in common_words()


# --------------------------------------------------------------------------- the catalog

"""The "did you mean" index: every name a suggestion may propose, by first letter and length.

An unknown place name is answered with the closest known name (difflib's ratio of at least
0.75) among the names that start with the same letter and differ in length by at most
max(2, len // 4). Scanning all 130,000 gazetteer names for each unknown name cost a watchlist
with 500 of them minutes; the index is built once (and cached on disk next to the
gazetteer's, diskcache.py), so an unknown name reads only its few length buckets.

What a name stands for is settled when the index is built, as the scan did it: a country's
name, then a subdivision's, then a town's name that is not a common word and that the town
owns (gazetteer.owns); the first of these wins. Only the names the user removed from a town
(places.yaml `remove:`) are checked per query: a town's name then falls to the next town
that has it.

When rapidfuzz is installed, its C scorer (the normalised Indel similarity, 2·LCS/total, which
is never below difflib's ratio) discards in one call the names that cannot reach the cutoff,
and difflib ranks the few that remain: the same answers, without difflib's per-name cost.
"""

from __future__ import annotations

import difflib
import json
import logging
from array import array
from typing import TYPE_CHECKING

from monitor.catalog import diskcache
from monitor.catalog.names import fold_key

if TYPE_CHECKING:
    from monitor.catalog.gazetteer import Gazetteer
    from monitor.catalog.towns import Ref

log = logging.getLogger(__name__)

KIND = "suggest"
CUTOFF = 0.75
_EMPTY: tuple[list[str], int] = ([], 0)


class Suggestions:
    """Folded names grouped by (first letter, length), each with what it shows: a name
    (`fixed`, for a country's or a subdivision's) or the towns that may show theirs, in the
    order the scan met them.

    Row i (in bucket order) is keys[i]; first[i] >= 0 is its first town, -1 - j its fixed
    name fixed[j]; more[i] lists all its towns when it has several (rare). Loading from the
    cache is a few splits, no per-name work.
    """

    def __init__(self, gaz: Gazetteer, keys: list[str], first: array, fixed: list[str],
                 more: dict[int, list[int]], table: list[list]) -> None:
        if len(keys) != len(first):
            raise ValueError("names and places of different lengths")
        self._gaz = gaz
        self._keys = keys
        self._first = first
        self._fixed = fixed
        self._more = more
        self._table = table  # [first letter, length, start row, end row] per bucket
        self._buckets = {(letter, length): (keys[start:end], start)
                         for letter, length, start, end in table}

    @classmethod
    def build(cls, gaz: Gazetteer) -> Suggestions:
        """From the gazetteer's tables (the order and the tests of the former scan)."""
        fixed: dict[str, str] = {}
        for cand, code in gaz.country_keys.items():
            fixed.setdefault(cand, gaz.countries[code].name)
        for region in gaz.regions:
            fixed.setdefault(fold_key(region.name), region.name)
        towns: dict[str, list[int]] = {}
        cities = gaz.cities
        for city in range(len(cities)):
            for name in cities.names(city):
                cand = fold_key(name)
                if not cand or cand in fixed:
                    continue
                # the scan looked only at names whose first character, case aside, is the
                # folded name's (or is not ASCII): "'Ajman" never came up under "a"
                if name[:1].isascii() and name[:1].casefold() != cand[:1]:
                    continue
                seen = towns.setdefault(cand, [])
                if seen and seen[-1] == city:
                    continue
                if not gaz.is_word(cand) and gaz.owns(city, cand):
                    seen.append(city)
        rows: list[tuple[str, int | str | list[int]]] = [(k, v) for k, v in fixed.items() if k]
        rows += [(k, v) for k, v in towns.items() if v]
        rows.sort(key=lambda row: (row[0][:1], len(row[0])))
        keys, first, names, more, table = [], array("i"), [], {}, []
        for i, (key, shown) in enumerate(rows):
            keys.append(key)
            if isinstance(shown, str):
                first.append(-1 - len(names))
                names.append(shown)
            else:
                first.append(shown[0])
                if len(shown) > 1:
                    more[i] = shown
            bucket = [key[:1], len(key)]
            if not table or table[-1][:2] != bucket:
                table.append([*bucket, i, i])
            table[-1][3] = i + 1
        return cls(gaz, keys, first, names, more, table)

    def encode(self) -> dict[str, bytes]:
        meta = {"fixed": self._fixed, "more": {str(k): v for k, v in self._more.items()},
                "table": self._table, "itemsize": self._first.itemsize}
        return {"keys": "\n".join(self._keys).encode("utf-8", "surrogatepass"),
                "first": self._first.tobytes(),
                "meta": json.dumps(meta, ensure_ascii=False).encode("utf-8")}

    @classmethod
    def decode(cls, gaz: Gazetteer, sections: dict[str, bytes]) -> Suggestions:
        text = sections["keys"].decode("utf-8", "surrogatepass")
        keys = text.split("\n") if text else []
        meta = json.loads(sections["meta"])
        first = array("i")
        if first.itemsize != meta["itemsize"]:
            raise ValueError("rows of another platform")
        first.frombytes(sections["first"])
        fixed, n = meta["fixed"], len(gaz.cities)
        more = {int(k): v for k, v in meta["more"].items()}
        if (len(first) != len(keys) or (first and (max(first) >= n or min(first) < -len(fixed)))
                or any(not 0 <= c < n for v in more.values() for c in v)
                or any(not 0 <= a <= b <= len(keys) for _, _, a, b in meta["table"])):
            raise ValueError("rows out of range")
        return cls(gaz, keys, first, fixed, more, meta["table"])

    def near(self, key: str, removed: dict[Ref, set[str]]) -> list[str]:
        """Folded names close in form to `key` (same first letter, similar length) that
        still name a place (names in `removed` excepted)."""
        limit = max(2, len(key) // 4)
        first = key[:1]
        gone = set().union(*removed.values()) if removed else set()
        found: list[str] = []
        for length in range(len(key) - limit, len(key) + limit + 1):
            names, start = self._buckets.get((first, length), _EMPTY)
            if gone.isdisjoint(names):
                found += names
                continue
            found += [k for i, k in enumerate(names, start) if k not in gone
                      or self._shows(i, removed) is not None]
        return found

    def shown(self, cand: str, removed: dict[Ref, set[str]]) -> str | None:
        """The canonical name of the place the folded name `cand` proposes."""
        names, start = self._buckets.get((cand[:1], len(cand)), _EMPTY)
        try:
            return self._shows(start + names.index(cand), removed)
        except ValueError:
            return None

    def _shows(self, i: int, removed: dict[Ref, set[str]]) -> str | None:
        first = self._first[i]
        if first < 0:
            return self._fixed[-1 - first]
        cand = self._keys[i]
        for city in self._more.get(i, (first,)):
            if cand not in removed.get(("city", city), ()):
                return self._gaz.cities.name(city)
        return None

    def suggest(self, key: str, removed: dict[Ref, set[str]],
                extra: dict[str, str] | None = None) -> str | None:
        """The name to propose for the unknown folded name `key`, or None: the closest of
        the names near it and of `extra` (folded name -> name to show, the user's places,
        which the gazetteer's names take precedence over)."""
        candidates = self.near(key, removed)
        known = set(candidates)
        more = [k for k in (extra or {}) if k not in known]
        close = closest(key, candidates + more)
        if close is None:
            return None
        found = self.shown(close, removed)
        return found if found is not None else (extra or {})[close]


def closest(key: str, candidates: list[str]) -> str | None:
    """difflib.get_close_matches(key, candidates, n=1, cutoff=CUTOFF)[0], or None."""
    if len(candidates) > 50:
        try:
            from rapidfuzz import fuzz, process
        except ImportError:
            pass
        else:  # a bound on difflib's ratio: nothing that could pass is left out
            candidates = [c for c, _, _ in process.extract(
                key, candidates, scorer=fuzz.ratio, processor=None, limit=None,
                score_cutoff=CUTOFF * 100 - 0.01)]
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=CUTOFF)
    return close[0] if close else None


def load_suggestions(gaz: Gazetteer, key: dict | None) -> Suggestions:
    """The gazetteer's suggestion index: from the disk cache when valid (`key` is the
    gazetteer's cache key; None when it was not cached), else built (and cached)."""
    if key is not None:
        sections = diskcache.read(KIND, key)
        if sections is not None:
            try:
                return Suggestions.decode(gaz, sections)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
                log.info("suggestion cache not used (%s): rebuilding it", err)
    suggestions = Suggestions.build(gaz)
    if key is not None and diskcache.cache_dir() is not None:
        diskcache.write(KIND, key, suggestions.encode())
    return suggestions

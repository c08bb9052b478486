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
from typing import TYPE_CHECKING

from monitor.catalog import diskcache
from monitor.catalog.names import fold_key

if TYPE_CHECKING:
    from monitor.catalog.gazetteer import Gazetteer
    from monitor.catalog.towns import Ref

log = logging.getLogger(__name__)

KIND = "suggest"
CUTOFF = 0.75
_EMPTY: tuple[list[str], list[int]] = ([], [])


class Suggestions:
    """Folded names, each with what it shows (a name) or the towns that may show it, in the
    order the scan met them."""

    def __init__(self, gaz: Gazetteer, keys: list[str], shown: list[str | list[int]]) -> None:
        if len(keys) != len(shown):
            raise ValueError("names and places of different lengths")
        self._gaz = gaz
        self._keys = keys
        self._shown = shown
        buckets: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
        for i, key in enumerate(keys):
            names, places = buckets.setdefault((key[:1], len(key)), ([], []))
            names.append(key)
            places.append(i)
        self._buckets = buckets  # (first letter, length) -> its folded names and their rows

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
        keys = [k for k in fixed if k]
        shown: list[str | list[int]] = [fixed[k] for k in keys]
        for cand, found in towns.items():
            if found:
                keys.append(cand)
                shown.append(found)
        return cls(gaz, keys, shown)

    def encode(self) -> dict[str, bytes]:
        return {"keys": "\n".join(self._keys).encode("utf-8", "surrogatepass"),
                "shown": json.dumps(self._shown, ensure_ascii=False).encode("utf-8")}

    @classmethod
    def decode(cls, gaz: Gazetteer, sections: dict[str, bytes]) -> Suggestions:
        text = sections["keys"].decode("utf-8", "surrogatepass")
        shown = json.loads(sections["shown"])
        if not isinstance(shown, list) or any(
                isinstance(s, list) and any(not 0 <= c < len(gaz.cities) for c in s)
                for s in shown):
            raise ValueError("towns out of range")
        return cls(gaz, text.split("\n") if text else [], shown)

    def near(self, key: str, removed: dict[Ref, set[str]]) -> list[str]:
        """Folded names close in form to `key` (same first letter, similar length) that
        still name a place (names in `removed` excepted)."""
        limit = max(2, len(key) // 4)
        first, keys = key[:1], self._keys
        gone = set().union(*removed.values()) if removed else set()
        found: list[str] = []
        for length in range(len(key) - limit, len(key) + limit + 1):
            names, rows = self._buckets.get((first, length), _EMPTY)
            if not gone:
                found += names
                continue
            found += [keys[i] for i in rows if keys[i] not in gone
                      or self._shows(i, removed) is not None]
        return found

    def shown(self, cand: str, removed: dict[Ref, set[str]]) -> str | None:
        """The canonical name of the place the folded name `cand` proposes."""
        names, rows = self._buckets.get((cand[:1], len(cand)), _EMPTY)
        try:
            return self._shows(rows[names.index(cand)], removed)
        except ValueError:
            return None

    def _shows(self, i: int, removed: dict[Ref, set[str]]) -> str | None:
        shown, cand = self._shown[i], self._keys[i]
        if isinstance(shown, str):
            return shown
        for city in shown:
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

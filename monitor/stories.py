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
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from monitor.records import Entry

WINDOW = timedelta(hours=48)
THRESHOLD = 0.6
MIN_WORDS = 4
BANDS, ROWS = 16, 2  # 32 MinHash values; a pair at J=0.6 shares a band with p ≈ 0.999
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
    """Assigns new entries to stories; remembers the last WINDOW of them."""

    def __init__(self, window: timedelta = WINDOW, threshold: float = THRESHOLD):
        self.window, self.threshold = window, threshold
        self._by_url: dict[str, str] = {}
        self._bands: dict[tuple[int, tuple[int, ...]], list[int]] = {}
        self._titles: dict[int, tuple[frozenset[str], str]] = {}  # id -> (words, story)
        self._order: deque[tuple[datetime, int, str, tuple]] = deque()
        self._next_id = 0

    def load(self, recent: Iterable[tuple[str, str, str, datetime]]) -> None:
        """Remember (story, url, title, seen_at) of entries already recorded, oldest first."""
        for story, url, title, seen_at in recent:
            self._remember(story, url, words(title), seen_at)

    def learn(self, story: str, url: str, title: str, seen_at: datetime) -> None:
        """Remember an entry another replica recorded; one this index already holds (its
        own, by URL) is not added twice."""
        if url and self._by_url.get(url) == story:
            return
        self._remember(story, url, words(title), seen_at)

    def assign(self, entry: Entry, now: datetime) -> str:
        """The story of a new entry (an earlier one's, or a new one), and remember it."""
        self._expire(now)
        title_words = words(entry.title)
        story = (self._by_url.get(entry.url) if entry.url else None) \
            or self._similar(title_words) or story_key(entry)
        self._remember(story, entry.url, title_words, now)
        return story

    def _similar(self, title_words: frozenset[str]) -> str | None:
        if len(title_words) < MIN_WORDS:
            return None
        best, best_score = None, self.threshold
        for ident in {i for band in _bands(title_words) for i in self._bands.get(band, ())}:
            other, story = self._titles[ident]
            score = len(title_words & other) / len(title_words | other)
            if score >= best_score:
                best, best_score = story, score
        return best

    def _remember(self, story: str, url: str, title_words: frozenset[str],
                  seen_at: datetime) -> None:
        if url:
            self._by_url.setdefault(url, story)
        bands: tuple = ()
        ident = self._next_id
        if len(title_words) >= MIN_WORDS:
            self._next_id += 1
            self._titles[ident] = (title_words, story)
            bands = tuple(_bands(title_words))
            for band in bands:
                self._bands.setdefault(band, []).append(ident)
        self._order.append((seen_at, ident if bands else -1, url, bands))

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.window
        while self._order and self._order[0][0] < cutoff:
            _, ident, url, bands = self._order.popleft()
            if url and self._by_url.get(url) is not None:
                self._by_url.pop(url, None)
            if ident >= 0:
                self._titles.pop(ident, None)
                for band in bands:
                    members = self._bands.get(band)
                    if members:
                        members.remove(ident)
                        if not members:
                            del self._bands[band]


def _bands(title_words: frozenset[str]) -> Iterable[tuple[int, tuple[int, ...]]]:
    hashes = [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big")
              for w in title_words]
    signature = [min((a * h + b) % _PRIME for h in hashes)
                 for a, b in zip(_SALTS[::2], _SALTS[1::2], strict=True)]
    for band in range(BANDS):
        yield band, tuple(signature[band * ROWS:(band + 1) * ROWS])


_STOP = frozenset((
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
    "but", "as", "is", "are", "was", "were", "be", "has", "have", "had", "it", "its", "this",
    "that", "after", "over", "into", "up", "out", "says", "said", "new",
    "de", "la", "le", "les", "el", "los", "des", "du", "et", "en", "al",
))

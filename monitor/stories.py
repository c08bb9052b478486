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
MAX_CANDIDATES = 32  # headlines compared word by word, at most, per assignment
MAX_PER_BAND = 32  # headlines a band key remembers (its newest)
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


def thread_id(story: str, channel: str) -> str:
    """A story's thread on a channel, as mail clients know it: every message of the story
    there carries it in References, and its updates in In-Reply-To too."""
    digest = hashlib.sha256(f"{story}\0{channel}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"<story-{digest[:24]}@news-monitor>"


def words(title: str) -> frozenset[str]:
    """A headline's words, folded (case, accents), without the ones every headline has."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c))
    return frozenset(w for w in text.split() if w not in _STOP and len(w) > 1)


class Stories:
    """Assigns new entries to stories; remembers the last WINDOW of them.

    Kept compact, since every replica holds a window of every source's headlines: a
    headline is remembered as one array (8 bytes a value) of its BANDS band keys then its
    word hashes, and its bands in a `BandIndex`. The band keys are kept rather than
    computed again at expiry: they are the costly part (BANDS × ROWS hashes of every
    word), and 96 bytes a headline is less than the time.

    Every assignment costs the same however many headlines are remembered: each band key
    yields at most MAX_PER_BAND headlines (its newest), and at most MAX_CANDIDATES of those
    are compared. `examined` counts the headlines the band lookups yielded, so that bound
    can be checked as behaviour.
    """

    def __init__(self, window: timedelta = WINDOW, threshold: float = THRESHOLD):
        self.window, self.threshold = window, threshold
        self._by_url: dict[str, str] = {}
        self._bands = BandIndex()
        self._titles: dict[int, tuple[array, str]] = {}  # id -> (band keys + hashes, story)
        self._order: deque[tuple[datetime, int, str]] = deque()
        self._next_id = 0
        self.examined = 0

    def __len__(self) -> int:
        return len(self._order)

    def load(self, recent: Iterable[tuple[str, str, str, datetime]]) -> None:
        """Remember (story, url, title, seen_at) of entries already recorded, oldest first."""
        for story, url, title, seen_at in recent:
            self._remember(story, url, _headline(title), seen_at)

    def learn(self, story: str, url: str, title: str, seen_at: datetime) -> None:
        """Remember an entry another replica recorded; one this index already holds (its
        own, by URL) is not added twice."""
        if url and self._by_url.get(url) == story:
            return
        self._remember(story, url, _headline(title), seen_at)

    def assign(self, entry: Entry, now: datetime) -> str:
        """The story of a new entry (an earlier one's, or a new one), and remember it."""
        self._expire(now)
        headline = _headline(entry.title)
        story = (self._by_url.get(entry.url) if entry.url else None) \
            or self._similar(headline) or story_key(entry)
        self._remember(story, entry.url, headline, now)
        return story

    def _similar(self, headline: array | None) -> str | None:
        if headline is None:
            return None
        mine = set(headline[BANDS:])
        shared: Counter[int] = Counter()
        for key in headline[:BANDS]:
            found = self._bands.get(key)
            self.examined += len(found)
            shared.update(found)
        # Headlines that share most bands are the likeliest matches. Only the top few are
        # compared, so thousands of near-alike headlines (a feed that numbers its items)
        # cannot make every assignment compare against all of them.
        best, best_score = None, self.threshold
        for ident, _ in shared.most_common(MAX_CANDIDATES):
            other, story = self._titles[ident]
            theirs = set(other[BANDS:])
            score = len(mine & theirs) / len(mine | theirs)
            if score >= best_score:
                best, best_score = story, score
        return best

    def _remember(self, story: str, url: str, headline: array | None,
                  seen_at: datetime) -> None:
        if url:
            self._by_url.setdefault(url, story)
        ident = -1
        if headline is not None:
            ident, self._next_id = self._next_id, self._next_id + 1
            self._titles[ident] = (headline, story)
            for key in headline[:BANDS]:
                self._bands.add(key, ident)
        self._order.append((seen_at, ident, url))

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.window
        while self._order and self._order[0][0] < cutoff:
            _, ident, url = self._order.popleft()
            if url:
                self._by_url.pop(url, None)
            if ident >= 0:
                headline, _ = self._titles.pop(ident)
                for key in headline[:BANDS]:
                    self._bands.remove(key, ident)


_EMPTY, _GONE = -1, -2  # BandIndex id slots: never used; used, then removed


class BandIndex:
    """Band key -> the ids (>= 0) of headlines with that band, at most `per_key` of them: a
    multimap in two arrays, with open addressing and linear probing. A dict held an int
    object per band (12 per headline), about 90 bytes a band with its slot; here a band is
    16 bytes of array at 40-80% load.

    A key holds its `per_key` newest ids (ids are handed out in increasing order, so the
    newest are the largest): a new id past that takes the smallest one's slot. Without the
    cap, a flood of near-alike headlines ("Story 412-7: talks resume in Geneva") puts
    thousands of ids under one band key, every lookup walks all of them, and assignment
    grows with the number of headlines seen. The old ones lose nothing that matters: their
    story has newer members under the same key, and a headline's rarer bands still find it.

    A lookup walks from the key's slot to the next empty one, so a removed entry leaves a
    _GONE mark (reused by later adds) until the next resize drops it."""

    def __init__(self, capacity: int = 1024, per_key: int = 0):
        self._keys = array("q", bytes(8 * capacity))
        self._ids = array("q", [_EMPTY]) * capacity
        self._mask = capacity - 1
        self._live = self._used = 0  # entries; entries and _GONE marks
        self.per_key = per_key or MAX_PER_BAND

    def __len__(self) -> int:
        return self._live

    def add(self, key: int, ident: int) -> None:
        if (self._used + 1) * 5 > len(self._ids) * 4:
            self._resize()
        keys, ids, mask = self._keys, self._ids, self._mask
        i, free, count, oldest = key & mask, -1, 0, -1
        while (at := ids[i]) != _EMPTY:
            if at >= 0:
                if keys[i] == key:
                    count += 1
                    if oldest < 0 or at < ids[oldest]:
                        oldest = i
            elif free < 0:
                free = i
            i = (i + 1) & mask
        if count >= self.per_key:
            if ident > ids[oldest]:
                ids[oldest] = ident  # the newest per_key stay
            return
        if free < 0:
            free = i
            self._used += 1
        keys[free], ids[free] = key, ident
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
        self.__init__(capacity, self.per_key)  # type: ignore[misc]
        for key, ident in zip(old_keys, old_ids, strict=True):
            if ident >= 0:
                self.add(key, ident)


def _headline(title: str) -> array | None:
    """A headline as remembered: its band keys, then its word hashes; None when it has
    too few words to group on."""
    title_words = words(title)
    if len(title_words) < MIN_WORDS:
        return None
    hashes = sorted(int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(),
                                   "big", signed=True) for w in title_words)
    return array("q", _band_keys(hashes) + hashes)


def _band_keys(hashes: list[int]) -> list[int]:
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

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
import re
import struct
import unicodedata
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import itemgetter

from monitor.records import Entry

WINDOW = timedelta(hours=48)
THRESHOLD = 0.6
MIN_WORDS = 4
MAX_CANDIDATES = 32  # headlines compared word by word, at most, per assignment
MAX_PER_BAND = 32  # headlines a band key remembers (its newest)
BANDS, ROWS = 12, 2  # 24 MinHash values; a pair at J=0.6 shares a band with p ≈ 0.995
# A word's identity hash (8 bytes, signed) then its BANDS x ROWS MinHash values (4 bytes
# each), all read from two BLAKE2b digests of the word: a digest is one C call, where the
# universal hashing (a*h+b) mod p it replaces took 24 big-int products per word in Python
# (140 -> 30 µs a headline, measured).
_WORD = struct.Struct(f">q{BANDS * ROWS}I")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


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
    text = title.casefold()
    if text.isascii():  # most headlines: nothing to decompose, and isalnum is [a-z0-9]
        return frozenset(w for w in _ASCII_WORD.findall(text) if w not in _STOP and len(w) > 1)
    text = unicodedata.normalize("NFKD", text)
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
        found: list[int] = []
        for key in headline[:BANDS]:
            found += self._bands.get(key)
        self.examined += len(found)
        if not found:
            return None
        # Headlines that share most bands are the likeliest matches. Only the top few are
        # compared, so thousands of near-alike headlines (a feed that numbers its items)
        # cannot make every assignment compare against all of them; the same words end the
        # search at once.
        shared = Counter(found)
        ranked = (shared.most_common(MAX_CANDIDATES) if len(shared) > MAX_CANDIDATES
                  else sorted(shared.items(), key=itemgetter(1), reverse=True))  # the same
        mine = set(headline[BANDS:])
        best, best_score = None, self.threshold
        for ident, _ in ranked:
            other, story = self._titles[ident]
            theirs = set(other[BANDS:])
            score = len(mine & theirs) / len(mine | theirs)
            if score >= best_score:
                best, best_score = story, score
                if score == 1.0:
                    break
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


_EMPTY, _GONE, _MANY = -1, -2, -3  # slots: never used; used, then removed; ids in _many


class BandIndex:
    """Band key -> the ids (>= 0) of headlines with that band, at most `per_key` of them.

    One slot per distinct key in two arrays, with open addressing and linear probing: a
    slot holds the key's one id, or _MANY when it has several, which then sit in a small
    array of `_many`. Most band keys belong to one headline (a dict held an int object per
    band, 12 per headline, about 90 bytes a band with its slot; here such a band is 16
    bytes of array at 40-80% load); the keys of a story many outlets carry, or of a feed
    that numbers its updates, share one slot. A lookup's probe run is as short as the
    number of distinct keys allows: with a slot per id, a thousand near-alike headlines
    made runs of thousands of slots that every lookup walked.

    A key holds its `per_key` newest ids (ids are handed out in increasing order, so the
    newest are the largest): a new id past that takes the smallest one's place. Without the
    cap, a flood of near-alike headlines ("Story 412-7: talks resume in Geneva") puts
    thousands of ids under one band key and assignment grows with the number of headlines
    seen. The old ones lose nothing that matters: their story has newer members under the
    same key, and a headline's rarer bands still find it.

    A removed key leaves a _GONE mark (reused by later adds) until the next resize drops it."""

    def __init__(self, capacity: int = 1024, per_key: int = 0):
        self._keys = array("q", bytes(8 * capacity))
        self._ids = array("q", [_EMPTY]) * capacity
        self._mask = capacity - 1
        self._many: dict[int, array] = {}
        self._live = 0  # ids held
        self._slots = self._used = 0  # slots holding a key; and _GONE marks too
        self.per_key = per_key or MAX_PER_BAND

    def __len__(self) -> int:
        return self._live

    def _find(self, key: int) -> tuple[int, int]:
        """(slot of the key or -1, the first free slot on its probe run)."""
        keys, ids, mask = self._keys, self._ids, self._mask
        i, free = key & mask, -1
        while (at := ids[i]) != _EMPTY:
            if at != _GONE:
                if keys[i] == key:
                    return i, free
            elif free < 0:
                free = i
            i = (i + 1) & mask
        return -1, (i if free < 0 else free)

    def add(self, key: int, ident: int) -> None:
        if (self._used + 1) * 5 > len(self._ids) * 4:
            self._resize()
        slot, free = self._find(key)
        if slot < 0:
            if self._ids[free] == _EMPTY:
                self._used += 1
            self._keys[free], self._ids[free] = key, ident
            self._slots += 1
            self._live += 1
            return
        held = self._ids[slot]
        if held >= 0:
            if self.per_key > 1:
                self._many[key] = array("q", (held, ident))
                self._ids[slot] = _MANY
                self._live += 1
            elif ident > held:
                self._ids[slot] = ident
            return
        bucket = self._many[key]
        if len(bucket) < self.per_key:
            bucket.append(ident)
            self._live += 1
            return
        oldest = min(bucket)
        if ident > oldest:
            bucket[bucket.index(oldest)] = ident  # the newest per_key stay

    def get(self, key: int) -> list[int]:
        slot, _ = self._find(key)
        if slot < 0:
            return []
        held = self._ids[slot]
        return [held] if held >= 0 else self._many[key].tolist()

    def remove(self, key: int, ident: int) -> None:
        slot, _ = self._find(key)
        if slot < 0:
            return
        held = self._ids[slot]
        if held >= 0:
            if held == ident:
                self._ids[slot] = _GONE
                self._slots -= 1
                self._live -= 1
            return
        bucket = self._many[key]
        if ident not in bucket:
            return  # pushed out by newer ones already
        bucket.remove(ident)
        self._live -= 1
        if len(bucket) == 1:
            self._ids[slot] = bucket[0]
            del self._many[key]

    def _resize(self) -> None:
        """To a size the keys fill to 40% at most, dropping the _GONE marks."""
        capacity = 1024
        while self._slots * 5 > capacity * 2:
            capacity *= 2
        old_keys, old_ids = self._keys, self._ids
        self._keys = array("q", bytes(8 * capacity))
        self._ids = array("q", [_EMPTY]) * capacity
        self._mask = capacity - 1
        self._used = self._slots
        keys, ids, mask = self._keys, self._ids, self._mask
        for key, held in zip(old_keys, old_ids, strict=True):
            if held >= 0 or held == _MANY:
                i = key & mask
                while ids[i] != _EMPTY:
                    i = (i + 1) & mask
                keys[i], ids[i] = key, held


def _headline(title: str) -> array | None:
    """A headline as remembered: its band keys, then its word hashes; None when it has
    too few words to group on."""
    title_words = words(title)
    if len(title_words) < MIN_WORDS:
        return None
    columns = list(zip(*map(_word_hashes, title_words), strict=True))
    return array("q", _band_keys(list(map(min, columns[1:]))) + sorted(columns[0]))


def _word_hashes(word: str) -> tuple[int, ...]:
    """A word's identity hash, then its value under each of the MinHash functions."""
    data = word.encode("utf-8", "surrogatepass")
    return _WORD.unpack(hashlib.blake2b(data, digest_size=64).digest()
                        + hashlib.blake2b(data, digest_size=_WORD.size - 64,
                                          person=b"minhash").digest())


def _band_keys(signature: list[int]) -> list[int]:
    """The MinHash signature cut into BANDS bands of ROWS values, each band one int key."""
    return [hash((band, *signature[band * ROWS:(band + 1) * ROWS]))
            for band in range(BANDS)]


_STOP = frozenset((
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
    "but", "as", "is", "are", "was", "were", "be", "has", "have", "had", "it", "its", "this",
    "that", "after", "over", "into", "up", "out", "says", "said", "new",
    "de", "la", "le", "les", "el", "los", "des", "du", "et", "en", "al",
))

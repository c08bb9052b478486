"""When a report gives a toll in parts: the parts add up.

Reporters give one event's dead by side, by group, by place or in instalments, and the
figure an analyst records is their sum (the facts set's rule: "24 civilians, 24 Kurdish
fighters and 25 militiamen": 73). Three shapes, read here:
- In one sentence, under one verb: "killed 12 civilians and 20 militants", "3 soldiers and 5
  civilians were killed", a list "24 civilians, 24 fighters, and 25 militiamen have been
  killed", and the parts by side after one verb: "19 dead among the rebels and 14 on the
  government side", "18 morts dans les rangs des FDS et 27 parmi les jihadistes".
- Over sentences, told as an addition: "Eight rebel fighters were ALSO killed", "On the OTHER
  SIDE, 12 jihadists died", "Quatre combattants ont ÉGALEMENT été tués", "Saldırıda AYRICA 2
  çocuk da öldü", "وقتل ثلاثة عناصر في الغارة نفسها" (in the same strike). Such a figure adds
  to the figure of its kind just before it (same or previous sentence), rather than competing
  with it.
- Anaphora: "abducted three members of the council and later killed them": "them" counts
  what the sentence counted before (numbers.py reads no pronoun; casualties.py asks here).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.facts import cues
from monitor.facts.numbers import Number
from monitor.facts.tokens import Token, fold, is_clause_end

JOINED_WORDS = 4  # words between two parts under one verb
PARTS_WORDS = 8  # between parts by side ("... dans les rangs des FDS et 27 parmi ...")
# After a number, these open the side or group it counts: "14 on the government side".
PARTITIVE = {
    fold(w)
    for w in ("among", "on", "from", "parmi", "dans", "chez", "من", "بين", "arasında", "arasindan")
}
# After the second count of "N died and M others ...", the verb left out.
OTHERS = {fold(w) for w in ("others", "more", "autres", "آخرون", "آخرين", "daha")}
# A figure told as an addition to the one before it.
ALSO = {
    fold(w)
    for w in (
        "also",
        "too",
        "additionally",
        "addition",
        "further",
        "same",
        "également",
        "aussi",
        "outre",
        "même",
        "ayrıca",
        "أيضا",
        "أيضاً",
        "كذلك",
        "كما",
        "نفسها",
        "نفسه",
        "ذاتها",
        "ذاته",
    )
}
ALSO_PAIRS = {
    tuple(fold(w) for w in p.split())
    for p in ("other side", "another side", "autre côté", "diğer taraftan")
} | {  # Turkish "de"/"da" after the counted noun: "yaralanan 3 kişi de hayatını kaybetti"
    (fold(noun), particle)
    for noun in ("kişi", "sivil", "asker", "çocuk", "kadın", "yaralı", "kişinin")
    for particle in ("de", "da")
}
# After a kill verb, a pronoun standing for the people counted before it.
PRONOUNS = {fold(w) for w in ("them", "both", "all")}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A figure read, with what decides whether it is the article's."""

    kind: str
    count: int
    qualifier: str
    start: int  # offsets into the segment's text
    end: int
    order: int  # reading order: title first
    tier: int  # 0 the article's own event, 1 a claim or a separate incident
    update: bool  # "rose to": supersedes what came before
    text: str = ""  # the words it was read from, as written
    sentence: int = 0  # which sentence of the article (title first)
    adds: bool = False  # told as an addition: "were also killed"


@dataclass(slots=True)
class Read:
    """A count found in a sentence, before its kind is known."""

    number: Number
    qualifier: str
    first: int  # first token index of the figure's words (qualifier or verb)
    last: int  # last token index (exclusive)
    kind: str = ""
    how: str = ""  # "before" | "after" | "toll"
    update: bool = False


def join(sentence: list[Token], reads: list[Read]) -> None:
    """Parts under one verb add up into the leftmost (see the module docstring)."""
    for left, right in zip(reads, reads[1:], strict=False):
        if left.how == "joined" or right.how == "joined":
            continue
        if bool(left.kind) == bool(right.kind):
            continue
        known = left if left.kind else right
        between = sentence[left.number.end : right.first]
        # "12 dead and 30 wounded" is two kinds; "killed 12 civilians and 20 militants",
        # "3 soldiers and 5 civilians were killed" one; so are parts named by side
        one_verb = _one_and(between, JOINED_WORDS) and (known.how == "after") == (known is right)
        by_side = (
            known is left
            and left.how == "after"
            and _by_side(sentence, sentence[left.last : right.first], right)
        )
        others = (
            known is left
            and left.how == "after"
            and _others(sentence, sentence[left.last : right.first], right)
        )
        if one_verb or by_side or others:
            _merge(left, right, known)
    _lists(sentence, reads)


def _one_and(between: list[Token], most: int) -> bool:
    if len(between) > most or any(
        t.kind != "w" or t.text in cues.AFTER or t.text in cues.BEFORE for t in between
    ):
        return False
    return sum(t.text in cues.AND for t in between) == 1


def _by_side(sentence: list[Token], between: list[Token], right: Read) -> bool:
    """ "19 dead among the rebels and 14 on the government side": the left part names its
    side, and the right one, with no word of its own kind, names another."""
    if not _one_and(between, PARTS_WORDS):
        return False
    opens = any(t.text in PARTITIVE for t in between)
    after = sentence[right.number.end].text if right.number.end < len(sentence) else ""
    return opens and after in PARTITIVE


def _others(sentence: list[Token], between: list[Token], right: Read) -> bool:
    """ "6 people died on the spot and 3 others later in hospital": the verb left out."""
    after = sentence[right.number.end].text if right.number.end < len(sentence) else ""
    return after in OTHERS and _one_and(between, PARTS_WORDS)


def _lists(sentence: list[Token], reads: list[Read]) -> None:
    """ "24 civilians, 24 Kurdish fighters, and 25 militiamen have been killed": the parts
    before a counted last one, each set off by a comma (and the last by "and")."""
    for end, known in enumerate(reads):
        if known.how != "after" or end == 0:
            continue
        chain = []
        for read in reversed(reads[:end]):
            if read.kind or read.how == "joined":
                break
            nxt = chain[-1] if chain else known
            between = sentence[read.number.end : nxt.first]
            words = [t for t in between if t.kind == "w" and t.text not in cues.AND]
            commas = sum(t.text in (",", "،") for t in between)
            if (
                commas != 1
                or len(words) > JOINED_WORDS
                or any(t.kind == "p" and t.text not in (",", "،") for t in between)
                or any(t.text in cues.AFTER or t.text in cues.BEFORE for t in words)
            ):
                break
            chain.append(read)
        if not chain:
            continue
        first = chain[-1]
        total = known.number.value + sum(r.number.value for r in chain)
        first.number = Number(total, first.number.start, known.number.end)
        first.kind, first.how, first.last = known.kind, known.how, known.last
        first.qualifier = first.qualifier or known.qualifier
        first.update = known.update
        for read in (*chain[:-1], known):
            read.kind, read.how = "", "joined"


def _merge(left: Read, right: Read, known: Read) -> None:
    total = Number(left.number.value + right.number.value, left.number.start, right.number.end)
    left.kind, left.how, left.number = known.kind, known.how, total
    left.last = max(right.last, left.last)
    left.qualifier = left.qualifier or right.qualifier
    right.kind, right.how = "", "joined"


def told_as_addition(sentence: list[Token], read: Read) -> bool:
    """Whether the sentence up to the end of the figure's clause tells it as an addition."""
    end = read.last
    while end < len(sentence) and not is_clause_end(sentence[end]):
        end += 1  # "... في الغارة نفسها" (in the same strike), after the figure
    words = [t.text for t in sentence[:end] if t.kind == "w"]
    if any(w in ALSO for w in words):
        return True
    return any(tuple(words[i : i + 2]) in ALSO_PAIRS for i in range(len(words) - 1))


def add_up(candidates: list[Candidate]) -> list[Candidate]:
    """Each figure told as an addition, added to the last figure of its kind and tier before
    it in the same or the previous sentence (in reading order)."""
    out: list[Candidate] = []
    last: dict[tuple[str, int], int] = {}
    for candidate in candidates:
        key = (candidate.kind, candidate.tier)
        at = last.get(key)
        if (
            candidate.adds
            and at is not None
            and (candidate.sentence - out[at].sentence <= 1)
            and not candidate.update
        ):
            before = out[at]
            candidate = replace(
                candidate,
                count=before.count + candidate.count,
                qualifier=before.qualifier or candidate.qualifier,
                update=before.update,
            )
        last[key] = len(out)
        out.append(candidate)
    return out


def pronoun_count(sentence: list[Token], at: int, reads: list[Read]) -> Number | None:
    """ "... three members ... and later killed them": the count of the last number before
    the pronoun at sentence[at] (None when there is none)."""
    if sentence[at].text not in PRONOUNS:
        return None
    before = [r for r in reads if r.number.end <= at]
    if not before:
        return None
    return Number(before[-1].number.value, at, at + 1)

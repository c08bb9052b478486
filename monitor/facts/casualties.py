"""Casualty figures of an article's own event: killed, injured, kidnapped, displaced.

How a figure is read (vocabulary in cues.py, numbers in numbers.py):
- A number is a count when words next to it say what it counts: a verb or action noun before
  it ("killed at least 32 people", "killing 5 and wounding 20", "قتل 15 شخصا", "مقتل ١٥
  مدنيا", "tuant 5"), a participle, adjective or noun after it within a few words ("32 people
  were killed", "5 dead", "15 morts", "15 قتيلا"), or a toll phrase ("the death toll rose to
  12", "ارتفعت حصيلة القتلى إلى 12"; Turkish "12 kişi yaralandı", "ölü sayısı 19'a
  yükseldi"). "a woman was killed" is one; "مقتل شخصين" is two. An aside may stand between a
  count and its verb ("At least 12 civilians, including four children, were killed").
  Numbers joined by "and" under one verb add up ("killed 12 civilians and 20 militants": 32);
  so do parts by side or in a list, figures told as an addition over sentences ("were also
  killed"), and a pronoun counts what was counted before it (sums.py).
- Not counts: years, dates, ages, distances, durations ("3 days", "12-year-old"); vague plurals
  ("dozens", "hundreds", "عشرات"). A negation gives NO figure ("no one was killed", "no
  casualties"): the article reports no count, and a rule's minimum is not met by zero.
- A range ("between 10 and 15", "10 to 15", "10-15") is its lower bound, "at least 10": the
  most the words prove.
- Whose event: a figure in a clause that speaks of history or of another event ("since 2011,
  500,000 have died", "the war has killed more than 350,000", "last month's attack killed 40")
  is dropped; "since Tuesday", "since the offensive began" is the event's own running toll,
  kept. A perpetrator's claim ("claimed responsibility ... saying the blast killed 50")
  or a separate incident ("elsewhere", "in a separate attack") counts only when the article
  gives nothing better.
- Of what is left, per kind: the last "rose to" / "climbed to" / "revised to" figure in reading
  order (title first) supersedes; without one, the highest by what it proves (Figure.minimum).
"""

from __future__ import annotations

from monitor.facts import cues, seizures
from monitor.facts.figures import KINDS, MAX_FIGURE_TEXT, QUALIFIERS, Casualties, Figure
from monitor.facts.numbers import Number, read_number
from monitor.facts.sums import Candidate, Read, add_up, join, pronoun_count, told_as_addition
from monitor.facts.tokens import Token, is_clause_end, sentences, tokens
from monitor.facts.tolls import toll

MAX_TITLE = 1_000  # characters of the title read
MAX_TEXT = 20_000  # characters of the text read (~3,000 words): the toll is near the top
# What is read for the cues of whose event a figure is: tokens before it (in its sentence,
# after the figure before it) and after it, to its clause's end
WINDOW_BEFORE, WINDOW_AFTER = 40, 20
MAX_CANDIDATES = 100  # figures read at most: a report gives a handful; a page of them, stop
__all__ = ["KINDS", "QUALIFIERS", "Casualties", "Figure", "FiguresOf", "casualties"]


def casualties(title: str, text: str) -> Casualties:
    """The figures of the article's own event (see the module docstring for the rules)."""
    found: list[Candidate] = []
    count = 0
    for segment in (title[:MAX_TITLE], text[:MAX_TEXT]):
        for sentence in sentences(tokens(segment)):
            found.extend(_read_sentence(segment, sentence, len(found), count))
            count += 1
            if len(found) >= MAX_CANDIDATES:
                break
    found = add_up(found)
    chosen = {kind: _choose([c for c in found if c.kind == kind]) for kind in KINDS}
    return Casualties(**chosen)


def _choose(candidates: list[Candidate]) -> Figure | None:
    if not candidates:
        return None
    best_tier = min(c.tier for c in candidates)
    pool = [c for c in candidates if c.tier == best_tier]
    updates = [c for c in pool if c.update]
    if updates:
        pick = max(updates, key=lambda c: c.order)
    else:
        pick = max(pool, key=lambda c: (_figure(c).minimum(), c.count, -c.order))
    return _figure(pick)


def _figure(candidate: Candidate) -> Figure:
    return Figure(candidate.kind, candidate.count, candidate.qualifier, candidate.text)


def _read_sentence(segment: str, sentence: list[Token], order: int, at: int
                   ) -> list[Candidate]:
    reads = _numbers(segment, sentence)
    starts = {r.number.start for r in reads}
    for read in reads:
        if read.first and sentence[read.first - 1].text in cues.PARTICIPLES:
            # Turkish: the verb at the end decides ("yaralanan 3 kişi de hayatını kaybetti":
            # three of the wounded died); the participle before only when there is none
            _kind_after(sentence, read, starts) or _kind_before(sentence, read)
        else:
            _kind_before(sentence, read) or _kind_after(sentence, read, starts)
    join(sentence, reads)
    out: list[Candidate] = []
    previous_end = 0
    for read in reads:
        if not read.kind:
            continue
        begin = max(previous_end, read.first - WINDOW_BEFORE)
        window = sentence[begin:_clause_end(sentence, read.last)]
        previous_end = read.last
        said = " ".join(t.text for t in window)
        if cues.HISTORY.search(said) or cues.CLAIMS.search(said):
            continue
        start, end = sentence[read.first].start, sentence[read.last - 1].end
        out.append(Candidate(read.kind, read.number.value, read.qualifier, start, end,
                             order + len(out), 1 if cues.WEAKER.search(said) else 0,
                             read.update, segment[start:end][:MAX_FIGURE_TEXT], at,
                             told_as_addition(sentence, read)))
    return out


def _clause_end(sentence: list[Token], at: int) -> int:
    """The end of the clause a figure ends in, looked for at most WINDOW_AFTER tokens on."""
    for index in range(at, min(len(sentence), at + WINDOW_AFTER)):
        if is_clause_end(sentence[index]):
            return index
    return min(len(sentence), at + WINDOW_AFTER)


def _numbers(segment: str, sentence: list[Token]) -> list[Read]:
    """Every count-like number of the sentence, with its qualifier, in order."""
    out: list[Read] = []
    index = 0
    while index < len(sentence):
        number = _number_at(sentence, index)
        if number is None and index and sentence[index - 1].text in cues.BEFORE and (
                index + 1 >= len(sentence) or sentence[index + 1].kind != "n"):
            number = pronoun_count(sentence, index, out)  # "and later killed them"
        if number is None:
            index += 1
            continue
        number = _and_one_more(sentence, number)
        qualifier, first = _qualifier(sentence, number.start)
        number, qualifier = _range(segment, sentence, number, qualifier, first)
        if number.about and not qualifier:
            qualifier = "about"
        if not qualifier:
            qualifier = _qualifier_after(sentence, number.end)
        out.append(Read(number, qualifier, first, number.end))
        index = max(number.end, index + 1)
    return out


def _number_at(sentence: list[Token], index: int) -> Number | None:
    token = sentence[index]
    before = sentence[index - 1].text if index else ""
    if token.kind == "w" and token.text in cues.ARTICLES_OF_ONE:
        if before in cues.NEGATORS:
            return None
        persons = cues.ARTICLES_OF_ONE[token.text]
        for ahead in range(index + 1, min(len(sentence), index + 4)):
            if sentence[ahead].kind == "p":
                break
            if sentence[ahead].text in persons:
                return Number(1, index, ahead + 1)
    if token.kind == "w" and token.text in cues.PERSON_DUALS:
        return Number(2, index, index + 1)
    if token.kind == "w" and token.text in cues.DUALS:
        return Number(2, index, index)  # the noun is both count and kind: see _kind_after
    if token.kind == "w" and token.text in cues.PERSONS and before in cues.BEFORE and (
            _arabic(before)):
        return Number(1, index, index + 1)  # "مقتل شخص": one
    number = read_number(sentence, index)
    if number is None or number.value == 0 or before in cues.NOT_COUNT_BEFORE:
        return None
    if number.value == 1 and before in cues.NEGATORS:
        return None  # "no one"
    after = sentence[number.end].text if number.end < len(sentence) else ""
    if after.split("-")[0] in cues.UNITS:
        return None
    if before in (",", "،") and after in (",", "،", "and", "who", "was", "is", "et"):
        return None  # an age: "Matt Tonroe, 33, was killed"; "Two boys, 12 and 14, were"
    if token.kind == "n" and token.text.isdigit() and 1900 <= number.value <= 2100 and (
            before in cues.YEAR_BEFORE or before in cues.UNITS or after in (",", "")):
        return None
    return number


def _and_one_more(sentence: list[Token], number: Number) -> Number:
    """Arabic glues "and" to a person after a count: "مقتل طفلين وامرأة" (two children and
    a woman) is three."""
    after = sentence[number.end].text if number.end < len(sentence) else ""
    if len(after) > 2 and after[0] == "و" and after[1:] in cues.PERSONS and _arabic(after):
        return Number(number.value + 1, number.start, number.end + 1, number.about)
    return number


def _qualifier(sentence: list[Token], at: int) -> tuple[str, int]:
    """The qualifier written just before tokens[at], and where it starts."""
    if at == 0 or sentence[at - 1].text not in cues.QUALIFIER_ENDS:
        return "", at
    for phrase, norm in cues.QUALIFIERS:
        begin = at - len(phrase)
        if begin >= 0 and tuple(t.text for t in sentence[begin:at]) == phrase:
            return norm, begin
    return "", at


def _qualifier_after(sentence: list[Token], at: int) -> str:
    for offset in range(3):
        pair = tuple(t.text for t in sentence[at + offset:at + offset + 2])
        if pair in cues.AFTER_QUALIFIERS:
            return cues.AFTER_QUALIFIERS[pair]
    if at < len(sentence) and sentence[at].text == "fazla":  # "80 binden fazla"
        return "more than"
    return ""


def _range(segment: str, sentence: list[Token], number: Number, qualifier: str, first: int
           ) -> tuple[Number, str]:
    """"between 10 and 15", "10 to 15", "10-15": the lower bound, "at least"."""
    end = number.end
    if end >= len(sentence) or (first and sentence[first - 1].text in cues.RANGE_NOT_AFTER):
        return number, qualifier
    gap = segment[sentence[end - 1].end:sentence[end].start].strip()
    join = end
    if sentence[end].text in cues.RANGE_JOIN and sentence[end].kind == "w":
        join = end + 1
    elif gap not in ("-", "–"):
        return number, qualifier
    if join >= len(sentence):
        return number, qualifier
    upper = read_number(sentence, join)
    if upper is None or upper.value <= number.value:
        return number, qualifier
    said_between = first and sentence[first - 1].text in cues.RANGE_START
    if sentence[end].text in ("and", "et", "و") and not said_between:
        return number, qualifier
    return Number(number.value, number.start, upper.end), qualifier or "at least"


def _kind_before(sentence: list[Token], read: Read) -> bool:
    at = read.first - 1
    if at < 0:
        return False
    word = sentence[at].text
    if word in cues.DETERMINERS and at and sentence[at - 1].text in cues.BEFORE:
        at, word = at - 1, sentence[at - 1].text  # "killing its two pilots"
    elif word not in cues.BEFORE and _arabic(word):
        for gap in range(at - 1, max(-1, at - 3), -1):  # VSO: "اختطف مسلحون مجهولون ستة"
            if sentence[gap].kind != "w":
                break
            if sentence[gap].text in cues.BEFORE:
                at, word = gap, sentence[gap].text
                break
    if word in cues.BEFORE:
        if any(t.text in cues.NEGATORS for t in sentence[max(0, at - 2):at]):
            return False  # "we have not killed a single civilian"
        read.kind, read.how, read.first = cues.BEFORE[word], "before", at
        _take_noun(sentence, read)
        return True
    if word in seizures.TAKE and _counts_people_taken(sentence, read):
        read.kind, read.how, read.first = cues.KIDNAPPED, "before", at  # "seized two aid workers"
        _take_noun(sentence, read)
        return True
    if word not in cues.BEFORE_PHRASE_ENDS:
        return toll(sentence, read)
    for phrase, kind in cues.BEFORE_PHRASES:
        begin = at + 1 - len(phrase)
        if begin >= 0 and tuple(t.text for t in sentence[begin:at + 1]) == phrase:
            if phrase == ("forced",):
                return False  # "forced N to flee": read after the number
            read.kind, read.how, read.first = kind, "before", begin
            _take_noun(sentence, read)
            return True
    return toll(sentence, read)


def _counts_people_taken(sentence: list[Token], read: Read) -> bool:
    """After a verb of taking, a count of people, not of things, and not by the state."""
    after = sentence[read.number.end : read.number.end + 3]
    return any(t.text in seizures.PEOPLE for t in after) and not seizures.by_the_state(
        sentence, read.first - 1)


def _take_noun(sentence: list[Token], read: Read) -> None:
    """Quote the counted noun too: "killed at least 32 people"."""
    if read.last < len(sentence) and sentence[read.last].kind == "w" and (
            sentence[read.last].text not in cues.AND):
        read.last += 1


def _kind_after(sentence: list[Token], read: Read, starts: set[int]) -> bool:
    if read.number.start == read.number.end:  # an Arabic dual noun: "قتيلان"
        read.kind, read.how = cues.DUALS[sentence[read.number.start].text], "after"
        read.last = read.number.start + 1
        return True
    index, words = read.number.end, 0
    while index < len(sentence) and words <= cues.FILLER:
        token = sentence[index]
        if token.kind == "p" and token.text in ",،":
            index = _aside_end(sentence, index)
            if index < 0:
                return False
            continue
        family = _of_one_family(sentence, index)
        if family:  # "Five members of one family ... were killed"
            index += family
            continue
        if token.kind != "w" or index in starts or token.text in cues.NOT_PEOPLE:
            return False
        if token.text in cues.AFTER:
            if token.text in cues.ATTRIBUTIVE and not _counts_people(sentence, index + 1):
                return False  # "150 dead mullet"
            read.kind, read.how, read.last = cues.AFTER[token.text], "after", index + 1
            return True
        if token.text in cues.BEFORE or token.text in cues.NEGATORS or token.text in cues.SUBSET:
            return False  # "Two paramedics were among those killed": a part, not the toll
        index, words = index + 1, words + 1
    return False


def _of_one_family(sentence: list[Token], at: int) -> int:
    """How many tokens of "of one family", "d'une même famille", "من عائلة واحدة" start at
    `at` (0 for none): a family named after a count, not a second count."""
    for phrase in cues.ONE_FAMILY:
        if tuple(t.text for t in sentence[at : at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _counts_people(sentence: list[Token], at: int) -> bool:
    """After "dead"/"wounded": the end, punctuation, a word of people, or a word that is
    not a noun (a preposition, a verb's auxiliary) — anything but another noun."""
    if at >= len(sentence) or sentence[at].kind != "w":
        return True
    word = sentence[at].text
    return word in cues.PEOPLE or word in cues.FUNCTION_WORDS


def _aside_end(sentence: list[Token], comma: int) -> int:
    """Past an aside between a count and its verb (", including four children,"); -1 when
    the comma opens none."""
    opener = sentence[comma + 1].text if comma + 1 < len(sentence) else ""
    pair = " ".join(t.text for t in sentence[comma + 1:comma + 3])
    if opener not in cues.ASIDES and pair not in cues.ASIDES and not _of_them(sentence, comma):
        return -1
    for index in range(comma + 1, min(len(sentence), comma + 2 + cues.ASIDE_WORDS)):
        token = sentence[index]
        if token.kind == "p":
            return index + 1 if token.text in ",،" else -1
    return -1


def _of_them(sentence: list[Token], comma: int) -> bool:
    """", six of them children,": an aside that opens with a count of a part."""
    number = read_number(sentence, comma + 1) if comma + 1 < len(sentence) else None
    if number is None:
        return False
    words = tuple(t.text for t in sentence[number.end : number.end + 2])
    return words in cues.OF_THEM


def _arabic(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


class FiguresOf:
    """An article's figures, read on first use and then kept: the matcher asks for them only
    when a rule with a minimum fires, the alert carries them, and either way they are read
    once per article however many rules ask."""

    __slots__ = ("_title", "_text", "_read")

    def __init__(self, title: str, text: str) -> None:
        self._title, self._text = title, text
        self._read: Casualties | None = None

    def __call__(self) -> Casualties:
        if self._read is None:
            self._read = casualties(self._title, self._text)
        return self._read

"""Whether a text reports an event as happening, or only names it.

An event phrase ("suicide attack", "airstrikes", "clashes") is often written about an event
that did not happen, or not now: a denial ("Moscow denied that its jets bombed the
hospital"), a foiled or planned attack ("foiled a suicide attack", "is preparing an
offensive"), a threat or a fear ("threatened to launch a ground offensive", "warned of
renewed clashes", "airstrikes could resume"), the past as background ("the 2016 suicide
bombing", "the anniversary of the bombing", "a trial over the bombing", "freed after three
years held captive"), or another sense of the word ("security forces clashed with
protesters" is a protest met with force; "police found a suicide vest" is a weapon found).
Conflict analysts record none of these as the event (ACLED's rule, and the facts set's).

The cues are read in the phrase's own clause: the words before it back to the clause's start
(a comma, a semicolon, "but", "after"...), and a few after it, since Turkish puts its verb
last ("... bombaladığı iddialarını yalanladı") and English has passives ("the attack was
foiled"). A denial one clause away does not undo a report ("Rescuers said warplanes struck
the bakery. Russia denied its jets were involved": struck is reported). A type counts when at
least one of its phrases is reported.

One precedence rule between types, ACLED's: a bomb a suicide bomber sets off is a suicide
bombing, not a remote explosive, so a remote-explosive phrase in a sentence that reports a
suicide bombing ("a suicide bomber detonated an explosive-laden truck") does not count.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from monitor.facts.senses import OTHER_SENSE, RELEASED, RELEASED_AFTER
from monitor.facts.tokens import SENTENCE_ENDS, Token, fold, folded_words, is_clause_end, tokens

BEFORE_WORDS = 12  # words of the clause read before a phrase
AFTER_WORDS = 6  # and after it (Turkish verbs, English passives)
YEAR_GAP = 3  # a year this close to the phrase dates it: "the 2016 suicide bombing"


# Before the phrase, in its clause, two kinds of cue. SETTLED: the event was foiled, or is
# the past being commemorated or judged; nothing undoes these.
SETTLED = folded_words(
    "foiled foil foils thwarted thwart averted prevented prevent preventing would-be"
    " anniversary commemorate commemorated commemorating commemoration memorial remembered"
    " remember trial sentenced convicted court avoid avoided avoiding recruiting recruited"
    " recruit recruits recruitment",
    "déjoué déjouée déjoués déjouer empêché empêcher évité éviter anniversaire commémoration"
    " commémoré procès jugé condamné condamnés recruté recrutait recrutement",
    "أحبطت أحبط إحباط تحبط يحبط منعت ذكرى محاكمة محكمة بتهمة تجنيد",
    # a work about the event: "the story of a suicide bomber's mother", "recalls the shelling"
    "movie documentary novel book memoir exhibition recalls recalling"
    " documentaire roman livre exposition فيلم رواية كتاب معرض belgesel kitap sergi",
)
# ATTITUDE: someone denies, plans, threatens, fears, expects or supposes the event. These
# hold unless the phrase is definite ("warned that the airstrikes could amount to war
# crimes", "vowed to retaliate for the shelling", "denied carrying out the strike": the
# event is presupposed), or is what someone wants stopped ("would stop rocket attacks"), or,
# for a denial, the sentence reports its victims.
ATTITUDE = folded_words(
    "denied denies deny denying denial rejected rejecting rejects dismissed refuted plans"
    " planned planning plan"
    " plot plotted plotting plots preparing prepares threatened threatens threatening threat"
    " threats warned warns warning warnings fear fears feared fearing could would might"
    " will vowed vows pledged possible potential imminent expect expects expected",
    "démenti démentent dément démentait nié nie nient nier menacé menace menaces menaçant"
    " menacent averti avertit craint craignent crainte craintes prépare préparent préparait"
    " préparer projet projetait planifiait pourrait pourraient",
    "التخطيط تخطيط نفت نفى تنفي ينفي نفي هددت هدد تهدد يهدد تهديد تهديدات حذرت حذر تحذر"
    " يحذر تحذير تخشى يخشى مخاوف تستعد يستعد تعتزم يعتزم تخطط يخطط مخطط محتمل محتملة",
    "olası muhtemel",
)
BEFORE = SETTLED | ATTITUDE
# A phrase with its own article is a known event: "the airstrikes", "la frappe".
DEFINITE = folded_words("the this these le la les cette ces")
DEFINITE_GAP = 3  # the article and the words before the phrase: "the latest Russian strikes"
# Two-word cues before the phrase.
BEFORE_PAIRS = frozenset(
    tuple(fold(w) for w in pair.split())
    for pair in (
        "ready to",
        "set to",
        "mis en garde",
        "met en garde",
        "is expected",
        "are expected",
        "va lancer",
        "vont lancer",
        "plot to",
        "plan to",
        "plans to",
        "no more",
        "before he",
        "before she",
        "before they",
        "before it",
        "avant qu'il",
        "avant qu'ils",
        "avant qu'elle",
        "avant de",
        # the event is what someone is suspected or accused of: "arrested four men suspected
        # of kidnapping a merchant" (the news is the arrest)
        "suspected of",
        "accused of",
        "charged with",
        "soupçonné de",
        "soupçonnés de",
        "accusé de",
        "accusés de",
        # the past as a span: "years of fighting", "des années de combats"
        "years of",
        "decades of",
        "années de",
        "décennies de",
        "سنوات من",
        "yıllardır süren",
        "yıllar süren",
    )
)
# Between an attitude cue and the phrase, a renewal: "يخشى الأهالي من تجدد الاشتباكات" (the
# Arabic article is generic there, not a known event).
RENEWAL = folded_words("renewed renewal resumption return تجدد استئناف عودة reprise regain")
# Between such a cue and the phrase, these say the event is real and ongoing: "would stop
# rocket attacks", "vowed to end the shelling".
PRESUPPOSE = folded_words(
    "stop stopping halt halting end ending cease curb arrêter mettre fin"
    " cesser وقف لوقف إيقاف durdurmak"
)
# A denied phrase still counts when the same sentence reports its victims: "denied that its
# aircraft had struck the village, where activists said dozens of civilians had died".
VICTIMS = folded_words(
    "died dead killed wounded injured victims casualties morts tués blessés"
    " victimes قتلى قتيلا جرحى ضحايا öldü yaralandı"
)
DENIAL = folded_words(
    "denied denies deny denying denial démenti démentent dément nié nie nient نفت نفى تنفي ينفي نفي"
)
# Right before the phrase, a negation: "no clashes were reported", "aucun affrontement".
NEGATION = folded_words("no not never n't without nor aucun aucune sans لا لم لن دون بدون")
NEGATION_GAP = 3
ANY = folded_words("any أي hiçbir")
# After the phrase, in its clause: a passive of the same ("the attack was foiled"), or the
# Turkish verb at the clause's end.
AFTER = folded_words(
    "foiled thwarted averted prevented denied feared planned threatened expected",
    "déjoué déjouée déjoués déjouées évité évitée empêché",
    "yalanladı yalanlandı reddetti iddia iddiası iddialarını iddiaları önledi önlendi"
    " engellendi engelledi hazırlığındaki hazırlığında hazırlanan hazırlanıyor planlanan"
    " planlıyor tehdit tehdidi tehdidinde uyarısında uyardı uyarıda anıldı anma anması"
    " dönümünde yıldönümünde dava davası davasında mahkeme yargılanan serbest olmadı"
    " planlayan planladığı hazırlayan sanık sanığa sanıklar hapis müebbet",
)
# Right after an indefinite phrase, a modal: "clashes could resume" (not "the airstrike
# could amount to a war crime": that one happened; French "les combats pourraient reprendre"
# is generic, so only the English article counts here).
DEFINITE_EN = folded_words("the this these")
MODAL_AFTER = folded_words("could would might may will pourrait pourraient risque risquent")
# Turkish modal and future endings on the clause's verb: "başlatabileceği", "başlatacak".
AFTER_ENDINGS = tuple(
    fold(e)
    for e in (
        "abilir",
        "ebilir",
        "abileceği",
        "ebileceği",
        "abileceğini",
        "ebileceğini",
        "acağını",
        "eceğini",
        "acak",
        "ecek",
    )
)
# Words that end the clause a cue is read in.
CLAUSE_WORDS = folded_words(
    "but while after as when whereas although though since because meanwhile and"
    " mais alors après lorsque tandis quand depuis car لكن ولكن بينما فيما بعد حين عندما"
    " ancak fakat ama ise",
)
CLAUSE_MARKS = frozenset(';:,،؛()[]—–"“”«»')
# A type that makes another not count in its sentence (ACLED: a suicide car bomb is a
# suicide bomb).
# ... and a missile or rocket phrase that is part of an air strike's wording ("Israeli
# missiles hit", "warplanes fired missiles": the phrases overlap) is the air strike:
# (rival, words at most between; -1: the phrases must overlap).
OUTRANKS = {"remote explosive": ("suicide bombing", 6), "shelling": ("airstrike", -1)}
# Missiles that air defences met are an air strike's weapons when the text reports one
# ("Israel struck targets near Damascus ... air defences intercepted most of the missiles").
# ("الدفاع المدني", civil defence, is no air defence: the two words must stand together).
AIR_DEFENCES = folded_words(
    "defences defenses défense défenses الدفاع الدفاعات دفاعنا دفاعاتنا savunma"
)
AIR = folded_words("air anti-aircraft aérienne aériennes antiaérienne الجوي الجوية hava")
SEQUENCE = folded_words(
    "followed preceded then later suivie suivi puis ثم تلاه تبعه ardından sonra"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
DATED_WORDS = 16  # the rest of the clause read for a date
DATING = folded_words("in since en depuis منذ عام")
MONTHS = folded_words(
    "january february march april may june july august september october november december"
    " janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)


class Reading:
    """One text, tokenized once, asked about each phrase found in it."""

    def __init__(self, text: str) -> None:
        self.tokens: list[Token] = tokens(text)
        self._starts = [t.start for t in self.tokens]

    def _span(self, start: int, end: int) -> tuple[int, int]:
        first = bisect.bisect_left(self._starts, start)
        last = max(first, bisect.bisect_left(self._starts, end))
        return first, last

    def sentence(self, start: int) -> int:
        """Where the sentence holding offset `start` begins (a token index)."""
        index = bisect.bisect_left(self._starts, start)
        while index > 0:
            token = self.tokens[index - 1]
            if token.kind == "p" and token.text in SENTENCE_ENDS:
                break
            index -= 1
        return index

    def reported(self, start: int, end: int, event: str = "") -> bool:
        """Whether the phrase at text[start:end] reports its event as happening."""
        first, last = self._span(start, end)
        before = self._clause_before(first)
        after = self._clause_after(last)
        words = [_bare(t.text) for t in before]
        cue = _last_cue(words)
        if cue >= 0 and (words[cue] in SETTLED or not self._presupposed(words, cue, first, last)):
            return False
        if any(w in NEGATION for w in words[-NEGATION_GAP:]):
            return False
        if words and words[-1] in ANY and any(w in NEGATION for w in words):
            return False  # "لم تشهد الجبهات أي اشتباكات", "did not report any clashes"
        ahead = [t.text for t in after]
        if any(w in AFTER or w.endswith(AFTER_ENDINGS) for w in ahead):
            return False
        if (
            ahead
            and ahead[0] in MODAL_AFTER
            and not any(w in DEFINITE_EN for w in words[-DEFINITE_GAP:])
        ):
            return False  # "airstrikes could resume", "les combats pourraient reprendre"
        near = [t.text for t in before[-YEAR_GAP:]] + [t.text for t in after[:YEAR_GAP]]
        if any(_YEAR.fullmatch(w) for w in near):
            return False  # "the 2016 suicide bombing", "l'attentat-suicide de 2016"
        if self._dated_in_clause(last):
            return False  # "were abducted by gunmen ... in the capital in August 2016"
        other = OTHER_SENSE.get(event)
        if other and any(_bare(t.text) in other for t in (*before, *after)):
            return False
        if event == "abduction":
            opening = self.tokens[self.sentence(start) : first]
            if any(_bare(t.text) in RELEASED for t in (*opening, *after)):
                return False  # "Kidnappers released a doctor", "was freed"
            return not any(t.text in RELEASED_AFTER for t in self._rest(last))
        return True

    def joined(self, one: tuple[int, int], other: tuple[int, int], most: int) -> bool:
        """Whether two phrases stand in one clause, a few words apart, one event: "a suicide
        bomber detonated an explosive-laden truck" (not "a car bomb was followed by two
        suicide bombers")."""
        (a, b), (c, d) = sorted((one, other))
        if c < b:
            return True  # the two phrases overlap: "Israeli missiles hit"
        if most < 0:
            return False  # only an overlap counts
        between = self.tokens[b:c]
        return c - b <= most and not any(
            t.kind == "p" or t.text in CLAUSE_WORDS or t.text in SEQUENCE for t in between
        )

    def air_defences_in_sentence(self, span: tuple[int, int]) -> bool:
        """Whether the sentence of the phrase at token span `span` names air defences."""
        start = self.sentence(self.tokens[span[0]].start) if span[0] < len(self.tokens) else 0
        words = [t.text for t in self._rest(start)]
        return any(
            {a, b} & AIR_DEFENCES and {a, b} & AIR and a != b
            for a, b in zip(words, words[1:], strict=False)
        )

    def _presupposed(self, words: list[str], cue: int, first: int, last: int) -> bool:
        """Whether an ATTITUDE cue leaves the event real (see ATTITUDE)."""
        if any(w in PRESUPPOSE for w in words[cue + 1 :]):
            return True
        if any(w in RENEWAL for w in words[cue + 1 :]):
            return False
        if words[cue] in DENIAL and self._victims_after(last):
            return True
        head = self.tokens[first].text
        tail = words[max(cue + 1, len(words) - DEFINITE_GAP) :]
        return any(w in DEFINITE for w in tail) or (head.startswith(("l'", "ال")) and len(head) > 3)

    def _dated_in_clause(self, last: int) -> bool:
        """A year after "in", "en", "since" in the rest of the phrase's clause."""
        previous = ""
        for token in self.tokens[last : last + DATED_WORDS]:
            if is_clause_end(token) or token.text in CLAUSE_WORDS - DATING:
                return False
            if _YEAR.fullmatch(token.text) and (previous in DATING or previous in MONTHS):
                return True
            previous = token.text
        return False

    def _rest(self, last: int) -> list[Token]:
        """The tokens after `last` to the end of the sentence."""
        out = []
        for token in self.tokens[last:]:
            if token.kind == "p" and token.text in SENTENCE_ENDS:
                break
            out.append(token)
        return out

    def _victims_after(self, last: int) -> bool:
        for token in self.tokens[last:]:
            if token.kind == "p" and token.text in SENTENCE_ENDS:
                return False
            if token.text in VICTIMS:
                return True
        return False

    def _clause_before(self, first: int) -> list[Token]:
        out: list[Token] = []
        index = first - 1
        while index >= 0 and len(out) < BEFORE_WORDS:
            token = self.tokens[index]
            if token.kind == "p" and (token.text in SENTENCE_ENDS or token.text in CLAUSE_MARKS):
                break
            if token.kind == "w" and token.text in CLAUSE_WORDS:
                break
            out.append(token)
            index -= 1
        return out[::-1]

    def _clause_after(self, last: int) -> list[Token]:
        out: list[Token] = []
        for token in self.tokens[last : last + AFTER_WORDS]:
            if token.kind == "p" and (token.text in SENTENCE_ENDS or token.text in CLAUSE_MARKS):
                break
            if token.kind == "w" and token.text in CLAUSE_WORDS:
                break
            out.append(token)
        return out


def _last_cue(words: list[str]) -> int:
    """Where the last cue of BEFORE or BEFORE_PAIRS starts in `words`; -1 for none."""
    for index in range(len(words) - 1, -1, -1):
        if (
            words[index] in BEFORE
            or tuple(words[index : index + 2]) in BEFORE_PAIRS
            or tuple(words[index : index + 3]) in BEFORE_PAIRS
        ):
            return index
    return -1


def _bare(word: str) -> str:
    """An Arabic word without a clitic و or ف before it: "وأحبطت" is "أحبطت"."""
    if len(word) > 3 and word[0] in "وف" and "\u0600" <= word[1] <= "\u06ff":
        bare = word[1:]
        return bare if bare in BEFORE or bare in NEGATION or bare in RELEASED else word
    return word


def reported_types(text: str, hits: Iterable[tuple[str, int, int]]) -> set[str]:
    """The event types of `hits` ((type, start, end) into `text`) that the text reports as
    happening: at least one reported phrase, and no outranking type reported in its
    sentence."""
    reading = Reading(text)
    reported: dict[str, list[tuple[int, int]]] = {}
    for event, start, end in hits:
        if reading.reported(start, end, event):
            reported.setdefault(event, []).append(reading._span(start, end))
    out = set()
    for event, where in reported.items():
        name, most = OUTRANKS.get(event, ("", 0))
        rival = reported.get(name, [])
        if rival and all(any(reading.joined(a, b, most) for b in rival) for a in where):
            continue
        if rival and all(reading.air_defences_in_sentence(a) for a in where):
            continue
        out.add(event)
    return out

"""Abductions told with a common verb: "gunmen seized two aid workers", "snatched a
pharmacist", "took 30 passengers hostage", "5 çobanı alıkoydu".

Reporters write an abduction with the verbs of taking as often as with "kidnap": what makes
"seized" an abduction is its object, people ("seized the town" is territory, "seized weapons"
a haul), and its taker, not the state ("police seized two men" is an arrest, coded apart). No
fixed phrase can say "a verb of taking, then within a few words a person", so this reads the
tokens; the event catalog's abduction phrases cover the rest.
"""

from __future__ import annotations

from monitor.facts import cues
from monitor.facts.tokens import Token, folded_words, is_clause_end, tokens

TAKE = folded_words(
    "seized seize seizes seizing snatched snatch snatches snatching grabbed dragged",
    "اقتاد اقتادت اقتادوا",
    "alıkoydu alıkoydular alıkonuldu",
)
HOSTAGE = folded_words("hostage hostages otage otages rehin rehine")
HOLD = folded_words(
    "took taken take takes taking held holding hold holds seized pris prise prises"
    " retenu retenus retenue retenues détenu détenus aldı aldılar alındı"
)
# People an abductor takes, beyond the casualty reader's words for persons.
PEOPLE = (
    cues.PEOPLE
    | cues.PERSONS
    | folded_words(
        "hunters herders shepherds traders merchants businessmen pharmacist pharmacists"
        " engineers engineer doctors nurses teachers journalists activists priests priest"
        " nuns truck drivers lorry motorists travellers travelers farmers employees staff"
        " youths youth boys girls brothers sons relatives man's",
        "شابا شبان شبانا مدنيين مدنيا أطفال طفلا نساء رجال عمال مواطنين أشخاص شخصا طبيبا",
    )
)
# Turkish objects, in the accusative, stand before the verb.
PEOPLE_BEFORE = folded_words(
    "çobanı çobanları sivili sivilleri kişiyi kişileri işçiyi işçileri"
    " gazeteciyi gazetecileri askeri askerleri çocuğu çocukları"
)
# French participles of abduction after the person taken ("un troisième enlevé"); the
# catalog has "enlevé par", "ont été enlevés".
TAKEN = folded_words("enlevé enlevée enlevés enlevées kidnappé kidnappée kidnappés kidnappées")
ORDINALS = folded_words("troisième deuxième second seconde quatrième cinquième autre autres")
# A passive of taking, then its taker: "taken from his home by gunmen", "emmené par des
# hommes armés" (the catalog has "seized by gunmen" word for word).
TAKEN_BY = folded_words("taken snatched grabbed dragged emmené emmenés emmenée emmenées")
BY = folded_words("by par")
ABDUCTORS = folded_words(
    "gunmen militants assailants kidnappers men attackers abductors gang inconnus hommes ravisseurs"
)
ARMED = folded_words("armed masked unknown unidentified des")
# The verb took something else: "seized control of", "seized weapons".
THINGS = cues.NOT_PEOPLE | folded_words(
    "control weapons arms ammunition town village city positions position base areas area"
    " hill airport checkpoint territory oil wheat assets property documents"
)
# The state's takers: their seizing is an arrest.
STATE = folded_words(
    "police policemen security forces army troops authorities intelligence"
    " gendarmerie soldiers officers الشرطة الأمن الأمنية القوات polis jandarma"
    " güvenlik asker askerler"
)
# A verb of leading or carrying with "away"/"off" is a verb of taking: "led away three
# passengers at gunpoint", "took away two men".
LEAD = folded_words("led took carried drove whisked hauled")
AWAY = folded_words("away off")
# Held by an armed group that is not the state: ACLED codes it as an abduction (a
# detention by the state is an arrest): "احتجازهم لدى حاجز تابع لهيئة تحرير الشام".
DETAIN = folded_words(
    "detained detain detains detaining detention held arrested",
    "détenu détenus détenue détenues arrêté arrêtés",
    "احتجاز احتجازهم احتجازه احتجازها احتجزت احتجز اعتقال اعتقلت اعتقل",
    "gözaltına",
)
NON_STATE = folded_words(
    "gunmen militants militiamen jihadists jihadistes kidnappers hts isis daesh"
    " هيئة لهيئة الهيئة داعش لداعش تنظيم مسلحون مسلحين مجهولون",
)
OBJECT_WORDS = 5  # words between the verb and the person taken
TAKER_WORDS = 6  # words before the verb read for who took


def abductions(text: str) -> list[tuple[int, int]]:
    """Spans of `text` (start, end) that tell an abduction with a verb of taking."""
    found: list[tuple[int, int]] = []
    items = tokens(text)
    for index, token in enumerate(items):
        if token.kind != "w":
            continue
        lead = token.text in AWAY and index > 0 and items[index - 1].text in LEAD
        if (token.text in TAKE or lead) and not by_the_state(items, index):
            person = _person_after(items, index) or _person_before(items, index)
            if person is not None:
                found.append((min(token.start, person.start), max(token.end, person.end)))
        elif token.text in TAKEN and _person_before(items, index, PEOPLE | ORDINALS):
            found.append((token.start, token.end))  # "un troisième enlevé"
        elif (
            token.text in TAKEN_BY
            and _by_abductors(items, index)
            and _person_before(items, index, PEOPLE)
        ):
            found.append((token.start, token.end))  # "taken from his home by gunmen"
        elif _detention(token.text) and _held_by_armed_group(items, index):
            found.append((token.start, token.end))
        elif token.text in HOSTAGE:
            for back in range(index - 1, max(-1, index - OBJECT_WORDS - 2), -1):
                if is_clause_end(items[back]):
                    break
                if items[back].text in HOLD:
                    found.append((items[back].start, token.end))
                    break
    return found


def _detention(word: str) -> bool:
    """A detention word, an Arabic one also with a clitic before it ("باحتجاز")."""
    return word in DETAIN or (len(word) > 4 and word[0] in "وبفل" and word[1:] in DETAIN)


def _held_by_armed_group(items: list[Token], at: int) -> bool:
    """A non-state taker in the detention's clause, a few words either way, and no state;
    "had been held by militants" is the background of a release, not news."""
    if by_the_state(items, at) or any(t.text == "had" for t in items[max(0, at - 2) : at]):
        return False
    for step in (1, -1):
        index = at + step
        while 0 <= index < len(items) and abs(index - at) <= TAKER_WORDS:
            if is_clause_end(items[index]) or items[index].text in STATE:
                break
            if items[index].text in NON_STATE:
                return True
            index += step
    return False


def _by_abductors(items: list[Token], at: int) -> bool:
    """ "taken from his home by gunmen": "by" and an abductor within a few words."""
    for index in range(at + 1, min(len(items) - 1, at + 1 + OBJECT_WORDS)):
        if is_clause_end(items[index]):
            return False
        if items[index].text in BY and items[index + 1].text in ABDUCTORS | ARMED:
            return items[index + 1].text in ABDUCTORS or (
                index + 2 < len(items) and items[index + 2].text in ABDUCTORS
            )
    return False


def _person_after(items: list[Token], at: int) -> Token | None:
    for index in range(at + 1, min(len(items), at + 1 + OBJECT_WORDS)):
        token = items[index]
        if is_clause_end(token) or token.text in THINGS or token.text in BY:
            return None  # "seized by militants": the taker, not the taken
        if token.text in PEOPLE:
            return token
    return None


def _person_before(
    items: list[Token], at: int, people: frozenset[str] = PEOPLE_BEFORE
) -> Token | None:
    """Turkish puts the object first: "5 çobanı alıkoydu"; a French participle follows its
    person: "deux tués et un troisième enlevé"."""
    return _in_clause_before(items, at, people, OBJECT_WORDS)


def by_the_state(items: list[Token], at: int) -> bool:
    return _in_clause_before(items, at, STATE, TAKER_WORDS) is not None


def _in_clause_before(
    items: list[Token], at: int, words: frozenset[str], span: int
) -> Token | None:
    """The nearest of `words` among the `span` tokens before `at`, within its clause."""
    for index in range(at - 1, max(-1, at - 1 - span), -1):
        token = items[index]
        if is_clause_end(token):
            return None
        if token.text in words:
            return token
    return None

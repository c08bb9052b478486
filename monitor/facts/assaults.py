"""Armed clashes told as an attack on soldiers: "gunmen opened fire on a bus carrying
soldiers", "une attaque des YPG contre une base", "هاجم مسلحون حاجزا للجيش".

ACLED codes an armed group's attack on a military target as a battle (armed clash), unless
the weapon makes it another type: a roadside bomb on a convoy is a remote explosive, a
suicide car bomb at a checkpoint a suicide bombing, a drone on a base an air strike. No
fixed phrase can say "an attack verb, then within a few words a military target, and no
bomb in the sentence", so this reads the tokens; the catalog's clash phrases cover the rest.
"""

from __future__ import annotations

from monitor.facts.tokens import SENTENCE_ENDS, Token, folded_words, is_clause_end, tokens

ATTACK = folded_words(
    "attacked attack attacks attacking stormed storming raided ambushed fire",
    "attaque attaques attaqué attaquée attaqués assaut",
    "هاجم هاجمت هاجموا هجوم هجوما هجمات",
    "saldırdı saldırı saldırısı saldırısında saldırıda",
)
# "opened fire" reads as an attack only with its object after "on".
MILITARY = folded_words(
    "soldiers soldier troops army military base barracks checkpoint post outpost convoy patrol"
    " garrison positions position servicemen",
    "soldats soldat militaires militaire armée base caserne poste barrage convoi patrouille"
    " positions",
    "جنود الجنود جنديا عناصر للجيش الجيش حاجز حاجزا دورية نقطة مقر ثكنة مواقع",
    "askerlere askerleri asker askeri üssüne karakol karakola konvoy konvoya devriye"
    " mevzilere mevzilerine",
)
# A weapon in the sentence makes it its own type, not a clash.
WEAPONS = folded_words(
    "bomb bombs bomber bombers ied ieds mine landmine explosive explosives suicide airstrike"
    " airstrikes drone drones warplane warplanes jets shell shells shelling rocket rockets"
    " missile missiles mortar mortars artillery strike strikes raid raids blast explosion"
    " bombing bombardment grenade grenades chemical",
    "bombe bombes kamikaze mine explosif explosifs piégée piégé drone drones frappe frappes"
    " obus roquette roquettes missile missiles mortier artillerie explosion attentat"
    " bombardement grenade",
    "عبوة ناسفة لغم مفخخة انتحاري غارة غارات مسيرة قذيفة قذائف صاروخ صواريخ هاون مدفعي"
    " انفجار تفجير قصف",
    "bomba bombalı mayın patlayıcı eyp iha siha intihar roket havan füze patlama hava topçu",
)
TARGET_WORDS = 6  # words between the attack and its target


def assaults(text: str) -> list[tuple[int, int]]:
    """Spans of `text` that tell an attack on a military target with no weapon named."""
    found: list[tuple[int, int]] = []
    items = tokens(text)
    start = 0
    for index, token in enumerate(items + [Token(".", len(text), len(text), "p")]):
        if token.kind == "p" and token.text in SENTENCE_ENDS:
            found.extend(_in_sentence(items[start:index]))
            start = index + 1
    return found


def _in_sentence(sentence: list[Token]) -> list[tuple[int, int]]:
    if any(t.text in WEAPONS for t in sentence):
        return []
    out = []
    for index, token in enumerate(sentence):
        if token.text not in ATTACK:
            continue
        if token.text == "fire" and (index == 0 or sentence[index - 1].text != "opened"):
            continue
        target = _target(sentence, index)
        if target is not None:
            out.append((token.start, target.end))
    return out


def _target(sentence: list[Token], at: int) -> Token | None:
    """The military target after the attack word, or before it for Turkish ("karakola
    saldırı")."""
    for index in range(at + 1, min(len(sentence), at + 1 + TARGET_WORDS)):
        if is_clause_end(sentence[index]):
            break
        if sentence[index].text in MILITARY:
            return sentence[index]
    if (
        at
        and sentence[at - 1].text in MILITARY
        and sentence[at - 1].text.endswith(("a", "e", "ne", "ye", "ya"))
    ):
        return sentence[at - 1]
    return None

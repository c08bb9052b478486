"""Air strikes told as an aircraft doing something: "Russian jets carried out 20 raids",
"a Turkish drone targeted a car", "استهدفت مسيّرة تركية سيارة", "Rus uçaklarının düzenlediği
saldırılarda".

Reporters name the aircraft and the verb apart, with the aircraft's nationality, type or a
number between them, and in any order (Arabic puts the verb first: "قصفت المقاتلات الروسية
البلدة"). No fixed phrase covers "an aircraft, then within a few words of its clause an
attack verb", so this reads the tokens; the catalog's airstrike phrases cover the rest. An
aircraft shot down, intercepted, crashing or only flying over is no strike: a clause that
says so is skipped.
"""

from __future__ import annotations

from monitor.facts.tokens import Token, folded_words, is_clause_end, tokens

AIRCRAFT = folded_words(
    "aircraft jet jets warplane warplanes plane planes drone drones uav uavs helicopter"
    " helicopters gunship gunships",
    "avion avions aviation drone drones hélicoptère hélicoptères chasseurs-bombardiers",
    "طائرة طائرات الطائرة الطائرات مسيرة مسيرات المسيرة المسيرات مقاتلات المقاتلات مروحية"
    " مروحيات المروحية المروحيات الطيران طيران",
    "uçak uçakları uçaklarının uçaklarınca uçağı uçağının iha siha ihalar sihalar dron"
    " helikopter helikopterler helikopterleri",
)
STRIKE = folded_words(
    "bombed bombing bombs struck strike strikes hit hits targeted targeting target pounded"
    " raided raids raid attacked fired dropped bombarded shelled",
    "bombardé bombardée bombardés bombardent frappé frappée frappent frappes visé visée"
    " visés ciblé ciblée pilonné pilonnent largué larguent attaqué raids",
    "قصفت قصف تقصف يقصف استهدفت استهدف تستهدف يستهدف شنت شن تشن يشن ضربت ألقت أغارت غارات غارة",
    "bombaladı bombalayarak bombalandı vurdu vurdular vuruldu saldırdı saldırı saldırısı"
    " saldırısında saldırılarda saldırılar saldırıda hedef düzenlediği",
)
# The aircraft did something else: shot down, intercepted, crashed, flew over, was sent.
NOT_STRIKE = folded_words(
    "shot downed down crashed crash intercepted intercept flew flying flights overflew"
    " deployed sent bought purchase scrambled reconnaissance surveillance",
    "abattu abattue abattus écrasé intercepté survolé survol déployé",
    "أسقطت أسقط إسقاط أسقطوا سقوط تحطم تحطمت اعترضت حلقت تحليق استطلاع",
    "düşürdü düşürüldü düştü düşen düşürülen düşürülmesi keşif",
)
WINDOW = 6  # words between the aircraft and its verb, either way


def air_attacks(text: str) -> list[tuple[int, int]]:
    """Spans of `text` (start, end) that tell an aircraft striking."""
    found: list[tuple[int, int]] = []
    items = tokens(text)
    for index, token in enumerate(items):
        if token.text not in AIRCRAFT:
            continue
        clause = _clause(items, index)
        if any(t.text in NOT_STRIKE for t in clause):
            continue
        verb = _verb_near(items, index)
        if verb is not None:
            found.append((min(token.start, verb.start), max(token.end, verb.end)))
    return found


def _verb_near(items: list[Token], at: int) -> Token | None:
    for step in (1, -1):
        index = at + step
        while 0 <= index < len(items) and abs(index - at) <= WINDOW:
            if is_clause_end(items[index]):
                break
            if items[index].text in STRIKE:
                return items[index]
            index += step
    return None


def _clause(items: list[Token], at: int) -> list[Token]:
    """The tokens of the clause holding items[at]."""
    start = at
    while start > 0 and not is_clause_end(items[start - 1]):
        start -= 1
    end = at
    while end < len(items) and not is_clause_end(items[end]):
        end += 1
    return items[start:end]

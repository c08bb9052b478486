"""A death toll as reporters write it: "the death toll rose to 12", "toll of 12", "ارتفعت
حصيلة القتلى إلى 12", "ölü sayısı 19'a yükseldi", "revised the figure down to 12". A toll
told with an update's verb ("rose", "revised", "raised", "ارتفع", "yükseldi") supersedes
the figures read before it (casualties.py chooses)."""

from __future__ import annotations

from monitor.facts import cues
from monitor.facts.sums import Read
from monitor.facts.tokens import Token


def toll(sentence: list[Token], read: Read) -> bool:
    """Whether the words before the number make it a toll (and of what kind)."""
    at = read.first - 1
    for gap in range(at, max(0, at - cues.TOLL_GAP - 1), -1):  # "ölü sayısı daha sonra 5'e"
        if (
            sentence[gap].text in cues.TOLL_COUNTS
            and sentence[gap].kind == "w"
            and all(t.kind == "w" for t in sentence[gap : at + 1])
        ):
            at = gap
            break
    if sentence[at].text in cues.TOLL_COUNTS and at > 0:  # Turkish: "ölü sayısı 19'a yükseldi"
        kind = cues.TOLL_KINDS.get(sentence[at - 1].text)
        if kind is None:
            return False
        after = sentence[read.number.end : read.number.end + 3]
        read.kind, read.how, read.first = kind, "toll", at - 1
        read.update = any(t.text in cues.UPDATE for t in after)
        return True
    if sentence[at].text not in cues.TOLL_TO:
        return False
    for back in range(at - 1, max(-1, at - cues.TOLL_BEFORE), -1):
        token = sentence[back]
        if token.kind == "p":
            return False
        if token.text in cues.TOLL_FIGURE:  # "revised the figure down to 12"
            verbs = {t.text for t in sentence[max(0, back - 3) : at]}
            if not verbs & (cues.UPDATE | cues.TOLL_PUT):
                return False  # "the figure of 500 was quoted": no toll
            read.kind, read.how, read.first = cues.KILLED, "toll", back
            read.update = bool(verbs & cues.UPDATE)  # "put the figure at 27": one source's
            return True
        if token.text in cues.TOLL or token.text in cues.TOLL_COUNTS:
            words = [t.text for t in sentence[max(0, back - 1) : at]]
            kinds = [
                cues.TOLL_KINDS[w] for w in words if w in cues.TOLL_KINDS and w not in cues.TOLL
            ]
            if not kinds and token.text in cues.TOLL_COUNTS:
                return False  # "the number of rockets rose to 40"
            specific = [k for k in kinds if k != cues.KILLED]
            read.kind = specific[0] if specific else cues.KILLED
            read.how, read.first = "toll", max(0, back - 1)
            read.update = any(t.text in cues.UPDATE for t in sentence[max(0, back - 2) : at])
            return True
    return False

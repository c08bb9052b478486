"""Words that give an event phrase another sense, or make an abduction a release's
background: read by facts/reported.py in the phrase's clause or sentence."""

from __future__ import annotations

from monitor.facts.tokens import folded_words

# Another sense of a type's words, when these stand in the phrase's clause.
OTHER_SENSE: dict[str, frozenset[str]] = {
    # police or troops against protesters: a protest met with force, not a battle
    "armed clash": folded_words(
        "protesters protestors demonstrators rioters fans supporters mourners students"
        " manifestants manifestantes متظاهرين المتظاهرين متظاهرون المتظاهرون محتجين المحتجين"
        " göstericiler göstericilerle protestocular protestocularla",
        # words, votes and talks: a diplomatic clash
        "diplomats diplomatic diplomatically vote talks negotiations ministers lawmakers"
        " parliament debate verbal words rhetoric diplomates diplomatique دبلوماسي دبلوماسية"
        " كلامي كلامية diplomatik sözlü verbaux verbales verbal",
    ),
    # a weapon found, seized or made safe: no explosion
    "suicide bombing": folded_words(
        "found discovered seized confiscated defused dismantled trouvé trouvée découvert"
        " découverte saisi saisie désamorcé désamorcée ضبط ضبطت عثر عثرت تفكيك ele bulundu"
        " bulunan imha"
    ),
}
OTHER_SENSE["remote explosive"] = OTHER_SENSE["suicide bombing"]
# Earlier in the sentence, these make an abduction the background of a release: "freed
# after three years held captive", "أطلقت سراح صحفي كان مختطفا".
RELEASED = folded_words(
    # verbs only: "demanded a ransom for his release" is an abduction going on
    "freed released libéré libérés libérée libérées أطلق أطلقت أفرج أفرجت serbest"
)
# Turkish tells the release last: "kaçırılan tır şoförü 10 gün sonra serbest bırakıldı".
RELEASED_AFTER = folded_words("serbest kurtarıldı")

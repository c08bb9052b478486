"""The words that tell what a number counts, how sure it is, and whose event it belongs to.

Kept apart from the reading logic (casualties.py) so that a new language is a vocabulary
change. Every word is stored folded (tokens.fold), as the reader compares them.
"""

from __future__ import annotations

import re

from monitor.facts.tokens import fold

KILLED, INJURED, KIDNAPPED, DISPLACED = "killed", "injured", "kidnapped", "displaced"


def _folded(table: dict[str, str]) -> dict[str, str]:
    return {fold(word): kind for word, kind in table.items()}


# Words AFTER a number that say what it counts: "32 people were killed", "5 dead", "15 morts",
# "15 قتيلا". Past participles, adjectives and nouns only: "5 and wounding 20" must not make
# the 5 wounded ("wounding" reads forward, see BEFORE).
AFTER = _folded({
    "killed": KILLED, "dead": KILLED, "died": KILLED, "deaths": KILLED, "fatalities": KILLED,
    "lives": KILLED, "perished": KILLED, "slain": KILLED, "executed": KILLED,
    "bodies": KILLED,
    "wounded": INJURED, "injured": INJURED, "hurt": INJURED,
    "kidnapped": KIDNAPPED, "abducted": KIDNAPPED, "hostage": KIDNAPPED,
    "displaced": DISPLACED, "fled": DISPLACED, "uprooted": DISPLACED, "flee": DISPLACED,
    "homeless": DISPLACED,
    "morts": KILLED, "mort": KILLED, "tues": KILLED, "tuees": KILLED, "tue": KILLED,
    "tuee": KILLED, "decedes": KILLED, "peri": KILLED, "victimes": KILLED,
    "blesses": INJURED, "blessees": INJURED, "blesse": INJURED, "blessee": INJURED,
    "enleves": KIDNAPPED, "enlevees": KIDNAPPED, "kidnappes": KIDNAPPED, "otage": KIDNAPPED,
    "kidnappe": KIDNAPPED, "kidnappee": KIDNAPPED, "kidnappees": KIDNAPPED, "enleve": KIDNAPPED,
    "enlevee": KIDNAPPED, "otages": KIDNAPPED,
    "deplaces": DISPLACED, "deplacees": DISPLACED, "fui": DISPLACED,
    "قتيلا": KILLED, "قتيل": KILLED, "قتلى": KILLED, "قتلوا": KILLED, "شهيدا": KILLED,
    "شهداء": KILLED, "حتفهم": KILLED, "ضحية": KILLED, "قضوا": KILLED, "حتفه": KILLED,
    "حتفها": KILLED, "حتفهما": KILLED, "مصرعهم": KILLED, "مصرعه": KILLED, "مصرعها": KILLED,
    "مصرعهما": KILLED,
    "جريحا": INJURED, "جرحى": INJURED, "جريح": INJURED, "مصابا": INJURED, "أصيبوا": INJURED,
    "جرحوا": INJURED,
    "مخطوفا": KIDNAPPED, "مختطفا": KIDNAPPED, "رهينة": KIDNAPPED,
    "اختطفوا": KIDNAPPED, "خطفوا": KIDNAPPED,
    "نازحا": DISPLACED, "نازح": DISPLACED, "نزحوا": DISPLACED, "مهجرا": DISPLACED,
    # Turkish puts the verb last: "5 sivil hayatını kaybetti", "12 kişi yaralandı"
    "öldü": KILLED, "öldürüldü": KILLED, "hayatını": KILLED, "yaşamını": KILLED,
    "şehit": KILLED, "ölü": KILLED, "yaralandı": INJURED, "yaralı": INJURED,
    "kaçırıldı": KIDNAPPED, "kaçırdı": KIDNAPPED, "rehin": KIDNAPPED, "göç": DISPLACED,
    "yerinden": DISPLACED, "kaçtı": DISPLACED,
})
# Arabic duals: the noun alone is the count ("قتيلان": two killed).
DUALS = _folded({"قتيلان": KILLED, "قتيلين": KILLED, "جريحان": INJURED, "جريحين": INJURED})

# Words BEFORE a number (its verb or action noun): "killed at least 32 people", "killing 5",
# "قتل 15 شخصا", "مقتل ١٥ مدنيا", "tuant 5".
BEFORE = _folded({
    "killed": KILLED, "killing": KILLED, "kills": KILLED, "kill": KILLED,
    "wounded": INJURED, "wounding": INJURED, "wounds": INJURED, "injured": INJURED,
    "injuring": INJURED, "injures": INJURED, "injure": INJURED,
    "kidnapped": KIDNAPPED, "kidnapping": KIDNAPPED, "kidnaps": KIDNAPPED,
    "اختطفوا": KIDNAPPED, "خطفوا": KIDNAPPED, "اختطفت": KIDNAPPED, "خطفت": KIDNAPPED,
    "abducted": KIDNAPPED, "abducting": KIDNAPPED, "abducts": KIDNAPPED,
    "displaced": DISPLACED, "displacing": DISPLACED, "displaces": DISPLACED,
    "uprooted": DISPLACED, "uprooting": DISPLACED,
    "tuant": KILLED, "tue": KILLED, "tues": KILLED, "tuee": KILLED, "tuees": KILLED,
    "blessant": INJURED, "blesse": INJURED, "blesses": INJURED,
    "enleve": KIDNAPPED, "enleves": KIDNAPPED, "enlevant": KIDNAPPED,
    "deplace": DISPLACED, "deplacant": DISPLACED,
    "قتل": KILLED, "مقتل": KILLED, "استشهاد": KILLED, "قتلت": KILLED, "ومقتل": KILLED,
    "استشهد": KILLED, "قضى": KILLED, "يقتل": KILLED, "تقتل": KILLED, "يصيب": INJURED,
    "تصيب": INJURED, "يختطفون": KIDNAPPED, "يخطفون": KIDNAPPED,
    "وقتل": KILLED, "لمقتل": KILLED, "بمقتل": KILLED,
    "إصابة": INJURED, "وإصابة": INJURED, "بإصابة": INJURED, "أصيب": INJURED, "وأصيب": INJURED,
    "جرح": INJURED, "وجرح": INJURED,
    "اختطاف": KIDNAPPED, "خطف": KIDNAPPED, "اختطف": KIDNAPPED, "واختطاف": KIDNAPPED,
    "نزوح": DISPLACED, "تهجير": DISPLACED, "نزح": DISPLACED, "تشريد": DISPLACED,
    "وفاة": KILLED, "ووفاة": KILLED,
    "kaçırılan": KIDNAPPED, "kaçan": DISPLACED, "öldürülen": KILLED, "yaralanan": INJURED,
})
# Turkish participles before a number ("yaralanan 3 kişi": the 3 who were wounded): the
# clause's last verb says what happened to them, when there is one.
PARTICIPLES = {fold(w) for w in ("kaçırılan", "kaçan", "öldürülen", "yaralanan")}
# Between a verb and its count, a determiner: "killing its two pilots", "killing all 12
# passengers", "killing his three children".
DETERMINERS = {fold(w) for w in ("its", "his", "her", "their", "the", "all", "ses", "leurs")}
# Phrases BEFORE a number that end in a preposition: "claimed the lives of 12", "coûté la vie
# à 12", "أودى بحياة 12".
BEFORE_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(fold(w) for w in phrase.split()), kind) for phrase, kind in (
        ("claimed the lives of", KILLED), ("claiming the lives of", KILLED),
        ("shot dead", KILLED), ("shooting dead", KILLED), ("stabbed to death", KILLED),
        ("forcibly disappeared", KIDNAPPED), ("taken hostage", KIDNAPPED),
        ("killed a family of", KILLED), ("killing a family of", KILLED),
        ("killed an entire family of", KILLED), ("killing an entire family of", KILLED),
        ("took the lives of", KILLED), ("cost the lives of", KILLED),
        ("forced", DISPLACED),  # "forced 3,000 to flee": checked with "flee" after it
        ("la vie a", KILLED), ("أودى بحياة", KILLED), ("اودت بحياة", KILLED),
        ("يودي بحياة", KILLED), ("تودي بحياة", KILLED), ("the dead were", KILLED),
        ("the victims were", KILLED), ("the dead are", KILLED),
        ("bodies of", KILLED), ("corps de", KILLED), ("جثث", KILLED), ("جثامين", KILLED),
    ))

BEFORE_PHRASE_ENDS = frozenset(phrase[-1] for phrase, _ in BEFORE_PHRASES)

# A death toll: "toll" (or its words) then "to"/"at"/"of" then the number.
TOLL = {fold(w) for w in ("toll", "bilan", "حصيلة")}
# "revised the figure down to 12": a figure's word is a toll only after an update's verb.
TOLL_FIGURE = {fold(w) for w in ("figure", "count", "tally", "chiffre", "رقم", "الرقم",
                                  "rakam", "rakamı")}
# "rescuers put the figure at 27": a source's toll, beside the others (the highest wins)
TOLL_PUT = {fold(w) for w in ("put", "puts", "putting", "placed", "gave", "gives")}
TOLL_GAP = 2  # words between a Turkish count's word and its number: "ölü sayısı daha sonra 5'e"
# "the number of people killed rose to 45", "ارتفع عدد القتلى إلى 12", "ölü sayısı 19'a
# yükseldi": a count of what a word next to it names, and of nothing when none does (the
# number of rockets is no toll)
TOLL_COUNTS = {fold(w) for w in ("number", "عدد", "sayısı")}
TOLL_BEFORE = 14  # words at most between the toll's word and its "to"
TOLL_KINDS = _folded({
    "death": KILLED, "toll": KILLED, "bilan": KILLED, "القتلى": KILLED, "الضحايا": KILLED,
    "الشهداء": KILLED, "الجرحى": INJURED, "المصابين": INJURED, "injury": INJURED,
    "النازحين": DISPLACED, "المخطوفين": KIDNAPPED,
    "dead": KILLED, "killed": KILLED, "deaths": KILLED, "fatalities": KILLED,
    "injured": INJURED, "wounded": INJURED, "displaced": DISPLACED, "kidnapped": KIDNAPPED,
    "ölü": KILLED, "ölenlerin": KILLED, "kaybedenlerin": KILLED, "yaralı": INJURED,
    "yaralananların": INJURED,
})
TOLL_TO = {fold(w) for w in ("to", "at", "of", "reached", "hit", "a", "à", "de", "إلى", "الى")}
UPDATE = {fold(w) for w in (
    "rose", "risen", "rises", "rise", "climbed", "climbs", "jumped", "increased", "reached",
    "revised", "now", "raised", "raising", "lowered", "down", "corrected", "updated",
    "bringing", "brought", "revu", "revise", "corrige", "abaisse", "releve", "alourdi",
    "alourdit", "grimpe", "passe", "ارتفع", "ارتفعت", "ارتفاع",
    "وارتفعت", "وارتفع", "وصل", "وصلت", "yükseldi", "çıktı")}

# Qualifiers, longest first; each maps to one of the normalised five.
QUALIFIERS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(fold(w) for w in phrase.split()), norm) for phrase, norm in sorted((
        ("at least", "at least"), ("no fewer than", "at least"), ("no less than", "at least"),
        ("not less than", "at least"), ("a minimum of", "at least"),
        ("more than", "more than"), ("over", "more than"), ("upwards of", "more than"),
        ("in excess of", "more than"), ("exceeding", "more than"),
        ("up to", "up to"), ("as many as", "up to"),
        ("about", "about"), ("around", "about"), ("nearly", "about"), ("almost", "about"),
        ("some", "about"), ("approximately", "about"), ("roughly", "about"),
        ("an estimated", "about"), ("estimated", "about"), ("close to", "about"),
        ("au moins", "at least"), ("plus de", "more than"), ("près de", "about"),
        ("environ", "about"), ("quelque", "about"), ("jusqu'à", "up to"),
        ("على الأقل", "at least"), ("ما لا يقل عن", "at least"), ("لا يقل عن", "at least"),
        ("أكثر من", "more than"), ("ما يزيد عن", "more than"), ("ما يزيد على", "more than"),
        ("أزيد من", "more than"), ("نحو", "about"), ("حوالي", "about"), ("حوالى", "about"),
        ("قرابة", "about"), ("زهاء", "about"), ("ما يقارب", "about"), ("يقارب", "about"),
        ("ما يصل إلى", "up to"), ("en az", "at least"), ("yaklaşık", "about"),
        ("en fazla", "up to"),
    ), key=lambda pair: -len(pair[0].split())))
# after the number: "15 شخصا على الأقل"; Turkish "20'den fazla" (more than 20)
QUALIFIER_ENDS = frozenset(phrase[-1] for phrase, _ in QUALIFIERS)  # a fast "none here"
AFTER_QUALIFIERS = {(fold("على"), fold("الأقل")): "at least", ("at", "least"): "at least",
                    **{(suffix, "fazla"): "more than" for suffix in (
                        "den", "dan", "ten", "tan", "binden", "bin")}}

# Words between a number and what it counts: auxiliaries and the like. Any other word may
# stand there too (the counted noun), up to FILLER words in all.
FILLER = 5
# After a number, these say it counts something else: "3 days", "12-year-old", "40 km".
UNITS = {fold(w) for w in (
    "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
    "minute", "minutes", "km", "kilometres", "kilometers", "kilometre", "kilometer", "miles",
    "mile", "metres", "meters", "m", "percent", "per", "%", "times", "tonnes", "tons", "kg",
    "dollars", "euros", "pounds", "am", "pm", "gmt", "utc", "o'clock", "mm", "years-old",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "p",
    "sep", "sept", "oct", "nov", "dec", "ans", "an", "jours", "jour", "heures", "heure",
    "mois", "semaines", "kilometres", "pour", "janvier", "fevrier", "mars", "avril", "mai",
    "juin", "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
    "عاما", "أعوام", "سنوات", "سنة", "يوما", "أيام", "ساعة", "ساعات", "كيلومتر", "كيلومترات",
    "كم", "بالمئة", "بالمائة", "في المئة", "شهرا", "أشهر", "دقيقة", "دقائق", "يناير",
    "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
    "نوفمبر", "ديسمبر",
)}
# Before a number, these say it is not a count: "aged 12", "No. 5", "Resolution 2254".
NOT_COUNT_BEFORE = {fold(w) for w in (
    "aged", "age", "no", "number", "resolution", "route", "highway", "page", "chapter",
    "$", "us$", "€", "£", "rs", "km", "ages", "agee", "age", "numero", "عمر", "رقم", "القرار",
    "per", "pour", "top", "under", "over-", "grade", "size", "channel", "version",
)}
# A year, not a count, after these: "in 2016", "since 2011".
YEAR_BEFORE = {fold(w) for w in ("in", "since", "of", "until", "by", "from", "en", "depuis",
                                 "منذ", "عام", "في", "year", "late", "early", "mid", "end",
                                 "summer", "spring", "autumn", "fall", "winter", "fin", "debut")}
# After a number "dead" or "wounded" may describe a noun ("150 dead mullet"): a count of
# people only when the noun is people's, or when a function word follows as in "5 dead in".
ATTRIBUTIVE = {fold(w) for w in ("dead", "wounded", "injured")}
PEOPLE = {fold(w) for w in (
    "people", "persons", "civilians", "soldiers", "fighters", "militants", "rebels",
    "children", "women", "men", "troops", "policemen", "police", "officers", "residents",
    "combatants", "jihadists", "members", "students", "pupils", "workers", "passengers",
    "protesters", "demonstrators", "worshippers", "refugees", "migrants", "villagers",
)}
FUNCTION_WORDS = {fold(w) for w in (
    "in", "on", "at", "after", "and", "or", "as", "when", "from", "with", "by", "including",
    "among", "were", "was", "are", "is", "have", "had", "has", "so", "since", "during", "near",
    "across", "over", "following", "while", "but", "of", "to", "for", "the", "a", "an",
    "overnight", "today", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "said", "according", "officials", "police", "medics", "sources",
    "dans", "et", "lors", "apres", "au", "a", "selon",
)}
# After a count of people, the family they belong to: "Five members of one family".
ONE_FAMILY = tuple(tuple(fold(w) for w in phrase.split()) for phrase in (
    "of one family", "of the same family", "of a single family", "from one family",
    "from the same family", "of one", "d'une meme famille", "d'une même famille",
    "de la même famille", "من عائلة واحدة", "من أسرة واحدة", "aynı aileden",
))
# Counted nouns that are not people: "1,200 families have been displaced" gives no figure.
NOT_PEOPLE = {fold(w) for w in (
    "families", "family", "households", "homes", "houses", "buildings", "villages", "towns",
    "vehicles", "cars", "rockets", "shells", "missiles", "raids", "strikes", "tanks", "times",
    "familles", "maisons", "عائلة", "عائلات", "أسرة", "أسر", "منزل", "منازل", "aile", "ev",
)}
# A comma after a count may open an aside before its verb: "At least 12 civilians, including
# four children, were killed"; "Onze personnes, dont six enfants, ont été tuées".
ASIDES = {fold(w) for w in ("including", "among", "most", "many", "some", "mostly", "all",
                            "among them", "dont", "parmi", "la plupart", "بينهم", "منهم",
                            "بينهن")}
ASIDE_WORDS = 8  # words an aside may hold
OF_THEM = {tuple(fold(w) for w in p.split()) for p in ("of them", "d'entre eux", "d'entre elles")}
# Between a count and its kind, these make it a part of the toll: "were among those killed".
SUBSET = {fold(w) for w in ("among", "parmi")}
# "no one was killed": the negation is the whole story, no figure.
NEGATORS = {fold(w) for w in ("no", "not", "none", "never", "n't", "aucun", "aucune", "pas",
                               "لا", "لم", "didn't", "hasn't", "haven't")}
# A person counted by "a"/"un" + the noun: "a woman was killed" is one (PERSONS_FR after
# "un"/"une" only: "a civil suit" is no person).
PERSONS = {fold(w) for w in (
    "person", "man", "woman", "child", "boy", "girl", "baby", "infant", "toddler", "teenager",
    "civilian", "soldier", "fighter", "militant", "rebel", "policeman", "policewoman",
    "officer", "journalist", "reporter", "photographer", "student", "farmer", "doctor",
    "nurse", "paramedic", "worker", "resident", "shepherd", "member", "commander", "guard",
    "pilot", "driver", "passenger", "volunteer", "teacher", "pupil", "activist", "jihadist",
    "wife", "husband", "brother", "sister", "grandson", "granddaughter", "cousin", "nephew",
    "gunman", "bomber", "security", "police", "trooper", "mother", "father", "son", "daughter",
    "شخص", "مدني", "طفل", "طفلة", "امرأة", "رجل", "جندي", "عنصر", "مقاتل", "شاب", "فتى",
    "فتاة", "سيدة", "مواطن", "صحفي", "مسعف", "عسكري", "ضابط", "شرطي",
)}
# Arabic duals of persons: "مقتل شخصين" is two.
PERSONS_FR = {fold(w) for w in (
    "homme", "femme", "enfant", "civil", "soldat", "combattant", "militaire", "policier",
    "journaliste", "garcon", "fille", "bebe", "adolescent", "jihadiste", "passant", "personne",
    "enseignant", "enseignante", "eleve", "medecin", "infirmier", "infirmiere", "chauffeur",
    "secouriste", "agriculteur", "berger", "commercant", "fillette", "adolescente", "mere",
    "pere", "fils", "epouse", "mari", "frere", "soeur",
)}
PERSON_DUALS = {fold(w) for w in ("شخصين", "شخصان", "طفلين", "طفلان", "امرأتين", "رجلين",
                                  "جنديين", "جنديان", "عنصرين", "مقاتلين", "عنصران", "مقاتلان",
                                  "مدنيان", "رجلان", "امرأتان", "شابان", "شابين", "ضابطان",
                                  "ضابطين")}
# and a possessive before a person: "killing its driver and three passengers", "his wife".
ARTICLES_OF_ONE = {"a": PERSONS, "an": PERSONS, "un": PERSONS_FR, "une": PERSONS_FR,
                   "the": PERSONS, "le": PERSONS_FR, "la": PERSONS_FR,
                   "its": PERSONS, "his": PERSONS, "her": PERSONS, "their": PERSONS,
                   "son": PERSONS_FR, "sa": PERSONS_FR}
# Ranges "between 10 and 15", "10 to 15", "ما بين 10 و15".
RANGE_START = {fold(w) for w in ("between", "entre", "بين")}
RANGE_JOIN = {fold(w) for w in ("and", "to", "et", "à", "a", "و", "-", "–")}
RANGE_NOT_AFTER = {fold(w) for w in ("from", "de", "من")}  # "rose from 10 to 15": 15
AND = {fold(w) for w in ("and", "et", "و", "plus", "ve", "ile")}

# Windows of text (folded tokens joined by spaces) that make a figure not the article's own
# event's: a historical total or another, earlier, event.
HISTORY = re.compile("|".join((
    # "since Thursday", "since the offensive began" is the running toll of the event itself
    r"\bsince (?:(?:\S+ ){0,4}(?:19|20)\d\d|the (?:start|beginning|outbreak|onset)"
    r"|the (?:war|conflict|uprising|revolution|crisis)"
    r"|(?:the )?(?:war|conflict|uprising|revolution|crisis) (?:began|started|erupted))\b",
    r"\b(?:war|conflict|uprising|revolution|insurgency|civil war)(?:'s| has| have| had| which"
    r"| that| so far| began| started| erupted| in which)\b",
    r"\b(?:so far this year|this year alone|cumulative|over the (?:past|last) (?:\w+ )?"
    r"(?:years|months|decade)|years of|decade)\b",
    r"\blast (?:week|month|year|summer|winter|spring|autumn|fall|weekend)\b",
    r"\b(?:week|month|year)'s\b", r"\bearlier this (?:week|month|year)\b",
    r"\b(?:years?|months?|decades?) ago\b",
    # "The war, now in its 12th year, has killed more than 350,000"
    r"\b(?:war|conflict|fighting)\b(?: \S+){0,8} (?:has|have|had) (?:killed|left|claimed)\b",
    r"\bin its \w+ year\b",
    # bodies of a past event: "a mass grave near Raqqa"
    r"\bmass graves?\b", r"\bcharniers?\b", fold("مقبرة جماعية"), fold("toplu mezar"),
    # a past event named by its year, commemorated or judged: "the 2016 suicide bombing",
    # "the anniversary of the bombing", "sentenced ... for the bombing that killed 45"
    r"\bthe (?:19|20)\d\d\b", r"\b(?:de|du) (?:19|20)\d\d\b",
    r"\banniversar(?:y|ies)\b", r"\bsentenced\b", r"\bconvicted\b", r"\btrial\b",
    r"\banniversaire\b", r"\bproces\b", r"\bcondamne(?:e|s)?\b",
    fold("ذكرى"), fold("محاكمة"), fold("yıl dönümü"), fold("yıldönümü"), fold("anıldı"),
    r"\bprevious(?:ly)?\b(?! night| evening| day)", r"\bsimilar\b", r"\bin (?:19|20)\d\d\b",
    r"\bin (?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december)\b",
    r"\bdepuis (?:(?:\w+ )?(?:19|20)\d\d|le debut)\b",
    r"\b(?:la guerre|le conflit)(?: a| qui| ont)\b",
    r"\b(?:l'an|l'annee|le mois|la semaine) (?:dernier|derniere|passe|passee)\b",
    r"\ben (?:19|20)\d\d\b", r"\bprecedent(?:e|s)?\b", r"\bil y a (?:\w+ )?(?:ans|mois)\b",
    r"\b(?:19|20)\d\d (?:(?:yılında|yılından|den|dan|ten|tan) bu yana|yılında|de|da|te|ta)\b",
    fold("geçen") + " (?:" + "|".join(fold(w) for w in ("yıl", "ay", "hafta")) + ")",
    fold("iç savaş"), fold("savaşta"),
    fold("منذ") + " (?:" + "|".join(fold(w) for w in ("عام", "سنة", "بدء", "بداية", "اندلاع",
                                                    "انطلاق"))
    + r"|(?:\S+ ){0,4}(?:19|20)\d\d)",
    fold("الماضي"), fold("الماضية"), fold("السابق"), fold("السابقة"),
    fold("عام") + r" (?:19|20)\d\d",
    "(?:" + "|".join(fold(w) for w in ("الحرب", "النزاع", "الصراع", "الثورة")) + ") (?:"
    + "|".join(fold(w) for w in ("التي", "قد", "منذ")) + ")",
)))
# A combatant's claim of the enemies it killed: no figure (the facts set's rule, ACLED's
# caution): "forces said they killed 27 smugglers", "a déclaré avoir tué", "قال إنه قتل".
CLAIMS = re.compile("|".join((
    r"\b(?:said|says|claimed|claims|announced|added) (?:that )?(?:they|it|its \w+|their \w+)"
    r" (?:had |have |has )?(?:killed|kill|eliminated|neutralised|neutralized)\b",
    r"\b(?:declare|affirme|annonce|assure) avoir (?:tue|elimine|neutralise)\b",
    fold("إنه قتل"), fold("إنها قتلت"), fold("انه قتل"), fold("انها قتلت"),
    fold("etkisiz hale"),
)))
# A perpetrator's claim, or another event told alongside: used only when nothing better.
WEAKER = re.compile("|".join((
    r"\bclaim(?:ed|s|ing)? (?:responsibility|the attack|it)\b", r"\bresponsibility\b",
    r"\bseparate(?:ly)?\b", r"\belsewhere\b", r"\b(?:a|one|two|three) days? earlier\b",
    r"\bthe (?:day|night) before\b", r"\bthe previous day\b", r"\bla veille\b",
    fold("قبل يوم"), fold("bir gün önce"),
    # a calendar date may name another day's event ("On April 28, a bomb killed 40"), or
    # the report's own ("killed on 12 March"): the figure counts when nothing better does
    r"\bon (?:january|february|march|april|may|june|july|august|september|october"
    r"|november|december) \d{1,2}\b",
    r"\bon \d{1,2} (?:january|february|march|april|may|june|july|august|september"
    r"|october|november|december)\b",
    r"\ble \d{1,2} (?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre"
    r"|novembre|decembre)\b", r"\bin another\b", r"\banother (?:attack"
    r"|strike|bombing|incident)\b", r"\brevendique\b", r"\bpar ailleurs\b", r"\bailleurs\b",
    fold("تبنى"), fold("تبني"), fold("مسؤوليته"), fold("منفصل"), fold("منفصلة"),
)))

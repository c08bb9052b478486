"""Rule matching at scale: the matcher beside the raw Aho-Corasick scan and a naive regex loop.

For 100, 1,000, 10,000 and 50,000 rules it prints, on two ~5 KB articles, articles per second
for: the matcher (Matcher.match, everything: folding, scan, rule evaluation, hits);
"fold+scan", the project's folding (normalize.Folded) plus a bare pyahocorasick pass over the
folded text with every rule term in it; "raw scan", that bare pass alone over text already
folded (the lower bound: no Python work per match at all); and, up to 10,000 rules, a naive
loop of one compiled word-boundary regex per term, the rules evaluated one by one (at 50,000
it would take minutes per article and is left out). Then the cost per article at the largest
size against the smallest (the issue's target: at most 3x), dense against typical (at most
3x), and, per size, Matcher.compile's time and the memory the compiled rules keep
(tracemalloc, measured in a separate compile). Every figure is measured in this run, on one
core (the process is pinned to one CPU where the OS allows it) and in CPU seconds.

Two made-up 5 KB articles: a typical report on one city (about a dozen place and group
names, like most wire stories), and a dense roundup naming some thirty places and groups,
which makes many more rules fire; the second shows how the cost grows with the matches.

Rules are synthetic but shaped like real watchlists, from a seeded generator: a vocabulary of
real and made-up place names (random Arabic-like syllables), armed groups, people, weapon
systems, operations and conflict keywords; rules mix categories (places x keywords, groups x
keywords, people), aliases, weights and min_score, and queries with AND/OR/NOT/NEAR, phrases,
prefixes, field scopes and @aliases. The article is an inline, made-up news report.

hyperscan is not measured and not used: its wheels cover Linux x86-64, macOS and Windows but
Linux arm64 only in an older release, and it would only replace the raw scan, which the
"raw scan" column shows is a small part of an article's cost; the rest (word edges, splits,
clitics, rule evaluation, hits) stays in Python either way.

Run: python bench/match.py [--sizes 100,1000,10000,50000]   (from the repository root)
"""

from __future__ import annotations

import argparse
import bisect
import gc
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import ahocorasick  # noqa: E402

from monitor.match import Matcher, parse_query  # noqa: E402
from monitor.match.normalize import Folded, fold_words  # noqa: E402
from monitor.match.query import Alias, And, Near, Node, Not, Or, Word  # noqa: E402
from monitor.match.spec import RuleSpec, Term  # noqa: E402
from monitor.records import Document  # noqa: E402

SIZES = (100, 1_000, 10_000, 50_000)
NAIVE_UP_TO = 10_000  # the naive loop above this takes minutes per article

# ------------------------------------------------------------------------------ the article

# A report on one city, as most articles are: about a dozen place and group names.
TYPICAL_TITLE = "Army retakes positions south of Aleppo as Moscow talks of joint action with US"

TYPICAL_TEXT = """\
ALEPPO, Syria — Government forces regained ground on the southern edge of Aleppo on Monday, \
recapturing a string of hilltop positions that rebel fighters had overrun a day earlier, as \
the battle for what was once Syria’s commercial capital ground into its fourth week.

The rebels’ push, launched before dawn on Sunday, had targeted an army base and an abandoned \
textile factory on the city’s southern outskirts. By Monday afternoon, opposition activists \
said their fighters had withdrawn under intense bombardment, leaving behind burned-out pickup \
trucks and at least two captured tanks they were unable to move.

Russian jets have flown daily sorties in support of President Bashar al-Assad since the \
autumn, and residents said the tempo of air raids on the rebel-held eastern districts had \
risen sharply over the past week. A monitoring group counted 60 strikes on Sunday alone, most \
of them on neighbourhoods close to the front line.

In Moscow, the defence ministry said talks with Washington on coordinating operations against \
“terrorist groups” around Aleppo were at an advanced stage. “We are closer than ever to an \
understanding,” a ministry spokesman told state television, without giving details. The State \
Department said only that discussions were continuing.

The foreign minister, speaking in Yekaterinburg after talks with his German counterpart, \
repeated Moscow’s complaint that armed groups used short humanitarian pauses to resupply. He \
said the daily three-hour lulls that let aid in and civilians out were not enough, but that \
longer truces would only give the militants more time to rearm.

Aid agencies describe conditions in the besieged east as desperate. The International \
Committee of the Red Cross called the fight for the city one of the most destructive urban \
battles in recent memory. “There is no safe place left. Families move from basement to \
basement,” an ICRC official said, appealing to all sides to let water engineers repair a \
pumping station that supplies much of the city.

To the north-east, the US-backed Syrian Democratic Forces said they had driven Islamic State \
fighters out of the last districts of Manbij, a town near the Turkish border that the group \
had held for more than two years. American advisers accompanied the Kurdish-led alliance \
during the ten-week operation, which officials in Washington described as a step toward an \
eventual assault on Raqqa.

Separately, a car bomb exploded at a checkpoint near the Turkish frontier late on Sunday, \
killing at least 20 people, most of them fighters from a rebel faction, according to the \
Syrian Observatory for Human Rights. ISIS claimed the attack in a statement circulated \
online. Footage shared on social media showed rescuers pulling bodies from a twisted minibus.

At a hospital in the city’s east, one of fewer than ten still operating, a surgeon said staff \
were rationing fuel for the generators and had run out of some antibiotics. “We have patients \
on the floor of the corridors,” she said in a voice message. “Every night we wonder whether \
we will be hit next.”

Turkey, which supports several of the rebel factions fighting in Aleppo, has voiced alarm at \
the Kurdish advance around Manbij. Ankara regards the main Kurdish militia in the alliance as \
an offshoot of the PKK and has said it will not accept Kurdish control of territory west of \
the Euphrates.

Inside the city, electricity has been cut for most of the past month and the price of basic \
goods has tripled. A teacher who fled the eastern districts in the spring said her brother \
had stayed behind to look after their elderly parents. “They sleep in their clothes so that \
they can run when the shelling starts,” she said.

Diplomats say any deal between Moscow and Washington would probably include a joint targeting \
cell and a mechanism for monitoring violations, but that the two sides still disagree over \
which armed groups should count as legitimate opposition and which as terrorists. Previous \
agreements collapsed within weeks amid mutual accusations.

The World Health Organization said it had recorded more than 30 attacks on medical facilities \
in Aleppo province this year. Syrian state media reported that rebel mortar fire had killed \
four people in the government-held west of the city, including a girl on her way to school. \
Humanitarian officials also voiced concern for some 35,000 people displaced by the fighting \
in the countryside west of the city, many of whom are sheltering in olive groves and \
unfinished buildings with little more than blankets and plastic sheeting.

In Geneva, the United Nations envoy said he hoped to bring the government and the opposition \
back to the negotiating table before the end of the month, but warned that no political \
process could survive a full-scale assault on Aleppo. A convoy of 35 lorries loaded with food \
and medical supplies has been waiting at the border for a week for guarantees of safe \
passage, a UN spokesman said.
"""

# A dense roundup: some thirty place and group names in one article.
DENSE_TITLE = "Shelling kills nine in Idlib villages as aid convoy waits at Bab al-Hawa crossing"

DENSE_TEXT = """\
IDLIB, Syria — Government artillery and Russian warplanes pounded villages south of Idlib on \
Tuesday, killing at least nine civilians, including three children, and forcing hundreds of \
families to flee toward the Turkish border, rescue workers and a war monitor said.

The Syrian Civil Defence, the volunteer rescue group known as the White Helmets, said shells \
struck a market in the town of Ariha shortly after dawn, while a separate airstrike hit a \
poultry farm on the outskirts of Saraqeb. “We pulled two bodies from the rubble and we are \
still searching for a third,” said Ahmad Qassem, a rescuer in Ariha. “People had just opened \
their shops.”

The Britain-based Syrian Observatory for Human Rights, which relies on a network of sources \
inside the country, said the bombardment was the heaviest in the area since a ceasefire \
brokered by Russia and Turkey in March 2020. It counted more than 40 air raids across the \
southern Idlib countryside and the adjacent Jabal al-Zawiya region over 24 hours.

Syria’s state news agency SANA said the army had responded to “terrorist attacks” on its \
positions near Kafr Nubl and Maarat al-Numan, and that troops had destroyed a weapons depot \
and a drone workshop belonging to Hayat Tahrir al-Sham. The group, a former al-Qaeda \
affiliate that controls much of Idlib province, said in a statement on Telegram that its \
fighters had repelled an infiltration attempt near the village of al-Fatira and killed \
several soldiers. Neither account could be independently verified.

In Geneva, the United Nations’ deputy envoy for Syria called on all sides to respect the \
truce and warned that renewed fighting could trigger another wave of displacement. About 2.9 \
million people live in the Idlib enclave, most of them already uprooted at least once by the \
war, according to UN figures. Many shelter in tents and unfinished buildings along the \
border, where winter rains have flooded camps in recent weeks.

A convoy of 18 trucks carrying food, medicine and hygiene kits was waiting on the Turkish \
side of the Bab al-Hawa crossing on Tuesday evening, a spokesman for the UN Office for the \
Coordination of Humanitarian Affairs (OCHA) said. The World Food Programme said its stocks \
inside northwest Syria would last less than two weeks if deliveries did not resume.

“The humanitarian situation is catastrophic, and every day of delay costs lives,” said Fatima \
Haddad, an aid worker with a Gaziantep-based medical charity that supports five hospitals in \
the area. She said one of them, in Atarib, had moved its maternity ward to a basement after \
shelling damaged the roof last week.

Further east, clashes broke out between Turkish-backed factions of the Syrian National Army \
and the Kurdish-led Syrian Democratic Forces (SDF) near Manbij and Tal Rifaat. The SDF said \
Turkish drones had struck a checkpoint outside Manbij, wounding four of its fighters. Ankara, \
which regards the main Kurdish militia, the YPG, as an extension of the outlawed PKK, did not \
comment.

In the desert east of Palmyra, Islamic State militants ambushed a bus carrying soldiers on \
the road between Deir ez-Zor and Homs, killing at least seven, the Observatory said. ISIS \
claimed responsibility for the attack through its Amaq news agency. The group lost the last \
territory it held in 2019, but its cells still carry out hit-and-run attacks from hideouts in \
the Badia.

Russia’s defence ministry said its aircraft had struck “militant training camps” in the \
mountains of Latakia province and denied hitting civilian sites. Moscow and Tehran back \
President Bashar al-Assad, while Turkey supports some rebel factions and keeps thousands of \
troops in the northwest.

Residents of Aleppo, 60 kilometres to the east, reported heavy explosions overnight. Local \
media said air defences had intercepted several drones launched from rebel-held areas toward \
the Nairab military airport. There were no reports of casualties.

In Damascus, the foreign ministry accused Turkey of violating Syrian sovereignty and called \
on the UN Security Council to act. State television showed what it said were rockets fired by \
“terrorist groups” at residential areas of Aleppo’s New Aleppo district, where a woman and \
her son were reported wounded.

Aid agencies warned that fuel shortages were already forcing bakeries in the northwest to cut \
production. The price of a bundle of bread in Sarmada has doubled since January, according to \
a local council official, and cholera cases have been reported in at least three camps near \
the border, where clean water is scarce. Since the start of the year the Observatory has \
documented more than 1,200 deaths in Syria, a third of them civilians.

Analysts say the escalation reflects growing friction between Ankara and Moscow over Syria \
and the stalled political process, with the next round of talks due in Astana next month. \
“Each side is testing the other, and civilians in Idlib pay the price,” said a researcher at \
a Beirut-based think tank, who asked not to be named.
"""


def variants(title: str, text: str) -> list[Document]:
    """The article and three variants with its paragraphs rotated, so that no two calls in a
    row see the same string."""
    paragraphs = text.strip().split("\n\n")
    step = max(1, len(paragraphs) // 4)
    return [
        Document(title, "\n\n".join(paragraphs[k:] + paragraphs[:k]))
        for k in range(0, 4 * step, step)
    ]


ARTICLES = {  # name -> (title, text); the first is the one the targets are about
    "typical": (TYPICAL_TITLE, TYPICAL_TEXT),
    "dense": (DENSE_TITLE, DENSE_TEXT),
}


# --------------------------------------------------------------------------- the vocabulary

REAL_PLACES = """Aleppo|Idlib|Damascus|Homs|Hama|Latakia|Tartus|Raqqa|Deir ez-Zor|Manbij|Afrin|
Azaz|al-Bab|Jarabulus|Kobani|Qamishli|Hasakah|Daraa|Quneitra|Suwayda|Palmyra|Saraqeb|Maarat
al-Numan|Khan Shaykhun|Jisr al-Shughur|Tal Rifaat|Atmeh|Sarmada|Ariha|Douma|Ghouta|Yarmouk|
Baghdad|Mosul|Kirkuk|Erbil|Fallujah|Ramadi|Tikrit|Sinjar|Basra|Beirut|Tripoli|Sidon|Tyre|
Baalbek|Gaza|Rafah|Khan Younis|Jenin|Nablus|Hebron|Amman|Sanaa|Aden|Hodeidah|Marib|Taiz|
Benghazi|Misrata|Sirte|Khartoum|El Fasher|Omdurman|Kabul|Kandahar|Kunduz|Herat|Kyiv|Kharkiv|
Donetsk|Luhansk|Mariupol|Bakhmut|Avdiivka|Zaporizhzhia|Kherson|Odesa|Mogadishu|Kismayo|Bamako|
Gao|Timbuktu|Niamey|Ouagadougou|Maiduguri|Goma|Tehran|Ankara|Gaziantep|Kilis|Hatay|Antakya|
Moscow|Geneva|Atarib|Kafr Nubl|Jabal al-Zawiya|Bab al-Hawa|Turkey|Syria|Iraq|Lebanon|Jordan|
Yemen|Libya|Sudan|Russia|Iran|Ukraine|Afghanistan|Somalia|Mali|Niger|Badia|Nairab"""
ARABIC_PLACES = {
    "Aleppo": "حلب",
    "Idlib": "إدلب",
    "Damascus": "دمشق",
    "Homs": "حمص",
    "Hama": "حماة",
    "Raqqa": "الرقة",
    "Manbij": "منبج",
    "Afrin": "عفرين",
    "Deir ez-Zor": "دير الزور",
    "Daraa": "درعا",
}
REAL_GROUPS = """ISIS|Islamic State|Daesh|Hezbollah|Hayat Tahrir al-Sham|Syrian Democratic
Forces|YPG|PKK|al-Qaeda|al-Shabaab|Houthis|Ansar Allah|Wagner|Boko Haram|Free Syrian Army|Jaish
al-Islam|Ahrar al-Sham|Hamas|Islamic Jihad|Taliban|Haqqani network|Syrian National Army|White
Helmets|Kataib Hezbollah|Popular Mobilization Forces|Quds Force|Revolutionary Guard|Amaq|Rapid
Support Forces|JNIM|Lions of the Caliphate|Hurras al-Din|Ansar al-Islam|Jund al-Aqsa"""
ACRONYMS = {  # group -> short names that must match in upper case only
    "Hayat Tahrir al-Sham": ("HTS",),
    "Syrian Democratic Forces": ("SDF",),
    "Islamic State": ("IS", "ISIL"),
    "Syrian National Army": ("SNA",),
    "Rapid Support Forces": ("RSF",),
    "Popular Mobilization Forces": ("PMF",),
    "Revolutionary Guard": ("IRGC",),
}
KEYWORDS = """airstrike|air raid|shelling|barrel bomb|bomb*|drone*|suicide bombing|car bomb|IED|
ambush|offensive|counterattack|counteroffensive|ceasefire|truce|peace talks|negotiations|
evacuation|siege|besieged|displaced|displacement|refugee*|casualties|civilian casualties|killed|
wounded|massacre|execution*|kidnap*|hostage*|chemical weapons|chlorine|sarin|cluster munitions|
artillery|rocket*|missile*|mortar*|sniper*|checkpoint|border crossing|convoy|aid convoy|
humanitarian|famine|cholera|outbreak|hospital*|school*|mosque|church|power station|water
station|protest*|demonstration*|curfew|arrest*|detention|torture|human rights|war crimes|
sanctions|withdrawal|deployment|reinforcements|mobilization|military operation|clashes|
fighting|heavy fighting|infiltration|tunnel*|landmine*|unexploded|explosion*|blast|gunmen|
militant*|insurgent*|rebel*|jihadist*|fighters|troops|soldiers|warplane*|helicopter*|
bombardment|incursion|raid|assassination|abduction|looting|arson|evacuate*|flee*|exodus|camp|
tents|flooding|earthquake|epidemic|vaccination|food shortage|bread|fuel shortage|electricity|
blockade|smuggling|trafficking|extortion|ransom|prisoner exchange|amnesty|reconciliation|
surrender|defection|deserter*|conscription|recruitment|child soldiers|landmines|de-mining|
airport|airbase|military base|ammunition depot|weapons depot|training camp*|headquarters|
command center|oil field*|refinery|pipeline|dam|bridge|highway|frontline*|front line|
stalemate|escalation|de-escalation|buffer zone|no-fly zone|safe zone|humanitarian corridor|
UN Security Council|resolution|envoy|mediator|talks|summit|accord|agreement|violation*"""
WEAPONS = """Grad|Kornet|TOW missile|Shahed|Bayraktar|Lancet|Iskander|Kalibr|Tochka|Pantsir|
Smerch|Uragan|Krasnopol|Javelin|HIMARS|Storm Shadow|Kinzhal|Orlan|Geran|Mohajer|Ababil|
Quds-1|Burkan|Zelzal|Fateh-110|Toophan|Katyusha|Golan rocket|Elephant rocket|Volcano rocket"""


def words(text: str) -> list[str]:
    return text.split()


ONSETS = words("b d f h j k kh l m n q r s sh t z gh w y")
VOWELS = words("a i u aa ee ou ai")
CODAS = ["", "", "n", "r", "l", "m", "b", "d", "sh", "t", "s"]
PLACE_PREFIXES = "Kafr Tal Deir Ain Bir Jisr Khirbet Maarat Tell Umm Beit Ras Qasr Wadi Jabal Marj"
GROUP_HEADS = words("Liwa Jaysh Kataib Harakat Jabhat Saraya Ansar Firqat Tajammu Alwiya Quwat")
GROUP_TAILS = words("Brigade Front Movement Battalion Legion Army Division Shield Guard")
FIRST = words("""Ahmad Omar Yusuf Khaled Mahmoud Hassan Ali Ibrahim Mustafa Tariq Samir Walid
Nabil Fadi Rami Karim Jamal Sergei Dmitri Oleksandr Viktor Ivan Andriy Mehmet Hakan Emre
Abdullah Abu Fatima Layla Rania Huda Noor Maryam Zainab Olena Natalia Ayse""")
LAST = words("""Haddad Rashidi Mansour Khalil Saleh Darwish Nasser Hamdan Qassem Aziz Barakat Shami
Halabi Kurdi Tamimi Jaber Ghanem Volkov Petrenko Shevchenko Kovalenko Morozov Yilmaz Demir
Kaya Sahin Najjar Sabbagh Atrash Zoubi Masri Hariri Sultan Obeidi Jubouri Dulaimi""")
OPERATION_ADJ = words("Olive Iron Northern Desert Eternal Decisive Swift Black Golden Southern")
OPERATION_NOUN = words("Branch Dawn Shield Storm Spring Sword Thunder Falcon Lion Fortress")


def split_list(text: str, sep: str = "|") -> list[str]:
    return [" ".join(item.split()) for item in text.split(sep) if item.strip()]


class Vocabulary:
    """Every term the generated rules draw from (several thousand distinct ones)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.real_places = split_list(REAL_PLACES)
        self.places = self._unique(self._place, 2_600)
        self.real_groups = split_list(REAL_GROUPS)
        self.groups = self._unique(self._group, 600)
        self.people = self._unique(lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)}", 700)
        self.keywords = split_list(KEYWORDS)
        self.weapons = split_list(WEAPONS)
        self.specific = self.weapons + self._unique(self._operation, 300)

    def _unique(self, make: Callable[[], str], count: int) -> list[str]:
        seen: dict[str, None] = {}
        while len(seen) < count:
            seen.setdefault(make(), None)
        return list(seen)

    def _root(self, syllables: int) -> str:
        rng = self.rng
        root = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)
        )
        return root.capitalize()

    def _place(self) -> str:
        rng = self.rng
        root = self._root(rng.choice((2, 2, 3)))
        shape = rng.random()
        if shape < 0.45:
            return f"{rng.choice(words(PLACE_PREFIXES))} {root}"
        if shape < 0.6:
            return f"{root}{rng.choice(('iyeh', 'abad', 'ovka', 'ivka', 'ino'))}"
        if shape < 0.7:
            return f"{root} al-{self._root(2)}"
        return root

    def _group(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return f"{rng.choice(GROUP_HEADS)} al-{self._root(2)}"
        return f"{self._root(2)} {rng.choice(GROUP_TAILS)}"

    def _operation(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return f"Operation {rng.choice(OPERATION_ADJ)} {rng.choice(OPERATION_NOUN)}"
        return f"{self._root(2)} {rng.choice(('dam', 'airbase', 'checkpoint', 'bridge', 'camp'))}"

    def place(self) -> str:
        return self.rng.choice(self.real_places if self.rng.random() < 0.03 else self.places)

    def group(self) -> str:
        return self.rng.choice(self.real_groups if self.rng.random() < 0.06 else self.groups)

    def keyword(self) -> str:
        # Zipf-like: the first keywords of the list are used much more often
        index = min(int(self.rng.paretovariate(0.9)) - 1, len(self.keywords) - 1)
        return self.keywords[(index * 7) % len(self.keywords)]

    def keywords_(self, low: int, high: int) -> list[str]:
        return list(dict.fromkeys(self.keyword() for _ in range(self.rng.randint(low, high))))

    def distinct_terms(self) -> int:
        every = (
            self.real_places
            + self.places
            + self.real_groups
            + self.groups
            + self.people
            + self.keywords
            + self.specific
        )
        return len(set(every))


def quoted(term: str) -> str:
    return f'"{term}"' if not re.fullmatch(r"[\w'-]+\*?", term) else term


def make_rules(count: int, seed: int = 7) -> tuple[list[RuleSpec], Vocabulary]:
    """`count` rules; the first n of a larger call are the same as those of a call with n."""
    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    rules: list[RuleSpec] = []
    for number in range(count):
        rules.append(_rule(number, rng, vocab))
    return rules, vocab


def _place_terms(place: str, rng: random.Random) -> tuple[Term, ...]:
    terms = [Term(place, concept=place)]
    if place in ARABIC_PLACES:
        terms.append(Term(ARABIC_PLACES[place], concept=place))
    if rng.random() < 0.3:
        terms.append(Term(place.replace("a", "e", 1), concept=place))  # a second spelling
    return tuple(terms)


def _group_terms(group: str) -> tuple[Term, ...]:
    terms = [Term(group, concept=group)]
    terms += [Term(a, exact_case=True, concept=group) for a in ACRONYMS.get(group, ())]
    return tuple(terms)


def _rule(number: int, rng: random.Random, vocab: Vocabulary) -> RuleSpec:
    watchlist = f"watchlist-{number % 40:02d}"
    name = f"rule-{number:05d}"
    kind = rng.random()
    weighted = rng.random() < 0.2
    min_score = 3.0 if weighted else 0.0

    def kw(low: int, high: int) -> tuple[Term, ...]:
        weight = 2.0 if weighted else 1.0
        return tuple(Term(k, weight=weight) for k in vocab.keywords_(low, high))

    if kind < 0.33:
        return RuleSpec(
            watchlist,
            name,
            places=_place_terms(vocab.place(), rng),
            keywords=kw(2, 4),
            min_score=min_score,
            priority="high" if weighted else "normal",
        )
    if kind < 0.45:
        return RuleSpec(
            watchlist,
            name,
            groups=_group_terms(vocab.group()),
            keywords=kw(1, 3),
            exclude=("football",) if rng.random() < 0.3 else (),
            min_score=min_score,
        )
    if kind < 0.53:
        person = rng.choice(vocab.people)
        places = _place_terms(vocab.place(), rng) if rng.random() < 0.3 else ()
        return RuleSpec(watchlist, name, places=places, keywords=(person,))
    if kind < 0.62:
        specific = tuple(rng.sample(vocab.specific, rng.randint(1, 3)))
        places = _place_terms(vocab.place(), rng) if rng.random() < 0.5 else ()
        return RuleSpec(watchlist, name, places=places, keywords=specific)
    return _query_rule(watchlist, name, rng, vocab)


def _query_rule(watchlist: str, name: str, rng: random.Random, vocab: Vocabulary) -> RuleSpec:
    place, place2, group = vocab.place(), vocab.place(), vocab.group()
    k1, k2, k3 = (quoted(vocab.keyword()) for _ in range(3))
    aliases: dict[str, tuple[Term | str, ...]] = {}
    template = rng.randrange(8)
    if template == 0:
        query = f"{quoted(place)} AND ({k1} OR {k2} OR {k3}) NOT (football OR match*)"
    elif template == 1:
        aliases["group"] = _group_terms(group)
        query = '@group NEAR/10 (claim* OR "claimed responsibility" OR statement)'
    elif template == 2:
        aliases["violence"] = ("airstrike", "shelling", "bomb*", "clashes", "killed")
        query = f"title:{quoted(place)} OR ({quoted(place)} AND @violence)"
    elif template == 3:
        aliases["place"] = _place_terms(place, rng)
        query = "@place NEAR/15 (aid OR humanitarian OR convoy*)"
    elif template == 4:
        query = f'"{rng.choice(vocab.people)}" AND ({k1} OR {k2})'
    elif template == 5:
        query = f"text:({quoted(place)} OR {quoted(place2)}) AND title:({k1} OR {k2})"
    elif template == 6:
        query = f"{quoted(group)} AND {quoted(place)} NOT (football OR {k3})"
    else:
        query = f"{quoted(rng.choice(vocab.specific))} NEAR/5 {quoted(place)}"
    return RuleSpec(watchlist, name, query=query, aliases=aliases)


# ---------------------------------------------------------------------- the naive baseline


class NaiveMatcher:
    """The same rules, evaluated rule by rule, with one compiled regex per term: a regex
    search is how one would write it without an index."""

    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        self._regexes: dict[tuple[str, bool], re.Pattern[str]] = {}
        self._rules = [(spec, parse_query(spec.query) if spec.query else None) for spec in rules]
        for spec, query in self._rules:  # compile every regex up front, as a matcher would
            for term in (*spec.places, *spec.groups, *spec.keywords, *spec.exclude):
                self._regex(term)
            for terms in spec.aliases.values():
                for term in terms:
                    self._regex(term)
            if query is not None:
                self._node_regexes(query)

    def _node_regexes(self, node: Node) -> None:
        if isinstance(node, Word):
            self._regex(node.text)
        elif isinstance(node, Not):
            self._node_regexes(node.operand)
        elif isinstance(node, And | Or):
            for operand in node.operands:
                self._node_regexes(operand)
        elif isinstance(node, Near):
            self._node_regexes(node.left)
            self._node_regexes(node.right)

    def _regex(self, term: Term | str) -> re.Pattern[str]:
        term = Term(term) if isinstance(term, str) else term
        key = (term.text, term.exact_case)
        found = self._regexes.get(key)
        if found is None:
            prefix = term.text.endswith("*")
            words = re.findall(r"\w+", term.text)
            body = r"[\W_]+".join(map(re.escape, words))
            pattern = rf"\b{body}\w*" if prefix else rf"\b{body}\b"
            found = re.compile(pattern, 0 if term.exact_case else re.IGNORECASE)
            self._regexes[key] = found
        return found

    def match(self, doc: Document) -> list[str]:
        word_starts = {
            "title": [m.start() for m in re.finditer(r"\w+", doc.title)],
            "text": [m.start() for m in re.finditer(r"\w+", doc.text)],
        }
        fired = []
        for spec, query in self._rules:
            if self._fires(spec, query, doc, word_starts):
                fired.append(spec.name)
        return fired

    def _fires(self, spec: RuleSpec, query: Node | None, doc: Document, starts: dict) -> bool:
        for category in (spec.places, spec.groups, spec.keywords):
            if category and not any(self._found(t, doc) for t in category):
                return False
        if any(self._found(t, doc) for t in spec.exclude):
            return False
        if query is not None and not self._holds(query, spec, doc, starts):
            return False
        if spec.min_score:
            score = 0.0
            for term in (*spec.places, *spec.groups, *spec.keywords):
                term = Term(term) if isinstance(term, str) else term
                rx = self._regex(term)
                score += term.weight * (2 * len(rx.findall(doc.title)) + len(rx.findall(doc.text)))
            return score >= spec.min_score
        return True

    def _found(self, term: Term | str, doc: Document, field: str | None = None) -> bool:
        rx = self._regex(term)
        if field == "title":
            return rx.search(doc.title) is not None
        if field == "text":
            return rx.search(doc.text) is not None
        return rx.search(doc.title) is not None or rx.search(doc.text) is not None

    def _leaf_terms(self, node: Node, spec: RuleSpec) -> list[tuple[Term | str, str | None]]:
        if isinstance(node, Word):
            return [(node.text, node.field)]
        if isinstance(node, Alias):
            return [(t, node.field) for t in spec.aliases[node.name]]
        assert isinstance(node, Or)
        return [pair for o in node.operands for pair in self._leaf_terms(o, spec)]

    def _holds(self, node: Node, spec: RuleSpec, doc: Document, starts: dict) -> bool:
        if isinstance(node, Word | Alias):
            return any(self._found(t, doc, f) for t, f in self._leaf_terms(node, spec))
        if isinstance(node, Not):
            return not self._holds(node.operand, spec, doc, starts)
        if isinstance(node, And):
            return all(self._holds(o, spec, doc, starts) for o in node.operands)
        if isinstance(node, Or):
            return any(self._holds(o, spec, doc, starts) for o in node.operands)
        assert isinstance(node, Near)
        for field in ("title", "text"):
            text = getattr(doc, field)
            lefts = self._spans(node.left, spec, text, field, starts[field])
            rights = self._spans(node.right, spec, text, field, starts[field])
            if any(
                a != b and max(0, b[0] - a[1], a[0] - b[1]) <= node.distance
                for a in lefts
                for b in rights
            ):
                return True
        return False

    def _spans(
        self, node: Node, spec: RuleSpec, text: str, field: str, starts: list[int]
    ) -> list[tuple[int, int]]:
        spans = []
        for term, scope in self._leaf_terms(node, spec):
            if scope is not None and scope != field:
                continue
            for m in self._regex(term).finditer(text):
                first = bisect.bisect_right(starts, m.start()) - 1
                last = bisect.bisect_right(starts, m.end() - 1) - 1
                spans.append((first, last))
        return spans


# ----------------------------------------------------------------------------- measuring


def per_second(
    fn: Callable[[Document], object],
    docs: Sequence[Document],
    budget: float,
    most: int | None = None,
) -> float:
    """Articles per second of CPU time: the median of five timed batches of about budget/5
    seconds. CPU time (time.process_time) rather than the wall clock, so that other work on
    a shared machine does not count against the matcher: "on one core" means this."""
    fn(docs[0])  # warm up
    start = time.process_time()
    fn(docs[1 % len(docs)])
    one = max(time.process_time() - start, 1e-7)
    batch = max(1, int(budget / 5 / one))
    if most is not None:
        batch = min(batch, most)
    rates = []
    for _ in range(5 if most is None else 1):
        start = time.process_time()
        for i in range(batch):
            fn(docs[i % len(docs)])
        rates.append(batch / (time.process_time() - start))
    return statistics.median(rates)


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def rule_terms(rules: Sequence[RuleSpec]) -> set[str]:
    """Every term the rules name (categories, exclude, aliases, query words), as written."""
    terms: set[str] = set()

    def add(term: Term | str) -> None:
        terms.add(term.text if isinstance(term, Term) else term)

    def leaves(node: Node) -> None:
        if isinstance(node, Word):
            add(node.text)
        elif isinstance(node, Not):
            leaves(node.operand)
        elif isinstance(node, And | Or):
            for operand in node.operands:
                leaves(operand)
        elif isinstance(node, Near):
            leaves(node.left)
            leaves(node.right)

    for spec in rules:
        for term in (*spec.places, *spec.groups, *spec.keywords, *spec.exclude):
            add(term)
        for alias in spec.aliases.values():
            for term in alias:
                add(term)
        if spec.query:
            leaves(parse_query(spec.query))
    return terms


def raw_automaton(rules: Sequence[RuleSpec]) -> ahocorasick.Automaton:
    """A bare automaton over the folded, squashed rule terms: the lower bound's."""
    automaton = ahocorasick.Automaton()
    for term in rule_terms(rules):
        squashed = "".join(fold_words(term.rstrip("*")))
        if squashed:
            automaton.add_word(squashed, len(squashed))
    automaton.make_automaton()
    return automaton


def raw_scan(automaton: ahocorasick.Automaton) -> Callable[[Sequence[str]], object]:
    """Every raw match of the automaton over already-folded fields, and nothing else."""

    def scan(folded: Sequence[str]) -> None:
        for text in folded:
            deque(automaton.iter(text, 0, len(text), True), maxlen=0)

    return scan


def fold_and_scan(automaton: ahocorasick.Automaton) -> Callable[[Document], object]:
    """The project's folding, then the bare automaton: the scan without any term checks."""

    def scan(doc: Document) -> None:
        for text in (Folded(doc.title).folded, Folded(doc.text).folded):
            deque(automaton.iter(text, 0, len(text), True), maxlen=0)

    return scan


def compile_cost(rules: Sequence[RuleSpec]) -> tuple[float, float]:
    """Seconds for Matcher.compile (best of 3, at most one for large sets), and the MB the
    compiled matcher keeps (tracemalloc, in a compile of its own: tracing slows it)."""
    timings = []
    for _ in range(3 if len(rules) <= 10_000 else 1):
        start = time.perf_counter()
        Matcher.compile(rules)
        timings.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    matcher = Matcher.compile(rules)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del matcher
    return min(timings), kept / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="rule counts, comma-separated (default: %(default)s)")
    sizes = tuple(int(size) for size in parser.parse_args().sizes.split(","))
    print(f"bench/match.py: {pin_to_one_core()}")
    all_rules, vocab = make_rules(max(sizes))
    print(
        f"vocabulary: {vocab.distinct_terms():,} distinct terms; rules drawn from it: "
        f"{describe(all_rules)}"
    )
    costs = {size: compile_cost(all_rules[:size]) for size in sizes}
    matchers = {size: Matcher.compile(all_rules[:size]) for size in sizes}
    automata = {size: raw_automaton(all_rules[:size]) for size in sizes}
    naives = {size: NaiveMatcher(all_rules[:size]) for size in sizes if size <= NAIVE_UP_TO}
    results: dict[str, dict[int, float]] = {}
    for name, (title, text) in ARTICLES.items():
        docs = variants(title, text)
        folded = [(Folded(d.title).folded, Folded(d.text).folded) for d in docs]
        print()
        print(f"{name} article: {len(title) + len(text):,} characters (title + text)")
        print(
            f"{'rules':>8} {'matcher/s':>10} {'fold+scan/s':>11} {'raw scan/s':>10} "
            f"{'naive/s':>8}  {'terms found':>11} {'evaluated':>9} {'fired':>5}"
        )
        rates = results[name] = {}
        for size in sizes:
            matcher = matchers[size]
            fast = rates[size] = per_second(matcher.match, docs, budget=4.0)
            scanned = per_second(fold_and_scan(automata[size]), docs, budget=2.0)
            raw = per_second(raw_scan(automata[size]), folded, budget=2.0)  # type: ignore[arg-type]
            naive = f"{'-':>8}"
            if size in naives:
                most = max(3, 3_000 // size)
                naive = f"{per_second(naives[size].match, docs, budget=4.0, most=most):>8,.1f}"
            stats = matcher.stats(docs[0])
            print(
                f"{size:>8,} {fast:>10,.0f} {scanned:>11,.0f} {raw:>10,.0f} {naive}  "
                f"{stats['terms found']:>11} {stats['rules evaluated']:>9} "
                f"{stats['rules fired']:>5}"
            )
        low, high = min(sizes), max(sizes)
        print(
            f"  cost per article: {1e6 / rates[low]:,.0f} us at {low:,} rules, "
            f"{1e6 / rates[high]:,.0f} us at {high:,} rules: ratio "
            f"{rates[low] / rates[high]:.2f} (target: at most 3)"
        )
    if "typical" in results and "dense" in results:
        print()
        for size in sizes:
            ratio = results["typical"][size] / results["dense"][size]
            print(f"dense / typical cost at {size:,} rules: {ratio:.2f} (target: at most 3)")
    print()
    print(f"{'rules':>8} {'compile':>10} {'kept':>9}")
    for size in sizes:
        seconds, megabytes = costs[size]
        print(f"{size:>8,} {seconds * 1e3:>8,.0f}ms {megabytes:>7,.1f}MB")


def describe(rules: Sequence[RuleSpec]) -> str:
    queries = sum(1 for r in rules if r.query)
    near = sum(1 for r in rules if r.query and "NEAR/" in r.query)
    scoped = sum(1 for r in rules if r.query and ("title:" in r.query or "text:" in r.query))
    aliased = sum(1 for r in rules if r.aliases)
    weighted = sum(1 for r in rules if r.min_score)
    return (
        f"{len(rules) - queries:,} with categories only, {queries:,} with a query "
        f"({near:,} NEAR, {scoped:,} field-scoped, {aliased:,} with @aliases), "
        f"{weighted:,} weighted with a min_score"
    )


if __name__ == "__main__":
    main()

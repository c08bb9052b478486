"""The casualty reader: forms in English, Arabic and French, and the traps a careful reader
avoids (history, other events, claims, ranges, negations)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.facts import Casualties, Figure, casualties
from monitor.facts.numbers import MAX_COUNT

SEED = Path(__file__).parent / "data" / "aleppo-article.txt"


def killed(text: str, title: str = "") -> str:
    figure = casualties(title, text).killed
    return str(figure) if figure else ""


def read(text: str, title: str = "") -> str:
    return str(casualties(title, text))


@pytest.mark.parametrize(("text", "expected"), [
    ("An airstrike killed at least 32 people on Monday.", "at least 32 killed"),
    ("At least 32 people were killed in the attack.", "at least 32 killed"),
    ("The death toll rose to 12, officials said.", "12 killed"),
    ("The strike killed more than 20 people.", "more than 20 killed"),
    ("Over 40 people have died since the bombing on Tuesday.", "more than 40 killed"),
    ("At least 12 civilians, including four children, were killed.", "at least 12 killed"),
    ("Eleven people, most of them pupils, were killed when shells hit a school.", "11 killed"),
    ("Gunmen shot dead a former rebel commander in Tafas.", "1 killed"),
    ("The toll from Saturday's airstrikes on the market in the old town has risen to 16.",
     "16 killed"),
    ("A total of 14 people have now been killed in the shelling since Tuesday.", "14 killed"),
    ("They buried 18 people killed in the previous night's air raids.", "18 killed"),
    ("The number of people killed in the bombing rose to 45.", "45 killed"),
    ("The number of rockets fired at the town rose to 40.", ""),
    ("Rescuers pulled 9 bodies from the rubble.", "9 killed"),
    ("Nearly 30 people were killed.", "about 30 killed"),
    ("Some 200 fighters were killed in the battle.", "about 200 killed"),
    ("Up to 40 people may have been killed.", "up to 40 killed"),
    ("5 dead after the shelling of the market", "5 killed"),
    ("A woman was killed when a shell hit her house.", "1 killed"),
    ("A 12-year-old boy was killed on 12 March.", "1 killed"),
    ("Twenty-five people were killed.", "25 killed"),
    ("One hundred and twenty people were killed.", "120 killed"),
    ("A dozen people were killed.", "12 killed"),
    ("The bombing killed 1,200 people.", "1,200 killed"),
    ("The bombing killed 1.200 people.", "1,200 killed"),
    ("Government forces killed 50 militants near the town.", "50 killed"),
    ("The strike killed 12 civilians and 20 militants.", "32 killed"),
    ("Three soldiers and five civilians were killed.", "8 killed"),
    ("Dozens of people were killed.", ""),
    ("Hundreds were wounded and thousands fled.", ""),
], ids=lambda value: value[:40] if isinstance(value, str) else value)
def test_english_forms_read_the_killed_figure(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_killing_and_wounding_in_one_clause_give_both_figures() -> None:
    assert read("The blast hit the market, killing 5 and wounding 20.") == \
        "5 killed, 20 injured"


def test_two_children_were_wounded_is_two_injured() -> None:
    assert read("Two children were wounded in the shelling.") == "2 injured"


def test_kidnapped_and_displaced_figures_are_read() -> None:
    got = casualties("", "Gunmen abducted 12 aid workers. The fighting forced 3,000 people "
                         "to flee. Four journalists were taken hostage.")
    assert str(got.kidnapped) == "12 kidnapped"
    assert str(got.displaced) == "3,000 displaced"
    assert str(casualties("", "1.5 million people have been displaced by the offensive."
                          ).displaced) == "1,500,000 displaced"


@pytest.mark.parametrize(("text", "expected"), [
    ("قتل 15 شخصا في غارة جوية على حلب", "15 killed"),
    ("مقتل ١٥ مدنيا في قصف على إدلب", "15 killed"),
    ("مقتل ۱۵ مدنيا", "15 killed"),
    ("خمسة عشر قتيلا في قصف على حلب", "15 killed"),
    ("مقتل عشرين شخصا في تفجير", "20 killed"),
    ("مقتل ثلاثة مدنيين", "3 killed"),
    ("قتل خمسة وعشرون شخصا", "25 killed"),
    ("قتل 15 شخصا على الأقل", "at least 15 killed"),
    ("مقتل أكثر من 30 شخصا", "more than 30 killed"),
    ("ارتفعت حصيلة القتلى إلى 12", "12 killed"),
    ("مقتل شخصين في قصف", "2 killed"),
    ("مقتل شخص في قصف", "1 killed"),
    ("سقوط قتيلين في الهجوم", "2 killed"),
    ("مقتل ثلاثة آلاف شخص", "3,000 killed"),
    ("مقتل عشرات المدنيين", ""),
    ("ارتفع عدد القتلى في القصف إلى 14", "14 killed"),
    ("ارتفع عدد الصواريخ إلى 40", ""),
    ("استشهد 7 مدنيين في قصف", "7 killed"),
    ("اختطف مسلحون مجهولون أربعة مدنيين على الطريق", ""),
    ("ارتفعت حصيلة القتلى جراء القصف على مدينة معرة النعمان إلى 9 أشخاص", "9 killed"),
], ids=lambda value: value[:20] if isinstance(value, str) else value)
def test_arabic_forms_read_the_killed_figure(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_arabic_verb_before_its_subject_still_counts_its_object() -> None:
    got = casualties("", "اختطف مسلحون مجهولون أربعة مدنيين على الطريق")
    assert str(got.kidnapped) == "4 kidnapped"


def test_arabic_injured_and_killed_side_by_side() -> None:
    assert read("١٥ قتيلا و٢٠ جريحا في قصف على حلب") == "15 killed, 20 injured"


@pytest.mark.parametrize(("text", "expected"), [
    ("Un attentat a fait 15 morts à Kaboul.", "15 killed"),
    ("Au moins 12 tués dans un bombardement.", "at least 12 killed"),
    ("Vingt-cinq personnes ont été tuées.", "25 killed"),
    ("Quatre-vingts morts dans le séisme.", "80 killed"),
    ("Quatre-vingt-dix-sept morts.", "97 killed"),
    ("Soixante-dix morts.", "70 killed"),
    ("Deux mille morts.", "2,000 killed"),
    ("Une vingtaine de morts.", "about 20 killed"),
    ("L'explosion a tué plus de 40 personnes.", "more than 40 killed"),
    ("Des dizaines de morts.", ""),
    ("Au moins 17 civils, dont trois enfants, ont été tués.", "at least 17 killed"),
], ids=lambda value: value[:20] if isinstance(value, str) else value)
def test_french_forms_read_the_killed_figure(text: str, expected: str) -> None:
    assert killed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Hava saldırısında 4 sivil hayatını kaybetti, 9 kişi yaralandı.",
     "4 killed, 9 injured"),
    ("Saldırıda en az 11 kişi öldü.", "at least 11 killed"),
    ("Pazar yerindeki patlamada ölü sayısı 23'e yükseldi.", "23 killed"),
    ("Yaralı sayısı 41'e yükseldi.", "41 injured"),
    ("Patlamada 15'ten fazla kişi yaralandı.", "more than 15 injured"),
    ("Silahlı kişiler 4 sivili kaçırdı.", "4 kidnapped"),
    ("Saldırılar nedeniyle yaklaşık 60 bin sivil göç etti.", "about 60,000 displaced"),
    ("2011'den bu yana süren iç savaşta 400 binden fazla kişi hayatını kaybetti.", ""),
], ids=lambda value: value[:24] if isinstance(value, str) else value)
def test_turkish_forms_read_their_figures(text: str, expected: str) -> None:
    assert read(text) == expected


def test_french_wounded_are_injured() -> None:
    assert str(casualties("", "Deux morts et quinze blessés.").injured) == "15 injured"


@pytest.mark.parametrize("text", [
    "Since 2011, 500,000 have died in the war.",
    "The war has killed more than 350,000 people.",
    "Last month's attack killed 40.",
    "An attack on the same market killed 40 last year.",
    "In 2014, 40 people were killed in a similar attack.",
    "No one was killed in the attack.",
    "There were no casualties.",
    "Nobody was hurt.",
    "The offensive began 3 days ago in 2 villages.",
    "Security Council resolution 2254 was killed off by a veto.",
    '"We have not killed a single civilian," the ministry said.',
    "Some 1,200 families have been displaced by the shelling.",
    "Since the start of the war, more than 500,000 people have been killed.",
    "The war, which began in 2011, has killed 350,000 people.",
    "وثق المرصد مقتل أكثر من 500 ألف شخص منذ انطلاق الاحتجاجات في عام 2011",
    # words of ordinary news that are not tolls (seen in GeoWebNews articles)
    "Only two EU citizens can apply.",
    "Heart disease accounts for 30 per cent of deaths.",
    "The currency ban in late 2016 badly hurt the economy.",
    "Police arrested Paul Floyd, 47 and said to be homeless.",
    "More than 150 dead mullet washed up on the beach.",
    "The team was left with seven players due to injuries.",
    "He filed a civil suit, which can take years.",
], ids=lambda value: value[:40])
def test_figures_of_history_other_events_and_negations_are_not_the_articles(text: str) -> None:
    assert casualties("", text) == Casualties()


def test_todays_toll_is_kept_beside_a_historical_total_in_the_same_sentence() -> None:
    text = ("A barrel bomb killed 12 people in Aleppo on Monday, a war that has killed "
            "more than 350,000 since 2011.")
    assert killed(text) == "12 killed"


def test_a_negation_of_one_kind_leaves_the_other_kind() -> None:
    assert read("No one was killed, but three people were injured.") == "3 injured"


@pytest.mark.parametrize(("text", "expected"), [
    ("Between 10 and 15 people were killed.", "at least 10 killed"),
    ("10 to 15 people were killed.", "at least 10 killed"),
    ("10-15 people were killed.", "at least 10 killed"),
    ("The toll rose from 10 to 15.", "15 killed"),
])
def test_a_range_counts_as_at_least_its_lower_bound(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_a_later_rise_supersedes_the_first_figure() -> None:
    text = ("A car bomb killed 20 people in Azaz on Friday. Medics said later that the death "
            "toll had risen to 45.")
    assert killed(text) == "45 killed"


def test_the_highest_figure_of_the_event_wins() -> None:
    text = "A car bomb killed 12 people. Among the dead were three children; 30 were killed."
    assert killed(text, "Car bomb kills 12") == "30 killed"


def test_a_perpetrators_claim_counts_only_when_nothing_else_does() -> None:
    claim = ("The group claimed responsibility in a statement, saying the blast killed 50 "
             "soldiers.")
    assert killed("Monitors said the bombing killed at least 32 people. " + claim) == \
        "at least 32 killed"
    assert killed(claim) == "50 killed"


def test_the_title_figure_counts() -> None:
    assert killed("The blast hit the market at noon.", "Syria: 14 dead in market bombing") \
        == "14 killed"


def test_the_seed_article_reads_at_least_32_killed_from_the_atmeh_bus_bombing() -> None:
    title, _, text = SEED.read_text(encoding="utf-8").partition("\n")
    got = casualties(title, text)
    assert got.killed == Figure("killed", 32, "at least", "killed at least 32 people")
    assert str(got.killed) == "at least 32 killed"


def test_up_to_proves_no_minimum_and_more_than_proves_one_more() -> None:
    assert Figure("killed", 40, "up to", "").minimum() == 0
    assert Figure("killed", 10, "more than", "").minimum() == 11
    assert Figure("killed", 32, "at least", "").minimum() == 32
    assert Figure("killed", 30, "about", "").minimum() == 30


def test_huge_numbers_are_not_counts() -> None:
    assert killed(f"The bombing killed {MAX_COUNT * 10:,} people.") == ""
    assert killed("The bombing killed 1000000000000000000000000000000 people.") == ""


def test_a_long_text_is_read_only_up_to_its_cap() -> None:
    text = "Nothing happened. " * 2000 + "The bombing killed 40 people."
    assert killed(text) == ""
    assert killed("The bombing killed 40 people. " + "Nothing happened. " * 5000) == \
        "40 killed"


_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def english(number: int) -> str:
    """An independent spelling of 1..9999 in English words, as a reporter writes them."""
    parts = []
    if number >= 1000:
        parts.append(f"{_ONES[number // 1000]} thousand")
        number %= 1000
    if number >= 100:
        parts.append(f"{_ONES[number // 100]} hundred")
        number %= 100
        if number:
            parts.append("and")
    if number >= 20:
        parts.append(_TENS[number // 10] + (f"-{_ONES[number % 10]}" if number % 10 else ""))
    elif number:
        parts.append(_ONES[number])
    return " ".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.sampled_from([
    "An airstrike killed {} people in Idlib on Monday.",
    "{} people were killed in the shelling.",
    "The bombing left {} dead.",
]))
def test_any_count_written_in_digits_or_english_words_reads_back(number: int,
                                                                 sentence: str) -> None:
    for written in (str(number), f"{number:,}", english(number)):
        text = sentence.format(written)
        text = text[0].upper() + text[1:]
        figure = casualties("", text).killed
        assert figure is not None and figure.count == number, text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_reads_without_error_and_within_bounds(text: str) -> None:
    got = casualties(text[:50], text)
    for figure in got.figures():
        assert 0 < figure.count <= MAX_COUNT
        assert figure.qualifier in ("", "at least", "more than", "up to", "about")
        assert len(figure.text) <= 200


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=99999), st.sampled_from([
    "قتل {} شخصا في غارة جوية", "مقتل {} مدنيا في قصف", "{} قتيلا في قصف على حلب",
    "Au moins {} morts dans le bombardement.",
]))
def test_any_count_in_arabic_indic_or_persian_digits_reads_back(number: int,
                                                                 sentence: str) -> None:
    for written in (str(number), str(number).translate(_ARABIC_INDIC),
                    str(number).translate(_PERSIAN)):
        figure = casualties("", sentence.format(written)).killed
        assert figure is not None and figure.count == number, sentence.format(written)

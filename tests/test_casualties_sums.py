"""A toll given in parts adds up (by side, by group, in a list, over sentences told as an
addition), a pronoun counts what was counted before it, people listed one by one count, and
a later revision of the toll, up or down, supersedes the first figure."""

from __future__ import annotations

import pytest

from monitor.facts import casualties


def killed(text: str) -> str:
    figure = casualties("", text).killed
    return str(figure) if figure else ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Airstrikes killed 11 civilians on Tuesday, the monitor said. "
            "Eight rebel fighters were also killed in the raids, it added.",
            "19 killed",
        ),
        (
            "At least 17 soldiers were killed in clashes overnight. "
            "On the other side, 12 jihadists died in the fighting.",
            "at least 29 killed",
        ),
        (
            "Des frappes ont tué neuf civils. Quatre combattants ont également été tués.",
            "13 killed",
        ),
        (
            "Topçu saldırısında 4 sivil hayatını kaybetti. Saldırıda ayrıca 2 çocuk da öldü.",
            "6 killed",
        ),
        (
            "Saldırıda 7 sivil öldü. Saldırıda yaralanan 3 kişi de hastanede hayatını kaybetti.",
            "10 killed",
        ),
        ("قتل سبعة مدنيين في غارة جوية، وقتل ثلاثة عناصر من الفصائل في الغارة نفسها", "10 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_a_figure_told_as_an_addition_adds_to_the_one_before(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_an_addition_does_not_reach_back_past_the_previous_sentence() -> None:
    text = (
        "Shelling killed 5 people in Ariha. The market was closed. Aid was delayed. "
        "Two children were also killed in Hama."
    )
    assert killed(text) == "5 killed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The Observatory counted 19 dead among the rebels and 14 on the government side.",
            "33 killed",
        ),
        (
            "Les combats ont fait 18 morts dans les rangs des FDS et 27 parmi les jihadistes.",
            "45 killed",
        ),
        (
            "24 civilians, 24 Kurdish fighters, and 25 militiamen have been killed in the clashes.",
            "73 killed",
        ),
        ("SMO ile YPG arasında çıkan çatışmalarda 6 SMO askeri ve 11 terörist öldü.", "17 killed"),
        ("Bombalı saldırıda 1 çocuk ile 2 kadın hayatını kaybetti.", "3 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_parts_by_side_group_or_list_add_up(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_five_dead_and_twenty_wounded_stay_two_kinds() -> None:
    found = casualties("", "The blast left 5 dead and 20 wounded in the market.")
    assert (found.killed.count, found.injured.count) == (5, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A drone struck a vehicle, killing its driver and three passengers.", "4 killed"),
        ("A shell hit a house, killing a woman and her two children.", "3 killed"),
        ("Un obus est tombé sur une école, tuant une enseignante et deux élèves.", "3 killed"),
        ("قصفت قوات النظام القرى، ما أدى إلى مقتل طفلين وامرأة", "3 killed"),
        ("Gunmen abducted three members of the council and later killed them.", "3 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_people_listed_or_named_by_a_pronoun_are_counted(text: str, expected: str) -> None:
    assert killed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Initial reports said 20 people had been killed in the shelling. The Observatory later "
            "revised the figure down to 12.",
            "12 killed",
        ),
        (
            "Nine people were killed by barrel bombs. The Observatory later raised the death toll "
            "to 14.",
            "14 killed",
        ),
        ("Roketler düştü, 3 sivil öldü. Ölü sayısı daha sonra 5'e yükseldi.", "5 killed"),
        ("Rescuers recovered the bodies of nine people from the rubble.", "9 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_a_later_revision_supersedes_and_bodies_are_counted(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_the_figure_alone_without_an_update_is_no_toll() -> None:
    assert killed("The figure of 500 was quoted by the ministry.") == ""


@pytest.mark.parametrize(
    "text",
    [
        "A court sentenced him for the 2016 suicide bombing at the airport that killed 45 people.",
        "Residents marked the anniversary of the bombing that killed 48 people.",
    ],
    ids=lambda value: value[:40],
)
def test_a_past_event_named_by_its_year_anniversary_or_trial_gives_no_figure(text: str) -> None:
    assert killed(text) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A regime airstrike on a house killed a family of five, rescuers said.", "5 killed"),
        ("Five members of one family, among them three children, were killed.", "5 killed"),
        ("The explosion killed the driver of the minibus and wounded six passengers.", "1 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_families_and_a_person_with_the_are_counted(text: str, expected: str) -> None:
    assert killed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Jordanian forces said they killed 27 smugglers who tried to cross the border.",
        "L'armée a déclaré avoir tué 12 jihadistes lors de l'opération.",
    ],
    ids=lambda value: value[:40],
)
def test_a_combatants_claim_of_enemies_it_killed_gives_no_figure(text: str) -> None:
    assert killed(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "The war, now in its 12th year, has killed more than 350,000 people.",
        "The bodies of 11 people were found in a mass grave near Raqqa.",
    ],
    ids=lambda value: value[:40],
)
def test_a_wars_total_told_with_an_aside_and_a_mass_grave_are_history(text: str) -> None:
    assert killed(text) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebels shot down a regime helicopter over Idlib, killing its two pilots.", "2 killed"),
        ("قصف مدفعي لقوات النظام على مدينة أريحا يودي بحياة امرأتين", "2 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_a_determiner_between_verb_and_count_and_arabic_headline_verbs(
    text: str, expected: str
) -> None:
    assert killed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The strikes killed 23 people, while rescuers put the figure at 27.", "27 killed"),
        ("Two paramedics and a child were among those killed, the group said.", ""),
        (
            "Russian strikes killed 8 people; a day earlier, 12 had died in strikes nearby.",
            "8 killed",
        ),
        ("Nine people, six of them children, were killed.", "9 killed"),
        ("The dead were three civilians and two policemen.", "5 killed"),
        ("Medics said 6 people died on the spot and 3 others later in hospital.", "9 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_sources_subsets_other_days_asides_and_elided_verbs(text: str, expected: str) -> None:
    assert killed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قتل عنصران من قوات النظام وجرح ثلاثة آخرون في هجوم على حاجز", "2 killed"),
        ("لقي 7 أشخاص مصرعهم في انفجار سيارة مفخخة", "7 killed"),
    ],
    ids=lambda value: value[:40],
)
def test_arabic_nominative_duals_and_met_their_death(text: str, expected: str) -> None:
    assert killed(text) == expected


def test_a_figure_dated_another_day_yields_to_the_reports_own() -> None:
    text = (
        "A car bomb exploded in Afrin on Tuesday, killing five people. It was the third "
        "bombing this month. On April 28, a fuel tanker bomb killed at least 40 people."
    )
    assert killed(text) == "5 killed"

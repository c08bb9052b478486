"""events_in records an event only when the text reports it as happening: not when it is only
denied, foiled, planned, threatened, feared, commemorated, judged or negated, nor when its
word has another sense there; abductions told with a verb of taking count too."""

from __future__ import annotations

import pytest

from monitor.catalog.events import events_in
from monitor.facts.assaults import assaults
from monitor.facts.reported import Reading, reported_types
from monitor.facts.seizures import abductions


def types(text: str) -> set[str]:
    return set(events_in(text))


@pytest.mark.parametrize(
    "text",
    [
        "Moscow denied that Russian warplanes had struck any target in Idlib this week.",
        "Iraqi forces foiled a suicide attack on a shrine in Samarra, police said.",
        "Turkey threatened to launch a new ground offensive against Kurdish fighters.",
        "The UN envoy warned of renewed clashes in Daraa as talks stalled.",
        "Analysts say the government is preparing an offensive on Idlib.",
        "Israel warned that its air force would carry out airstrikes on any convoy.",
        "A court sentenced a man to life for the 2016 suicide bombing at the airport.",
        "Residents marked the anniversary of the suicide bombing that hit the city.",
        "Police found a suicide vest in an abandoned house and defused it.",
        "Security forces clashed with hundreds of protesters in Sweida.",
        "Diplomats expect the clash between Washington and Moscow over aid at the vote.",
        "A journalist freed after three years held captive in Syria arrived home.",
        "No clashes were reported on the front lines overnight.",
        "لم تشهد جبهات ريف حلب الغربي أي اشتباكات منذ يومين",
        "نفت وزارة الدفاع الروسية أن تكون طائراتها قد قصفت مستشفى",
        "أحبطت قوى الأمن هجوما انتحاريا كان يستهدف حاجزا",
        "Moscou a démenti que ses avions aient bombardé un marché.",
        "Les forces de sécurité ont déjoué une attaque kamikaze contre une mosquée.",
        "La Turquie a menacé de lancer une nouvelle offensive contre les combattants kurdes.",
        "Rusya, savaş uçaklarının bir hastaneyi bombaladığı iddialarını yalanladı.",
        "Türkiye, yeni bir kara harekatı başlatabileceği uyarısında bulundu.",
        "Güvenlik güçleri canlı bomba eylemi hazırlığındaki bir teröristi yakaladı.",
        "Silahlı kişilerce kaçırılan tır şoförü 10 gün sonra serbest bırakıldı.",
    ],
    ids=lambda text: text[:48],
)
def test_an_event_only_named_is_not_recorded(text: str) -> None:
    assert (
        types(text) & {"airstrike", "shelling", "armed clash", "suicide bombing", "abduction"}
        == set()
    )


@pytest.mark.parametrize(
    ("text", "event"),
    [
        (
            "Rescuers said warplanes struck a bakery in Ariha. "
            "Russia denied its jets were involved.",
            "airstrike",
        ),
        (
            "The coalition denied that its aircraft had struck the village, where activists said "
            "dozens of civilians had died.",
            "airstrike",
        ),
        ("The UN warned that the airstrikes on hospitals could amount to war crimes.", "airstrike"),
        ("Rebel commanders vowed to retaliate for the shelling of Ariha.", "shelling"),
        ("The army said taking the suburbs would stop rocket attacks on the capital.", "shelling"),
        (
            "The Turkish ministry denied shelling civilians, saying its artillery returned fire.",
            "shelling",
        ),
        ("حذرت الأمم المتحدة من أن الغارات الجوية على المشافي قد ترقى إلى جرائم حرب", "airstrike"),
    ],
    ids=lambda value: value[:48],
)
def test_a_denial_or_warning_about_a_known_event_keeps_it(text: str, event: str) -> None:
    assert event in types(text)


def test_a_suicide_bombers_vehicle_bomb_is_a_suicide_bombing_not_a_remote_explosive() -> None:
    found = types("A suicide bomber detonated an explosive-laden truck at a checkpoint.")
    assert "suicide bombing" in found and "remote explosive" not in found


def test_a_car_bomb_told_apart_from_suicide_bombers_stays_a_remote_explosive() -> None:
    found = types("In Tartous, a car bomb was followed by two suicide bombers who struck.")
    assert {"suicide bombing", "remote explosive"} <= found


@pytest.mark.parametrize(
    "text",
    [
        "Masked gunmen seized an aid worker and his driver on the road to Marea.",
        "Unknown assailants seized two aid workers on the road to Sarmada.",
        "Gunmen snatched a pharmacist from his shop in Daraa.",
        "Militants stopped a bus and took 30 passengers hostage.",
        "Islamic State militants seized four truffle hunters near Palmyra.",
        "DEAŞ'lı teröristler Deyrizor çölünde 5 çobanı alıkoydu.",
        "اقتادت مجموعة مسلحة ثلاثة شبان إلى جهة مجهولة",
        "The kidnappers demanded a ransom of $50,000 from his family.",
    ],
    ids=lambda text: text[:48],
)
def test_abductions_told_with_a_verb_of_taking_are_recorded(text: str) -> None:
    assert "abduction" in types(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rebels seized control of the town after heavy fighting.",
        "Police seized two men suspected of smuggling at the border.",
        "The army seized weapons and ammunition in a raid.",
        "Two men seized the moment to escape.",
    ],
    ids=lambda text: text[:48],
)
def test_seizing_places_things_or_by_the_state_is_no_abduction(text: str) -> None:
    assert abductions(text) == []


def test_a_type_counts_when_one_of_its_phrases_is_reported() -> None:
    text = "Turkey threatened to shell the town. On Monday its artillery shelled Tal Rifaat."
    first = text.index("shell ")
    reading = Reading(text)
    assert not reading.reported(first, first + 5, "shelling")
    assert reported_types(
        text,
        [
            ("shelling", first, first + 5),
            ("shelling", text.index("artillery"), text.index(" shelled")),
        ],
    )


def test_missiles_in_an_air_strikes_wording_are_the_air_strike_not_shelling() -> None:
    found = types("Israeli missiles hit a weapons depot near Hama overnight.")
    assert "airstrike" in found and "shelling" not in found


def test_an_air_strike_and_shelling_side_by_side_are_both_recorded() -> None:
    assert {"airstrike", "shelling"} <= types("غارات جوية وقصف مدفعي على ريف إدلب")


@pytest.mark.parametrize(
    "text",
    [
        "Gunmen in a pickup opened fire on a bus carrying soldiers on the Palmyra road.",
        "Un soldat a été tué lors d'une attaque des YPG contre une base près d'Al-Bab.",
        "Insurgents attacked an army patrol near Deir ez-Zor before dawn.",
    ],
    ids=lambda text: text[:48],
)
def test_an_attack_on_soldiers_with_no_weapon_named_is_an_armed_clash(text: str) -> None:
    assert "armed clash" in types(text)


@pytest.mark.parametrize(
    "text",
    [
        "A roadside bomb struck a bus carrying soldiers near Palmyra.",
        "An air strike hit a Turkish military convoy, the deadliest attack on Turkey's army.",
        "Gunmen attacked a market and a school in the town.",
    ],
    ids=lambda text: text[:48],
)
def test_an_attack_by_a_weapon_or_on_civilians_is_not_an_assault(text: str) -> None:
    assert assaults(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Kidnappers released a Syrian doctor after his family paid a ransom.", False),
        ("Deux humanitaires ont été tués et un troisième enlevé lors de l'attaque.", True),
    ],
    ids=lambda value: str(value)[:48],
)
def test_a_release_is_no_abduction_and_a_french_participle_is_one(text: str, found: bool) -> None:
    assert ("abduction" in types(text)) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Residents fear airstrikes could resume within days.", False),
        ("Les combats pourraient reprendre à tout moment, selon des sources locales.", False),
        ("The airstrike could amount to a war crime, the UN said.", True),
    ],
    ids=lambda value: str(value)[:48],
)
def test_a_modal_right_after_an_indefinite_phrase_makes_it_possible_only(
    text: str, found: bool
) -> None:
    assert bool(types(text) & {"airstrike", "armed clash"}) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The man was taken from his home by gunmen and has not been seen since.", True),
        ("عصابة تطلب فدية مقابل الإفراج عن طفل مخطوف في جرمانا", True),
        ("اختفى ثلاثة شبان بعد توقيفهم على حاجز ولا يعرف مصيرهم حتى الآن", True),
        ("The village, seized by militants last year, was bombed.", False),
        ("The town was taken by militants on Monday.", False),
    ],
    ids=lambda value: str(value)[:48],
)
def test_passives_of_taking_need_a_person_and_a_ransom_for_a_release_is_an_abduction(
    text: str, found: bool
) -> None:
    assert ("abduction" in types(text)) is found


@pytest.mark.parametrize(
    "text",
    [
        "He was accused of recruiting suicide bombers for IS.",
        "Turkey and Russia have agreed to avoid clashes in northern Syria.",
        "Des affrontements verbaux ont éclaté entre les deux délégations.",
        "حكمت محكمة فرنسية على رجل بتهمة التخطيط لهجوم انتحاري",
        "Mahkeme, intihar saldırısı planlayan sanığa müebbet hapis verdi.",
        "An exhibition recalls the shelling of Homs during the siege.",
    ],
    ids=lambda text: text[:48],
)
def test_recruiting_avoiding_judging_or_recalling_an_event_is_not_reporting_it(
    text: str,
) -> None:
    assert types(text) & {"shelling", "armed clash", "suicide bombing"} == set()


def test_a_training_camp_hit_by_airstrikes_is_an_airstrike() -> None:
    assert "airstrike" in types("A training camp near Idlib was hit by coalition airstrikes.")
